// Message tracking logs with known counts: generated logs of each version (2010, 2013, 2016,
// 2019) with AGENTINFO/HAREDIRECT/SEND/DELIVER/FAIL events around every RECEIVE, 2016 traffic
// proxied by a Front End to the other server's hub, messages that cross a second hub, mailbox
// submissions, rolled files and gzip. Each device must come out with exactly its messages and,
// with the demo estate's configuration, the Front End connector it really reached.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeProtocolLogsFor, writeTrackingLogs } from '../../bench/lib/tracking-generator.js';
import { buildLogsDocument, type LogsDocument, type LogsSender } from '../../src/logs/aggregate.js';
import { logConfigFrom, type LogConfig } from '../../src/logs/config.js';
import { readLogs, sniffLogKind } from '../../src/logs/reader.js';
import type { Snapshot } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { devices2010, devices2016, submissions, total, type Known } from './tracking-profiles.js';

const ESTATE = 'fixtures/estate-2010-2016';
const CMEX16A_IP = '10.20.0.21';

async function read(dir: string | string[], config: LogConfig | null, options: { workers?: number; chunkBytes?: number } = {}): Promise<LogsDocument> {
  const r = await readLogs(Array.isArray(dir) ? dir : [dir], { workers: options.workers ?? 0, ...(options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes }) });
  return buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines, trackingFiles: r.trackingFiles }, config);
}

function row(doc: LogsDocument, device: string): LogsSender {
  const rows = doc.senders.filter((s) => s.remoteIp === device);
  assert.equal(rows.length, 1, `one row for ${device}: ${JSON.stringify(rows.map((r) => r.connector))}`);
  return rows[0] as LogsSender;
}

function assertKnown(doc: LogsDocument, known: readonly Known[], connectorOf: (k: Known) => string): void {
  assert.deepEqual(doc.senders.map((s) => s.remoteIp).sort(), known.map((k) => k.device).sort(), 'exactly the devices, no Exchange server, no Outlook user');
  for (const k of known) {
    const s = row(doc, k.device);
    assert.equal(s.connector, connectorOf(k), `${k.device} connector`);
    assert.equal(s.messages, total(k.perDay), `${k.device} messages`);
    assert.deepEqual(s.perDay.map((d) => d.messages), k.perDay.filter((n) => n > 0), `${k.device} per day`);
    assert.deepEqual(s.seenIn, ['tracking']);
    assert.equal(s.sessions, 0);
    const from = k.mailFrom.slice(k.mailFrom.indexOf('@') + 1);
    assert.deepEqual(s.mailFromDomains, { [from]: total(k.perDay) });
    const rcpt: Record<string, number> = {};
    for (const r of k.recipients) { const d = r.address.slice(r.address.indexOf('@') + 1); rcpt[d] = (rcpt[d] ?? 0) + total(k.perDay); }
    assert.deepEqual(s.rcptDomains, rcpt, `${k.device} recipient domains (a later FAIL does not un-receive)`);
  }
}

