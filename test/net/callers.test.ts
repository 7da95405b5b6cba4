// One RemoteIPRanges entry, every caller: the importer (string and IPRange-object forms),
// apply (New-ReceiveConnector -RemoteIPRanges), the policy engine's lookup that replay and the
// sandbox use, replay's scenario reader and the sandbox's client-address normalisation must
// give the same interval or the same refusal (issue: "one model of addresses").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyScript } from '../../src/apply/apply.js';
import { InputError } from '../../src/errors.js';
import { importSource } from '../../src/importers/index.js';
import type { ReceiveConnector, Snapshot } from '../../src/model.js';
import {
  IPV4_MAX, IPV6_MAX, connectionAddressText, formatAddress, formatInterval, parseAddress, parseRange, rangeInterval, type Interval,
} from '../../src/net/index.js';
import { buildPolicy, selectConnector } from '../../src/policy/index.js';
import { parseScenarios } from '../../src/replay/scenarios.js';
import { makeSourceText } from '../../src/source.js';

const APPLY_BASE = JSON.parse(readFileSync(new URL('../../fixtures/apply/ex16.snapshot.json', import.meta.url), 'utf8')) as Snapshot;

/** [entry, interval as "first-last" (one address alone), or the refusal every caller gives] */
const ENTRIES: ReadonlyArray<readonly [string, string | RegExp]> = [
  ['10.1.1.5', '10.1.1.5'],
  ['10.3.0.0/16', '10.3.0.0-10.3.255.255'],
  ['10.3.7.7/16', '10.3.0.0-10.3.255.255'],
  ['10.3.0.0-10.3.255.255', '10.3.0.0-10.3.255.255'],
  ['10.0.0.0(255.255.0.0)', '10.0.0.0-10.0.255.255'],
  ['2001:DB8::5', '2001:db8::5'],
  ['2001:db8::/126', '2001:db8::-2001:db8::3'],
  ['fe80::1%11', 'fe80::1'],
  ['::ffff:10.1.1.1', '::ffff:10.1.1.1'],
  ['10.0.0.0(255.0.255.0)', /not contiguous/],
  ['010.1.1.1', /leading zero.*octal/],
  ['10.1', /not a dotted quad/],
  ['10.0.0.9-10.0.0.1', /start is above the end/],
  ['mail.example.com', /not an IPv4 or IPv6 address/],
];

function jsonExport(remoteIPRanges: unknown[]): string {
  return JSON.stringify([{
    Identity: 'EX19A\\Relay', Name: 'Relay', Server: 'EX19A', TransportRole: 16384, Enabled: true,
    Bindings: ['0.0.0.0:25', '[::]:25'], RemoteIPRanges: remoteIPRanges, PermissionGroups: 1, AuthMechanism: 1,
  }]);
}

async function imported(remoteIPRanges: unknown[]): Promise<Snapshot> {
  return (await importSource(makeSourceText('export.json', jsonExport(remoteIPRanges)))).snapshot;
}

function relayOf(snapshot: Snapshot): ReceiveConnector {
  const c = snapshot.connectors.find((x) => x.name === 'Relay');
  assert.ok(c !== undefined, 'the connector was imported');
  return c;
}

function intervalsOf(c: ReceiveConnector): string[] {
  return c.remoteIPRanges.map((r) => formatInterval(rangeInterval(r)));
}

