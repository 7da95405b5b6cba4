// The message tracking scanner's fast paths held to the plain definitions they stand for, on
// random and damaged input: the held messages by GUID bits (a Map of lower-case ids to the
// earliest RECEIVE), and the caches in front of decoding a RECEIVE's row, signature and server
// (every record decoded, as with `fast: false`).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../bench/lib/prng.js';
import { createTrackingAggregate, mergeTracking, settlePending, TrackingScanner, type TrackingAggregate } from '../../src/logs/tracking.js';
import { claimGuidBytes, claimId, createPending, mergePending, pendingEntries, type PendingMessages } from '../../src/logs/tracking-pending.js';

interface Held { row: number; ms: number; sig: number }

/** The plain definition: the earliest RECEIVE per id; at the same instant (or both undated) the lower row. */
function plainClaim(map: Map<string, Held>, id: string, m: Held): void {
  const have = map.get(id);
  const earlier = have === undefined ? true
    : Number.isNaN(have.ms) ? !Number.isNaN(m.ms) || m.row < have.row
      : Number.isNaN(m.ms) ? false
        : m.ms < have.ms || (m.ms === have.ms && m.row < have.row);
  if (earlier) map.set(id, m);
}

const entries = (p: PendingMessages): Array<[string, Held]> => [...pendingEntries(p)].map(({ id, row, ms, sig }) => [id, { row, ms, sig }]);

const HEXCHARS = '0123456789abcdefABCDEF';

/** An id as logs write it: mostly GUIDs (either case), some damaged or of another form. */
function randomId(rand: () => number, pool: string[]): string {
  const pick = (n: number): number => Math.floor(rand() * n);
  if (pool.length > 0 && rand() < 0.4) return pool[pick(pool.length)] as string;
  let id: string;
  const r = rand();
  if (r < 0.75) {
    id = [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => HEXCHARS[pick(rand() < 0.9 ? 16 : 22)]).join('')).join('-');
  } else {
    const forms = ['', ' ', 'x', '{0f8fad5b-d9cb-469f-a165-70867728950e}', '0f8fad5b-d9cb-469f-a165-70867728950', '0f8fad5bd-9cb-469f-a165-70867728950e',
      '0f8fad5b-d9cb-469f-a165-70867728950g', '0f8fad5b-d9cb-469f-a165_70867728950e', '0f8fad5b-d9cb-469fxa165-70867728950e', '0f8fad5b-d9cbx469f-a165-70867728950e', ' 0f8fad5b-d9cb-469f-a165-70867728950e', '0F8FAD5B-D9CB-469F-A165-70867728950E',
      '0f8fad5b-d9cb-469f-a165-7086772895\u00e9e', '0f8fad5b-d9cb-469f-a165-70867728950e ', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '<abc@example>'];
    id = forms[pick(forms.length)] as string;
  }
  pool.push(id);
  return id;
}

/** Claims `raw` (the id's text as a log has it) as the scanner does: by its bytes when they are a GUID, else trimmed and lower case. */
function claimRaw(p: PendingMessages, raw: string, m: Held): void {
  const bytes = Buffer.from(`,${raw},`, 'utf8');
  if (claimGuidBytes(p, bytes, 1, bytes.length - 1, m.row, m.ms, m.sig)) return;
  const id = raw.trim().toLowerCase();
  if (id !== '') claimId(p, id, m.row, m.ms, m.sig); // no id: counted at once, never held
}

