// Load: many concurrent sessions each sending several messages; every message answered 250 is
// in the capture directory exactly once. Modest numbers here (LOAD_SESSIONS / LOAD_MESSAGES
// raise them); bench/sandbox.bench.ts runs the full 200 x 50 and measures throughput.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadFixture, start } from './helpers.js';
import { runLoad } from './load-client.js';

const SESSIONS = Number(process.env.LOAD_SESSIONS ?? 200);
const MESSAGES = Number(process.env.LOAD_MESSAGES ?? 5);

describe('sandbox under load', () => {
  it(`${SESSIONS} concurrent sessions x ${MESSAGES} messages: every 250 captured, none twice`, async () => {
    const s = await start(await loadFixture('estate-2019.snapshot.json'), { clientIp: '192.0.2.5', xclient: false });
    try {
      const { finals, errors } = await runLoad(s.portOf(25), SESSIONS, MESSAGES, 2048);
      assert.deepEqual(errors, []);
      assert.equal(finals.length, SESSIONS * MESSAGES);
      const ids = finals.map((f) => /^250 2\.6\.0 <[^>]+> \[InternalId=(\d+), /.exec(f)?.[1] ?? `not queued: ${f}`);
      assert.equal(new Set(ids).size, ids.length, 'every final reply names its own message');
      const files = await readdir(join(s.dir, 'capture'));
      const eml = files.filter((f) => f.endsWith('.eml')).map((f) => f.slice(0, -4)).sort();
      const json = files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
      assert.deepEqual(eml, [...ids].sort());
      assert.deepEqual(json, [...ids].sort());
      // While it runs, the sandbox's lock is the only dot-file: no temporary file left behind.
      assert.deepEqual(files.filter((f) => f.startsWith('.')), ['.exrelay-sandbox.lock'], 'no temporary file left behind');
    } finally { await s.stop(); }
  });
});
