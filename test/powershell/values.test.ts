// The one ByteQuantifiedSize reader, as the importers (exported text) and apply (a script's
// -MaxMessageSize) both use it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize } from '../../src/powershell/values.js';
import { applyScript } from '../../src/apply/apply.js';
import { emptySnapshot, type Snapshot } from '../../src/model.js';

const cases: Array<[text: string, bytes: number | null | undefined]> = [
  ['36 MB (37,748,736 bytes)', 37748736],
  ['35 MB (36.700.160 bytes)', 36700160],
  ['10 MB (10\u00a0485\u00a0760 bytes)', 10485760],
  ['36MB', 37748736],
  ['1.5 GB', 1610612736],
  ['65536', 65536],
  ['Unlimited', null],
  ['lots', undefined],
  ['36 MiB', undefined],
];

describe('parseByteSize', () => {
  for (const [text, bytes] of cases) {
    it(`${JSON.stringify(text)} → ${String(bytes)}`, () => assert.equal(parseByteSize(text), bytes));
  }
});

describe('apply reads -MaxMessageSize with the same reader', () => {
  const snapshot = (): Snapshot => ({
    ...emptySnapshot(),
    connectors: [{
      identity: 'EX01\\Relay', server: 'EX01', name: 'Relay', transportRole: 'FrontendTransport', enabled: true,
      bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [{ expression: '10.0.0.1', first: '10.0.0.1', last: '10.0.0.1' }],
      permissionGroups: [], authMechanism: ['Tls'], requireTLS: false, domainSecureEnabled: false, fqdn: null,
      tlsCertificateName: null, banner: null, protocolLoggingLevel: 'None', maxMessageSize: 1048576, maxRecipientsPerMessage: 200,
    }],
  });
  for (const [text, bytes] of cases) {
    if (typeof bytes !== 'number') continue;
    it(`'${text}'`, async () => {
      const script = `Set-ReceiveConnector -Identity 'EX01\\Relay' -MaxMessageSize '${text.replace(/'/g, "''")}'\n`;
      const result = await applyScript(snapshot(), script, { file: 'change.ps1' });
      assert.equal(result.snapshot.connectors[0]?.maxMessageSize, bytes);
    });
  }
  it("'lots' is refused naming the parameter", async () => {
    await assert.rejects(applyScript(snapshot(), "Set-ReceiveConnector -Identity 'EX01\\Relay' -MaxMessageSize 'lots'\n", { file: 'change.ps1' }), /not a size for -MaxMessageSize/);
  });
});