describe('held tracking messages (GUID bits) against a Map of ids', () => {
  it('random claims, ties, undated records, ids in either case and not GUIDs: the same winners in the same order', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rand = prng(seed);
      const p = createPending();
      const plain = new Map<string, Held>();
      const pool: string[] = [];
      const n = seed % 3 === 0 ? 3000 : 200; // 3000: past the first table and columns
      for (let i = 0; i < n; i++) {
        const raw = randomId(rand, pool);
        const m: Held = { row: Math.floor(rand() * 6) - 1, ms: rand() < 0.1 ? Number.NaN : Math.floor(rand() * 20), sig: Math.floor(rand() * 5) };
        claimRaw(p, raw, m);
        const id = raw.trim().toLowerCase();
        if (id !== '') plainClaim(plain, id, m);
      }
      assert.deepEqual(entries(p), [...plain], `seed ${seed}`);
    }
  });

  it('merging two readers\' held messages gives what one reader of both gives, rows and signatures renumbered', () => {
    for (let seed = 100; seed < 140; seed++) {
      const rand = prng(seed);
      const a = createPending(), b = createPending();
      const plain = new Map<string, Held>();
      const pool: string[] = [];
      const rowMap = [7, 3, 9, 0, 5], sigMap = [4, 2, 8, 1, 6];
      const later = new Map<string, Held>(); // the second reader's own winners, by its own numbers
      for (let i = 0; i < 400; i++) {
        const raw = randomId(rand, pool);
        const m: Held = { row: Math.floor(rand() * 6) - 1, ms: rand() < 0.1 ? Number.NaN : Math.floor(rand() * 20), sig: Math.floor(rand() * 5) };
        const id = raw.trim().toLowerCase();
        if (i < 200) { claimRaw(a, raw, m); if (id !== '') plainClaim(plain, id, m); } else { claimRaw(b, raw, m); if (id !== '') plainClaim(later, id, m); }
      }
      for (const [id, m] of later) plainClaim(plain, id, { row: m.row < 0 ? -1 : rowMap[m.row] as number, ms: m.ms, sig: m.row < 0 ? -1 : sigMap[m.sig] as number });
      mergePending(a, b, rowMap, sigMap);
      assert.deepEqual(entries(a), [...plain], `seed ${seed}`);
    }
  });
});

const FIELDS_2016 = 'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version';
const FIELDS_2010 = 'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data';

/** A CSV field as Exchange writes it: quoted when it has a comma or a quote, quotes doubled. */
const csv = (text: string): string => (/[",]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** A tracking log with records that repeat each other's fields byte for byte, and ones that differ only in spelling. */
function randomLog(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const addresses = ['10.0.0.11', '10.0.0.12', '10.1.0.5', '[10.1.0.5]', '::1', 'FE80::1%3', 'fe80::1', '', ' 10.1.0.7 ', '198.51.100.7', '2001:DB8::5'];
  const hosts = ['EX01', 'EX01.corp.example', 'ex01.corp.example', 'EX02', '', 'printer7.corp.example', 'Printer7', '10.1.0.5', 'scan"er', 'a,b', ' host9 '];
  const connectors = ['EX01\\Default EX01', 'EX02\\Default EX02', ' EX01\\Relay EX01', 'Relay "A"', '', 'EX01\\Default EX01 '];
  const people = ['app1@d1.example', 'App1@D1.example', '<app2@d2.example>', '<>', '', 'x@', 'noat', 'user@Corp.Example', ' u@e.example ', 'q"x@e.example'];
  const ids = ['0f8fad5b-d9cb-469f-a165-70867728950e', '0F8FAD5B-D9CB-469F-A165-70867728950E', '0f8fad5b-d9cb-469fxa165-70867728950e', ' 0f8fad5b-d9cb-469f-a165-70867728950e', '7c9e6679-7425-40de-944b-e07fc1f90ae7', '', 'not-a-guid', 'q"uote'];
  const version = pick(['15.01.2507.006', '14.03.123.4', '']);
  const fields = version.startsWith('14') ? FIELDS_2010 : FIELDS_2016;
  const names = fields.split(',');
  const lines = ['#Software: Microsoft Exchange Server', ...(version === '' ? [] : [`#Version: ${version}`]), '#Log-type: Message Tracking Log', `#Fields: ${fields}`];
  const n = 50 + Math.floor(rand() * 250);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.01) { lines.push(`#Version: ${pick(['15.01.2507.006', '14.03.123.4', '8.0'])}`); continue; }
    const record: Record<string, string> = {
      'date-time': rand() < 0.05 ? 'garbage' : `2026-11-0${1 + Math.floor(rand() * 3)}T0${Math.floor(rand() * 10)}:00:${String(Math.floor(rand() * 60)).padStart(2, '0')}.${String(Math.floor(rand() * 1000)).padStart(3, '0')}Z`,
      'client-ip': pick(addresses), 'client-hostname': pick(hosts), 'server-ip': pick(addresses.slice(0, 3)), 'server-hostname': pick([...hosts.slice(0, 5), 'EX"03']),
      'connector-id': pick(connectors), source: pick(['SMTP', 'SMTP', 'smtp', 'STOREDRIVER', 'AGENT']), 'event-id': pick(['RECEIVE', 'RECEIVE', 'receive', 'SEND', 'DELIVER']),
      'network-message-id': pick(ids), 'recipient-address': Array.from({ length: Math.floor(rand() * 3) }, () => pick(people)).join(';'),
      'return-path': pick(people), 'original-client-ip': pick(addresses),
    };
    // Now and then a field with quotes written unquoted, its quotes doubled: the same bytes
    // between the commas as the quoted field, another text.
    lines.push(names.map((name) => { const v = record[name] ?? ''; return v.includes('"') && !v.includes(',') && rand() < 0.3 ? v.replaceAll('"', '""') : csv(v); }).join(','));
  }
  return `${lines.join(rand() < 0.5 ? '\r\n' : '\n')}\n`;
}

