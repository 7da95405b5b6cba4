// The scanner's fast paths held to the plain definitions they stand for, on random and damaged
// input: dates read from the bytes, the first word of an AUTH command, and the cache in front of
// the session table's Map.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asciiAddress, asciiFirstWordUpper, asciiTrimmed, commaOrEnd, dateMs, extractAddress, LogScanner, SessionTable } from '../../src/logs/scan.js';
import { summarizeSession } from '../../src/logs/session.js';
import type { SessionPartial } from '../../src/logs/types.js';
import { prng } from '../../bench/lib/prng.js';

/** The general loop dateMs had before its three-digit shortcut: every fraction digit scaled, then floored. */
function plainDateMs(buf: Buffer, s: number, e: number): number {
  const digit = (i: number): number => (buf[i] as number) - 48;
  const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;
  if (e - s >= 20 && buf[s + 4] === 45 && buf[s + 7] === 45 && buf[s + 10] === 84 && buf[s + 13] === 58 && buf[s + 16] === 58) {
    let ms = 0;
    let i = s + 19;
    if (buf[i] === 46) {
      let scale = 100;
      for (i++; i < e && isDigit(buf[i]); i++) { ms += digit(i) * scale; scale /= 10; }
      ms = Math.floor(ms);
    }
    const h = digit(s + 11) * 10 + digit(s + 12);
    const mi = digit(s + 14) * 10 + digit(s + 15);
    const sec = digit(s + 17) * 10 + digit(s + 18);
    if (i === e - 1 && buf[i] === 90 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && sec >= 0 && sec < 61) {
      const y = digit(s) * 1000 + digit(s + 1) * 100 + digit(s + 2) * 10 + digit(s + 3);
      return Date.UTC(y, digit(s + 5) * 10 + digit(s + 6) - 1, digit(s + 8) * 10 + digit(s + 9)) + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
    }
  }
  return Date.parse(buf.toString('latin1', s, e));
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** A date-time as Exchange writes it, or one damaged in one of the ways logs are. */
function randomDate(rand: () => number): string {
  const pick = (n: number): number => Math.floor(rand() * n);
  const fraction = ['', '.', `.${pad(pick(1000), 3)}`, `.${pick(10)}`, `.${pad(pick(100), 2)}`, `.${pad(pick(10000), 4)}`, `.${pad(pick(10_000_000), 7)}`][pick(7)];
  let text = `${1990 + pick(60)}-${pad(1 + pick(12), 2)}-${pad(1 + pick(28), 2)}T${pad(pick(26), 2)}:${pad(pick(61), 2)}:${pad(pick(62), 2)}${fraction}Z`;
  const damage = pick(4);
  if (damage === 0) { // one byte replaced
    const at = pick(text.length);
    text = text.slice(0, at) + 'x9Z.:-T '[pick(8)] + text.slice(at + 1);
  } else if (damage === 1) { // cut short
    text = text.slice(0, pick(text.length + 1));
  }
  return text;
}

describe('scanner fast paths against their plain definitions', () => {
  it('dateMs reads every date as the general loop does, damaged ones included', () => {
    const rand = prng(19);
    for (let n = 0; n < 20_000; n++) {
      const text = randomDate(rand);
      // Surrounded by other bytes, as in a record.
      const buf = Buffer.from(`ab,${text},cd`, 'latin1');
      const got = dateMs(buf, 3, 3 + text.length);
      const want = plainDateMs(buf, 3, 3 + text.length);
      assert.ok(Object.is(got, want), `${text}: ${got} instead of ${want}`);
    }
  });

  it('commaOrEnd finds the first comma as a byte loop does, at any alignment and length', () => {
    const rand = prng(31);
    // Commas, their neighbours, and bytes that differ from a comma only in the high bit or in one
    // low bit: what a word-at-a-time test gets wrong first.
    const bytes = [0x2c, 0x2c, 0x2b, 0x2d, 0xac, 0x2e, 0x0c, 0x3c, 0x00, 0xff, 0x41, 0x20, 0x01, 0x6c];
    for (let n = 0; n < 20_000; n++) {
      const buf = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 40) }, () => (rand() < 0.7 ? 0x41 + Math.floor(rand() * 26) : bytes[Math.floor(rand() * bytes.length)] as number)));
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const k = Math.floor(rand() * buf.length);
      const le = k + Math.floor(rand() * (buf.length - k + 1));
      let want = k;
      while (want < le && buf[want] !== 0x2c) want++;
      assert.equal(commaOrEnd(buf, view, k, le), want, `${buf.toString('hex')} from ${k} to ${le}`);
    }
  });

  // Bytes a MAIL FROM / EHLO / AUTH argument may hold: letters, the address brackets, ASCII white
  // space, a no-break space and an accented letter in UTF-8, a stray high byte.
  const PIECES = ['a', 'B', 'x', '@', '.', '<', '>', ' ', '\t', '\v', '\f', '\r', '\u00a0', 'é', '\u0001', '\u00ff'];
  const randomField = (rand: () => number): Buffer => {
    const parts: Buffer[] = [];
    const len = Math.floor(rand() * 12);
    for (let i = 0; i < len; i++) {
      const piece = PIECES[Math.floor(rand() * PIECES.length)] as string;
      parts.push(piece === '\u00ff' ? Buffer.from([0xff]) : Buffer.from(piece, 'utf8'));
    }
    return Buffer.concat(parts);
  };

  it('asciiAddress, asciiTrimmed and asciiFirstWordUpper give what the text path gives whenever they answer', () => {
    const rand = prng(23);
    let answered = 0;
    for (let n = 0; n < 30_000; n++) {
      const field = randomField(rand);
      const text = field.toString('utf8');
      const address = asciiAddress(field, 0, field.length);
      if (address !== null) { answered++; assert.equal(address, extractAddress(text), JSON.stringify(text)); }
      const trimmed = asciiTrimmed(field, 0, field.length);
      if (trimmed !== null) { answered++; assert.equal(trimmed, text.trim(), JSON.stringify(text)); }
      const word = asciiFirstWordUpper(field, 0, field.length);
      if (word !== null) { answered++; assert.equal(word, (text.trim().split(/\s+/)[0] ?? '').toUpperCase(), JSON.stringify(text)); }
    }
    assert.ok(answered > 20_000, `the fast paths answered only ${answered} times`);
  });
});

