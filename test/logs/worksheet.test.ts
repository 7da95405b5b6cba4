// The per-sender worksheet as a spreadsheet sees it: UTF-8 with BOM, one header row, CRLF,
// names with commas and quotes quoted, formula-looking cells defused; a filled-in copy (saved
// by a spreadsheet, columns moved, no BOM) reads back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { LOGS_SCHEMA } from '../../src/model.js';
import type { LogsDocument, LogsSender } from '../../src/logs/aggregate.js';
import { readWorksheet, renderWorksheet, WORKSHEET_COLUMNS } from '../../src/logs/worksheet.js';
import { runCli } from '../helpers/cli.js';

function sender(over: Partial<LogsSender>): LogsSender {
  return {
    connector: 'EX01\\Relay EX01', remoteIp: '10.1.2.3', sessions: 4, messages: 4, authenticatedAs: [], tls: false,
    mailFromDomains: { 'corp.example': 4 }, rcptDomains: { 'corp.example': 4, 'external.example': 2 }, externalRecipients: 2,
    rejectedRecipients: 0, firstSeen: '2026-11-02T08:00:00.000Z', lastSeen: '2026-11-03T08:00:00.000Z', seenIn: ['protocol'],
    perDay: [{ day: '2026-11-02', messages: 3, recipients: 4, externalRecipients: 1 }, { day: '2026-11-03', messages: 1, recipients: 2, externalRecipients: 1 }],
    hostNames: [], ...over,
  };
}

const DOC: LogsDocument = {
  schema: LOGS_SCHEMA, files: 2, lines: 100, sessions: 4, messages: 9, unusedRanges: [], trackingFiles: 1,
  senders: [
    sender({}),
    sender({ connector: 'EX01\\Relay, Printers "2nd floor"', remoteIp: '10.1.2.4', authenticatedAs: ['CORP\\svc-scan, old'], tls: true, hostNames: ['scan,er.corp.example'], seenIn: ['protocol', 'tracking'] }),
    sender({ remoteIp: '10.1.2.5', sessions: 0, seenIn: ['tracking'], mailFromDomains: { '=cmd|calc!A1': 1 }, messages: 1,
      perDay: [{ day: '2026-11-02', messages: 1, recipients: 1, externalRecipients: 0 }] }),
  ],
};

describe('worksheet', () => {
  it('is UTF-8 with BOM, one header row, CRLF, and parses back to the same values', () => {
    const text = renderWorksheet(DOC);
    assert.ok(text.startsWith('\uFEFFremoteIp,hostNames,connector,'));
    assert.equal(Buffer.from(text, 'utf8').subarray(0, 3).toString('hex'), 'efbbbf');
    assert.ok(text.endsWith('\r\n') && !/[^\r]\n/.test(text), 'CRLF only');
    const rows = parse<Record<string, string>>(text, { bom: true, columns: true });
    assert.equal(rows.length, 3);
    assert.deepEqual(Object.keys(rows[0] ?? {}), [...WORKSHEET_COLUMNS]);
    const [plain, quoted, tracked] = rows as [Record<string, string>, Record<string, string>, Record<string, string>];
    assert.equal(quoted.connector, 'EX01\\Relay, Printers "2nd floor"');
    assert.equal(quoted.accounts, 'CORP\\svc-scan, old');
    assert.equal(quoted.hostNames, 'scan,er.corp.example');
    assert.equal(quoted.auth, 'authenticated');
    assert.equal(quoted.seenIn, 'protocol+tracking');
    assert.equal(plain.auth, 'anonymous');
    assert.equal(plain.tls, 'no');
    assert.equal(plain.senderDomains, 'corp.example (4)');
    assert.equal(plain.recipientDomains, 'corp.example (4); external.example (2)');
    assert.equal(plain.days, '2');
    assert.equal(plain.messagesPerDay, '2');
    assert.equal(plain.externalRecipientsPerDay, '1');
    assert.equal(plain.internalRecipientsPerDay, '2');
    assert.equal(plain.maxExternalRecipientsPerDay, '1');
    assert.deepEqual([plain.owner, plain.application, plain.decision], ['', '', '']);
    // Only tracking logs saw it: authentication and TLS are unknown, not "anonymous, no".
    assert.equal(tracked.auth, 'unknown');
    assert.equal(tracked.tls, '');
    // A value a spreadsheet would run as a formula is written as text.
    assert.equal(tracked.senderDomains, "'=cmd|calc!A1 (1)");
  });

  it('without --config the internal/external columns are empty, not zero', () => {
    const doc = { ...DOC, senders: [sender({ externalRecipients: null, perDay: [{ day: '2026-11-02', messages: 4, recipients: 6, externalRecipients: null }] })] };
    const [row] = parse<Record<string, string>>(renderWorksheet(doc), { bom: true, columns: true });
    assert.deepEqual([row?.internalRecipientsPerDay, row?.externalRecipientsPerDay, row?.maxExternalRecipientsPerDay], ['', '', '']);
  });

  it('reads a filled-in copy back: columns moved, no BOM, a decision with a comma', () => {
    const rows = parse<Record<string, string>>(renderWorksheet(DOC), { bom: true, columns: true });
    const header = ['decision', 'remoteIp', 'owner', 'connector', 'application', 'note'];
    const csvCell = (v: string): string => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    const filled = [header.join(','),
      ...rows.map((r, i) => [i === 1 ? 'keep-on-premises, until 2027' : 'high-volume-email', r.remoteIp ?? '', `Facilities ${i}`, r.connector ?? '', i === 2 ? '=SUM(A1)' : 'Scanner', 'x'].map(csvCell).join(','))].join('\n');
    const entries = readWorksheet(filled, 'filled.csv');
    assert.equal(entries.length, 3);
    assert.deepEqual(entries[1], { remoteIp: '10.1.2.4', connector: 'EX01\\Relay, Printers "2nd floor"', owner: 'Facilities 1', application: 'Scanner', decision: 'keep-on-premises, until 2027', line: 3 });
    assert.equal(entries[2]?.application, '=SUM(A1)');
  });

  it('a CSV that is not a worksheet is bad input naming the file', () => {
    assert.throws(() => readWorksheet('a,b\n1,2\n', 'x.csv'), (e: Error & { file?: string; line?: number }) => e.file === 'x.csv' && e.line === 1 && /no remoteIp, connector, owner, application, decision column/.test(e.message));
    assert.throws(() => readWorksheet('remoteIp,connector,owner,application,decision\n"10.1.2.3,x\n', 'y.csv'), (e: Error & { file?: string }) => e.file === 'y.csv' && /not a readable CSV/.test(e.message));
  });

  it('exrelay logs --worksheet writes it next to the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-ws-'));
    try {
      const file = join(dir, 'senders.csv');
      const r = await runCli(['logs', 'fixtures/estate-2010-2016/logs', '--config', 'fixtures/estate-2010-2016', '--worksheet', file, '--format', 'json']);
      assert.equal(r.exitCode, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as LogsDocument;
      assert.match(r.stderr, new RegExp(`wrote .*senders\\.csv \\(${doc.senders.length} senders\\)`));
      const rows = parse<Record<string, string>>(readFileSync(file), { bom: true, columns: true });
      assert.deepEqual(rows.map((x) => `${x.connector} ${x.remoteIp}`), doc.senders.map((s) => `${s.connector} ${s.remoteIp}`));
      assert.deepEqual(readWorksheet(readFileSync(file, 'utf8'), file).map((e) => e.remoteIp), doc.senders.map((s) => s.remoteIp));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