/** What a tracking aggregate holds, settled, as plain values (order kept where it is the aggregate's). */
function view(agg: TrackingAggregate): unknown {
  settlePending(agg);
  return {
    events: agg.events, receives: agg.receives, storeDriverReceives: agg.storeDriverReceives, sigs: agg.sigs,
    exchangeAddresses: [...agg.exchangeAddresses],
    rows: agg.rows.map((r) => ({ ...r, counts: [...r.counts].map(([sig, days]) => [agg.sigs[sig], [...days]]) })),
  };
}

function scanInto(agg: TrackingAggregate, text: string, fast: boolean, chunk: number): void {
  const buf = Buffer.from(text, 'utf8');
  const scanner = new TrackingScanner(agg, 'MSGTRK.LOG', 1, undefined, { fast });
  let pos = 0;
  for (let end = chunk; end < buf.length; end += chunk) pos = scanner.scan(buf, pos, end, false);
  scanner.scan(buf, pos, buf.length, true);
}

describe('tracking scanner caches against decoding every record', () => {
  it('random logs, several files into one aggregate: the same rows, signatures, servers and held messages', () => {
    for (let seed = 1; seed <= 80; seed++) {
      const rand = prng(seed);
      const logs = Array.from({ length: 1 + (seed % 3) }, () => randomLog(rand));
      const fast = createTrackingAggregate(), plain = createTrackingAggregate();
      for (const log of logs) { scanInto(fast, log, true, 37 + seed); scanInto(plain, log, false, 1 << 20); }
      assert.deepEqual(entries(fast.pending), entries(plain.pending), `seed ${seed}: held messages`);
      assert.deepEqual(view(fast), view(plain), `seed ${seed}`);
    }
  });

  it('a server name with quotes between two of the same pair: the pair set last is the one kept', () => {
    const record = (host: string): string => `2026-11-02T07:00:00.000Z,10.1.0.5,,10.0.0.11,${host},,EX01\\Default EX01,SMTP,RECEIVE,1,<m@x>,,u@corp.example,,1,1,,,s,a@d.example,a@d.example,,Originating,,10.1.0.5,,,Email,x,15.01.2507.006`;
    const log = ['#Version: 15.01.2507.006', `#Fields: ${FIELDS_2016}`, record('EX01'), record('"EX""03"'), record('EX01')].join('\r\n');
    const fast = createTrackingAggregate(), plain = createTrackingAggregate();
    scanInto(fast, log, true, 1 << 20);
    scanInto(plain, log, false, 1 << 20);
    assert.equal(plain.exchangeAddresses.get('10.0.0.11'), 'EX01');
    assert.deepEqual(view(fast), view(plain));
  });

  it('a merge into an aggregate that is read on: the server pair is recorded again', () => {
    for (let seed = 200; seed < 230; seed++) {
      const rand = prng(seed);
      const [first, second, third] = [randomLog(rand), randomLog(rand), randomLog(rand)];
      const run = (fast: boolean): unknown => {
        const agg = createTrackingAggregate(), other = createTrackingAggregate();
        scanInto(agg, first, fast, 1 << 20);
        scanInto(other, second, fast, 1 << 20);
        mergeTracking(agg, other);
        scanInto(agg, third, fast, 1 << 20);
        return view(agg);
      };
      assert.deepEqual(run(true), run(false), `seed ${seed}`);
    }
  });
});