async function applied(entry: string): Promise<string[] | InputError> {
  const script = `New-ReceiveConnector -Name 'Relay' -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:2599 -RemoteIPRanges '${entry}'`;
  try {
    const r = await applyScript(APPLY_BASE, script, { file: 'change.ps1', skipUnknown: false });
    return intervalsOf(relayOf(r.snapshot));
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
}

function replayClient(address: string): string | InputError {
  const yaml = `schema: exrelay.scenarios/1\nscenarios:\n  - name: one\n    clientIp: '${address}'\n    port: 25\n    helo: h.example\n    mailFrom: a@example.com\n    rcptTo: [b@example.net]\n`;
  try {
    const scenario = parseScenarios(makeSourceText('scenarios.yaml', yaml)).document.scenarios[0];
    assert.ok(scenario);
    return scenario.clientIp;
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
}

describe('one entry, every caller', () => {
  for (const [entry, expected] of ENTRIES) {
    it(`${entry} → ${String(expected)}`, async () => {
      const byString = await imported([entry]);
      const byObject = await imported([{ Expression: entry }]); // an IPRange object without its bounds
      const byApply = await applied(entry);
      if (typeof expected === 'string') {
        assert.deepEqual(intervalsOf(relayOf(byString)), [expected], 'import (string)');
        assert.deepEqual(intervalsOf(relayOf(byObject)), [expected], 'import (IPRange object)');
        assert.deepEqual(byApply, [expected], 'apply');
      } else {
        for (const [what, snap] of [['import (string)', byString], ['import (IPRange object)', byObject]] as const) {
          assert.deepEqual(relayOf(snap).remoteIPRanges, [], what);
          assert.ok(snap.warnings.some((w) => w.message.includes(`"${entry}"`)), `${what} warns about the entry`);
        }
        assert.ok(byApply instanceof InputError, 'apply refuses');
        assert.match(byApply.message, expected);
        assert.ok(byApply.message.includes(parseRange(entry).reason ?? '\u0000'), `apply gives the one reason: ${byApply.message}`);
      }
    });
  }
});

describe('the engine behind replay and the sandbox selects on the same interval', () => {
  for (const [entry, expected] of ENTRIES) {
    if (typeof expected !== 'string') continue;
    it(entry, async () => {
      const snapshot = await imported([entry]);
      const policy = buildPolicy(snapshot);
      const interval: Interval = rangeInterval(relayOf(snapshot).remoteIPRanges[0] ?? { expression: '', first: '', last: '' });
      const max = interval.family === 4 ? IPV4_MAX : IPV6_MAX;
      const at = (value: bigint): string | null => selectConnector(policy, { server: 'EX19A', port: 25 }, formatAddress(interval.family, value))?.name ?? null;
      if (formatAddress(interval.family, interval.first).startsWith('::ffff:')) {
        // A client is never IPv4-mapped by the time it is matched (parseAddress): such a range matches no client.
        assert.equal(at(interval.first), null);
        return;
      }
      assert.equal(at(interval.first), 'Relay', 'first address');
      assert.equal(at(interval.last), 'Relay', 'last address');
      if (interval.first > 0n) assert.equal(at(interval.first - 1n), null, 'just below');
      if (interval.last < max) assert.equal(at(interval.last + 1n), null, 'just above');
    });
  }
});

describe('a single address as a replay scenario clientIp and as a sandbox client address', () => {
  for (const [entry, expected] of ENTRIES) {
    if (entry.includes('/') || entry.includes('-') || entry.includes('(')) continue;
    it(entry, async () => {
      const client = replayClient(entry);
      const sandbox = connectionAddressText(entry);
      if (typeof expected !== 'string') {
        assert.ok(client instanceof InputError, 'replay refuses the clientIp');
        assert.equal(parseAddress(sandbox), null, 'the sandbox does not take it for an address');
        return;
      }
      assert.equal(typeof client, 'string');
      const seen = parseAddress(client as string);
      assert.ok(seen !== null);
      // The decision of src/net/address.ts: a mapped client is its IPv4 address; anything else is itself.
      const asClient = expected.startsWith('::ffff:') ? expected.slice('::ffff:'.length) : expected;
      assert.equal(formatAddress(seen.family, seen.value), asClient, 'replay');
      assert.equal(sandbox, asClient, 'sandbox');
      const policy = buildPolicy(await imported([entry]));
      const chosen = selectConnector(policy, { server: 'EX19A', port: 25 }, client as string)?.name ?? null;
      assert.equal(chosen, expected.startsWith('::ffff:') ? null : 'Relay', 'replay lookup');
      assert.equal(selectConnector(policy, { server: 'EX19A', port: 25 }, sandbox)?.name ?? null, chosen, 'sandbox lookup = replay lookup');
    });
  }
});

describe('a range removed in another, equal notation is removed', () => {
  it("@{Remove='10.3.0.0-10.3.255.255'} removes an imported 10.3.0.0/16", async () => {
    const snapshot = await imported(['10.3.0.0/16', '10.9.9.9']);
    const r = await applyScript(snapshot, "Set-ReceiveConnector 'EX19A\\Relay' -RemoteIPRanges @{Remove='10.3.0.0-10.3.255.255'}", { file: 'change.ps1', skipUnknown: false });
    assert.deepEqual(relayOf(r.snapshot).remoteIPRanges.map((x) => x.expression), ['10.9.9.9']);
  });
  it("@{Add='10.3.0.0(255.255.0.0)'} does not add a second copy of 10.3.0.0/16", async () => {
    const snapshot = await imported(['10.3.0.0/16']);
    const r = await applyScript(snapshot, "Set-ReceiveConnector 'EX19A\\Relay' -RemoteIPRanges @{Add='10.3.0.0(255.255.0.0)'}", { file: 'change.ps1', skipUnknown: false });
    assert.deepEqual(relayOf(r.snapshot).remoteIPRanges.map((x) => x.expression), ['10.3.0.0/16']);
  });
});