describe('session table cache', () => {
  /** Records of interleaved sessions whose ids recur (also after the session ended) and collide. */
  function randomLog(rand: () => number): string {
    const pick = (n: number): number => Math.floor(rand() * n);
    const ids = Array.from({ length: 40 }, (_, i) => (i < 4 ? '0000000000000000' : `08DE${pad(pick(1e6), 6)}${(0x10000 + pick(0xf0000)).toString(16).toUpperCase()}`.padEnd(16, '0').slice(0, 16)));
    const open: Array<{ sid: string; remote: string; seq: number; steps: string[] }> = [];
    const lines: string[] = [];
    for (let n = 0; n < 3000; n++) {
      if (open.length === 0 || (open.length < 30 && pick(3) === 0)) {
        const sid = ids[pick(ids.length)] as string;
        const remote = `10.0.${pick(4)}.${pick(4)}:${1000 + pick(3)}`;
        const steps = ['+', '<,EHLO h', '>,250 ok', '<,MAIL FROM:<a@b.example>', '>,250 2.1.0 ok', '<,RCPT TO:<c@d.example>', '>,250 2.1.5 ok', '<,DATA', '>,250 queued'];
        if (pick(5) > 0) steps.push('-');
        open.push({ sid, remote, seq: 0, steps });
      }
      const at = pick(open.length);
      const s = open[at] as (typeof open)[number];
      const step = s.steps[s.seq] as string;
      // Now and then a gap in the numbering, which keeps a session open until the idle sweep.
      if (pick(50) === 0) s.seq++;
      lines.push(`2026-11-02T08:${pad(Math.floor(n / 60) % 60, 2)}:${pad(n % 60, 2)}.000Z,EX01\\Relay EX01,${s.sid},${s.seq},10.0.0.11:25,${s.remote},${step.includes(',') ? step : `${step},`},`);
      s.seq++;
      if (s.seq >= s.steps.length) open.splice(at, 1);
    }
    return `${lines.join('\n')}\n`;
  }

  it('reading with the cache in front of the Map finishes the same sessions in the same order as without', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const log = Buffer.from(randomLog(prng(seed)));
      const read = (recentSlots: number): string[] => {
        const out: string[] = [];
        const describe = (p: SessionPartial): string => JSON.stringify({ key: p.key, records: p.records, maxSeq: p.maxSeq, flags: p.flags, events: p.events, args: p.args, summary: summarizeSession(p) });
        // A small sweep interval and cache, so that sweeps, slot collisions and reused ids all happen.
        const table = new SessionTable((p) => out.push(describe(p)), 64, recentSlots);
        const scanner = new LogScanner(table, 'random.log');
        scanner.scan(log, 0, log.length, true);
        scanner.finish();
        for (const p of table.drain()) out.push(`open ${describe(p)}`);
        return out;
      };
      assert.deepEqual(read(8), read(0), `seed ${seed}`);
    }
  });
});