describe('message tracking logs with known counts', () => {
  let base = '';
  let config: LogConfig;
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'exrelay-track-'));
    const r = await runCli(['import', ESTATE]);
    assert.equal(r.exitCode, 0, r.stderr);
    config = logConfigFrom(JSON.parse(r.stdout) as Snapshot);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('2016 (UNSURE(reference): proxied field values, Outlook address on the hub RECEIVE): proxied traffic goes to the device and, with --config, to the Front End connector it reached', async () => {
    const dir = join(base, '2016');
    const known = devices2016();
    const g = await writeTrackingLogs(dir, known, { version: '2016', start: '2026-11-02', fileBytes: 20_000, gzipEvery: 4, seed: 3, submissions: submissions('2016') });
    assert.ok(g.files.length >= 8, `${g.files.length} files, several rolled`);
    assert.ok(g.files.some((f) => f.endsWith('.gz')));
    assert.ok(g.files.some((f) => /MSGTRKMS/.test(f)) && g.files.some((f) => /MSGTRKMD/.test(f)));
    // 10.20.60.11's 40 messages are received twice (second hub), the 60 mailbox submissions once more by SMTP.
    assert.equal(g.expected.receives, 15 + 40 * 2 + 4 + 4 + 60);
    const withConfig = await read(dir, config);
    assertKnown(withConfig, known, (k) => k.reached);
    assert.equal(withConfig.messages, 15 + 40 + 4 + 4);
    assert.equal(withConfig.trackingFiles, g.files.length);
    assert.equal(withConfig.lines, g.expected.lines);
    assert.equal(row(withConfig, '10.20.60.11').externalRecipients, 40);
    assert.deepEqual(row(withConfig, '10.20.60.11').perDay[0], { day: '2026-11-02', messages: 10, recipients: 20, externalRecipients: 10 });
    // Without the configuration the log's own connector-id: the hub's receive connector.
    assertKnown(await read(dir, null), known, (k) => k.loggedConnector);
  });

  it('the same answer from two reader threads over byte ranges and from the files in reverse order', async () => {
    const dir = join(base, '2016');
    const one = await read(dir, config);
    assert.deepEqual(await read(dir, config, { workers: 2, chunkBytes: 7_000 }), one);
    const r = await readLogs([dir], { workers: 0 });
    assert.equal(r.trackingFiles, r.files);
    const files = readdirFiles(dir).reverse();
    assert.deepEqual(await read(files, config, { workers: 2, chunkBytes: 9_000 }), one);
  });

  for (const version of ['2013', '2019'] as const) {
    it(`${version}: same layout family, same counts`, async () => {
      const dir = join(base, version);
      const known = devices2016();
      await writeTrackingLogs(dir, known, { version, start: '2026-11-02', fileBytes: 50_000, gzipEvery: 3, seed: 9, submissions: submissions('2016') });
      assertKnown(await read(dir, config), known, (k) => k.reached);
    });
  }

  it('2010: the hub logs the device and the connector it reached; a second hub and mailbox submissions are not more messages', async () => {
    const dir = join(base, '2010');
    const known = devices2010();
    const g = await writeTrackingLogs(dir, known, { version: '2010', start: '2026-11-02', fileBytes: 15_000, gzipEvery: 3, seed: 5, submissions: submissions('2010') });
    assert.ok(g.files.length >= 4 && g.files.some((f) => f.endsWith('.gz')));
    const doc = await read(dir, config);
    assertKnown(doc, known, (k) => k.reached);
    assert.equal(row(doc, '10.30.5.5').externalRecipients, 2 * 15);
    assert.deepEqual(row(doc, '10.20.40.21').hostNames, ['copier-1f.contoso-mfg.example']);
    assertKnown(await read(dir, null), known, (k) => k.loggedConnector);
  });

  for (const version of ['2016', '2010'] as const) {
    it(`${version}: protocol and tracking logs of the same traffic are one row per device, counted once`, async () => {
      const dir = join(base, `merge-${version}`);
      const known = version === '2016' ? devices2016() : devices2010();
      await writeTrackingLogs(join(dir, 'tracking'), known, { version, start: '2026-11-02', fileBytes: 30_000, gzipEvery: 2, seed: 4, submissions: submissions(version) });
      await writeProtocolLogsFor(join(dir, 'protocol'), known, { version, start: '2026-11-02', seed: 4 });
      for (const cfg of [config, null]) {
        const doc = await read(dir, cfg);
        assert.deepEqual(doc.senders.map((s) => s.remoteIp).sort(), known.map((k) => k.device).sort());
        for (const k of known) {
          const s = row(doc, k.device);
          assert.equal(s.connector, k.reached, `${k.device}: the connector the protocol log names`);
          assert.deepEqual(s.seenIn, ['protocol', 'tracking']);
          assert.equal(s.messages, total(k.perDay), `${k.device}: the same messages, not twice`);
          assert.equal(s.sessions, total(k.perDay));
          assert.deepEqual(s.perDay.map((d) => d.messages), k.perDay.filter((n) => n > 0));
        }
        assert.equal(doc.messages, known.reduce((n, k) => n + total(k.perDay), 0));
      }
    });
  }

  it("an Exchange server is never a sender, also on a hub's protocol log (the Front End's proxied sessions)", async () => {
    const dir = join(base, 'hub-protocol');
    const [printer] = devices2016();
    const frontEnd = { ...printer as Known, device: CMEX16A_IP, reached: 'CMEX16B\\Default CMEX16B', entry: { name: 'CMEX16B', ip: '10.20.0.22' } };
    await writeProtocolLogsFor(dir, [frontEnd, { ...printer as Known, entry: { name: 'CMEX16B', ip: '10.20.0.22' }, reached: 'CMEX16B\\Default CMEX16B', device: '10.20.99.9' }], { version: '2016', start: '2026-11-02' });
    assert.deepEqual((await read(dir, config)).senders.map((s) => s.remoteIp), ['10.20.99.9']);
    // Without --config and without tracking logs nothing says 10.20.0.21 is Exchange.
    assert.deepEqual((await read(dir, null)).senders.map((s) => s.remoteIp), [CMEX16A_IP, '10.20.99.9']);
  });

  it('detects tracking logs by content, not by name; a headerless excerpt is skipped with a warning', async () => {
    const header = '#Software: Microsoft Exchange Server\n#Version: 15.01.2507.006\n#Log-type: Message Tracking Log\n#Date: 2026-11-02T00:00:00.000Z\n';
    assert.equal(sniffLogKind(Buffer.from(header)), 'tracking');
    const dir = join(base, 'renamed');
    const known = devices2016().slice(0, 1);
    const g = await writeTrackingLogs(dir, known, { version: '2016', start: '2026-11-02', fileBytes: 1e9, seed: 1 });
    const receiving = g.files.find((f) => !f.endsWith('.gz') && readFileSync(f, 'utf8').includes(',SMTP,RECEIVE,'));
    const text = readFileSync(receiving as string, 'utf8');
    writeFileSync(join(dir, 'notes.txt'), text); // same content, any name
    writeFileSync(join(dir, 'excerpt.csv'), text.split('\r\n').slice(5, 12).join('\r\n'));
    const r = await readLogs([dir], { workers: 0 });
    assert.equal(r.trackingFiles, g.files.length + 1);
    assert.ok(r.warnings.some((w) => w.file.endsWith('excerpt.csv') && /without its #Fields/.test(w.message)), JSON.stringify(r.warnings));
    const doc = buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines, trackingFiles: r.trackingFiles }, null);
    // The same network messages twice: still 15 messages.
    assert.equal(row(doc, '10.20.40.22').messages, 15);
  });
});

function readdirFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name)); else out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}
