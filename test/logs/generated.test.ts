// Generated logs with known counts: many interleaved sessions, auth and TLS, accepted and
// rejected recipients, files rolled mid-session, gzip; read in this thread, by two worker
// threads over line-aligned byte ranges, and with the files in reverse order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLogs, type Expected } from '../../bench/lib/log-generator.js';
import { buildLogsDocument, type LogsDocument } from '../../src/logs/aggregate.js';
import { readLogs } from '../../src/logs/reader.js';
import { mixedProfiles } from './profiles.js';

function assertMatches(doc: LogsDocument, expected: Expected): void {
  assert.equal(doc.sessions, expected.sessions);
  assert.equal(doc.messages, expected.messages);
  assert.equal(doc.lines, expected.lines);
  assert.equal(doc.senders.length, expected.senders.size);
  for (const s of doc.senders) {
    const e = expected.senders.get(`${s.connector}\u0000${s.remoteIp}`);
    assert.ok(e, `unexpected sender ${s.connector} ${s.remoteIp}`);
    assert.deepEqual(
      { sessions: s.sessions, messages: s.messages, tls: s.tls, accounts: s.authenticatedAs, from: s.mailFromDomains, to: s.rcptDomains, rejected: s.rejectedRecipients },
      { sessions: e.sessions, messages: e.messages, tls: e.tlsSessions === e.sessions, accounts: [...e.accounts].sort(), from: e.mailFromDomains, to: e.rcptDomains, rejected: e.rejectedRecipients },
      `${s.connector} ${s.remoteIp}`,
    );
  }
}

describe('generated logs with known counts', () => {
  let dir = '';
  let files: string[] = [];
  let expected: Expected;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-gen-'));
    ({ files, expected } = await writeGeneratedLogs(dir, mixedProfiles(3), { fileBytes: 150_000, gzipEvery: 3, concurrency: 24, seed: 11 }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the generator produced what the test needs', () => {
    assert.ok(files.length >= 6, `${files.length} files`);
    assert.ok(files.some((f) => f.endsWith('.gz')));
    // hand check of the profile arithmetic: 10.1.2.4 sends 3 messages in each of its 75 sessions
    assert.equal(expected.senders.get('EX01\\Relay EX01\u000010.1.2.4')?.messages, 225);
    assert.equal(expected.sessions, 390);
  });

  it('read in this thread', async () => {
    const r = await readLogs([dir], { workers: 0 });
    assertMatches(buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null), expected);
    assert.equal(r.files, files.length);
  });

  it('read by two worker threads over byte ranges cut mid-file', async () => {
    const r = await readLogs([dir], { workers: 2, chunkBytes: 40_000 });
    assertMatches(buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null), expected);
  });

  it('frequent idle sweeps never finish a session cut by a range boundary early', async () => {
    const r = await readLogs([dir], { workers: 2, chunkBytes: 30_000, sweepEvery: 64 });
    assertMatches(buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null), expected);
  });

  it('files given in reverse order give the same document', async () => {
    const forward = await readLogs(files, { workers: 0 });
    const backward = await readLogs([...files].reverse(), { workers: 2, chunkBytes: 25_000 });
    const doc = (r: typeof forward): LogsDocument => buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null);
    assert.deepEqual(doc(backward), doc(forward));
  });

  it('2010 flavour: one record per EHLO reply line', async () => {
    const d2010 = mkdtempSync(join(tmpdir(), 'exrelay-logs-2010-'));
    try {
      const g = await writeGeneratedLogs(d2010, mixedProfiles(1), { fileBytes: 80_000, concurrency: 10, seed: 5, flavor: '2010' });
      const r = await readLogs([d2010], { workers: 0 });
      assertMatches(buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null), g.expected);
    } finally {
      rmSync(d2010, { recursive: true, force: true });
    }
  });
});
