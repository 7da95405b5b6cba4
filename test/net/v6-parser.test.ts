// The IPv6 reader was rewritten to parse in one pass without intermediate arrays (IPv6-heavy
// estates parse millions of range bounds). This pins parseAddressExact to the reader it
// replaced, kept here as the reference, on generated texts: valid forms of every shape (`::`
// anywhere, dotted IPv4 tails, upper and lower case, leading zeros) and damaged ones (a colon
// too many or too few, five hex digits, two `::`, stray characters, dotted parts not at the end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ipaddr from 'ipaddr.js';
import { parseAddressExact, parseIpv4Number, readAddressExact } from '../../src/net/index.js';
import { prng } from '../../bench/lib/prng.js';

/** The reader before the rewrite, unchanged. */
function referenceV6(text: string): bigint | null {
  const double = text.indexOf('::');
  if (double >= 0 && text.indexOf('::', double + 1) >= 0) return null;
  const head = double >= 0 ? text.slice(0, double) : text;
  const tail = double >= 0 ? text.slice(double + 2) : '';
  const groups = (part: string, v4TailAllowed: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] as string;
      if (v4TailAllowed && i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIpv4Number(p);
        if (v4 === null) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (p.length === 0 || p.length > 4) return null;
      let g = 0;
      for (let k = 0; k < p.length; k++) {
        const c = p.charCodeAt(k);
        const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
        if (d < 0) return null;
        g = g * 16 + d;
      }
      out.push(g);
    }
    return out;
  };
  const h = groups(head, double < 0);
  const t = groups(tail, true);
  if (h === null || t === null) return null;
  const missing = 8 - h.length - t.length;
  if (double >= 0 ? missing < 1 : missing !== 0) return null;
  const all = h.length === 8 ? h : [...h, ...new Array<number>(missing).fill(0), ...t];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return value;
}

/** parseAddressExact before the rewrite, for a text that is not IPv4 and needs no trimming. */
function referenceExact(t: string): string | null {
  const v4 = parseIpv4Number(t);
  if (v4 !== null) return `4|${v4}`;
  if (!t.includes(':')) return null;
  const fast = referenceV6(t);
  if (fast !== null) return `6|${fast}`;
  if (t.includes('.') || !ipaddr.IPv6.isValid(t)) return null;
  let value = 0n;
  for (const p of ipaddr.IPv6.parse(t).parts) value = (value << 16n) | BigInt(p);
  return `6|${value}`;
}

function generated(random: () => number): string {
  const pick = (n: number): number => Math.floor(random() * n);
  const hex = (): string => {
    const digits = 1 + pick(pick(10) === 0 ? 6 : 4);
    let s = '';
    for (let i = 0; i < digits; i++) s += '0123456789abcdefABCDEFg.:'[pick(pick(30) === 0 ? 25 : 22)] as string;
    return s;
  };
  const v4 = (): string => Array.from({ length: pick(8) === 0 ? 3 : 4 }, () => String(pick(pick(10) === 0 ? 300 : 256))).join('.');
  const count = pick(10);
  const parts = Array.from({ length: count }, hex);
  if (pick(4) === 0) parts.push(v4());
  if (pick(6) === 0) parts.splice(pick(parts.length + 1), 0, v4());
  let text = parts.join(':');
  if (pick(2) === 0) {
    const at = pick(text.length + 1);
    text = `${text.slice(0, at)}::${text.slice(at)}`;
  }
  if (pick(12) === 0) text = text.replace(':', pick(2) === 0 ? ':::' : '');
  if (pick(15) === 0) text += pick(2) === 0 ? ':' : '::';
  return text;
}

test('parseAddressExact reads every generated IPv6 text as the reader it replaced (200,000 texts)', () => {
  const random = prng(19);
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < 200_000; i++) {
    const text = generated(random);
    const expected = referenceExact(text);
    const got = parseAddressExact(text);
    assert.equal(got === null ? null : `${got.family}|${got.value}`, expected, text);
    if (expected === null) invalid++; else valid++;
  }
  assert.ok(valid > 20_000 && invalid > 20_000, `both outcomes occur (${valid} read, ${invalid} refused)`);
});

test('the forms administrators write read as before', () => {
  for (const text of ['::', '::1', '1::', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '::ffff:10.1.2.3', '64:ff9b::192.0.2.33', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '1::2:3:4:5:6:7', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1::', '1:::2', '1.2.3.4::', 'fe80::1']) {
    const got = parseAddressExact(text);
    assert.equal(got === null ? null : `${got.family}|${got.value}`, referenceExact(text), text);
  }
});

test('texts of hex digits and colons only (the one-pass reader of readAddressExact) read as the reader it replaced', () => {
  const random = prng(23);
  const pick = (n: number): number => Math.floor(random() * n);
  const parts = new Float64Array(3);
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < 60_000; i++) {
    let text: string;
    if (pick(2) === 0) {
      // Free strings of the alphabet: every placement of colons.
      text = '';
      const length = pick(42);
      for (let k = 0; k < length; k++) text += pick(3) === 0 ? ':' : '0123456789abcdefABCDEF'[pick(22)] as string;
    } else {
      // Near-valid: one to nine groups of one to five digits, maybe a `::`, maybe a colon more or less.
      const count = 1 + pick(9);
      const groups = Array.from({ length: count }, () => Array.from({ length: 1 + pick(pick(8) === 0 ? 5 : 4) }, () => '0123456789abcdefABCDEF'[pick(22)]).join(''));
      text = groups.join(':');
      if (pick(2) === 0) { const at = pick(count + 1); text = [...groups.slice(0, at), ''].join(':') + ':' + groups.slice(at).join(':'); }
      if (pick(10) === 0) text = pick(2) === 0 ? `:${text}` : `${text}:`;
    }
    const expected = referenceExact(text);
    const family = readAddressExact(text, parts, 0);
    const got = family === 0 ? null : `${family}|${(BigInt(parts[0] as number) << 80n) | (BigInt(parts[1] as number) << 32n) | BigInt(parts[2] as number)}`;
    assert.equal(got, expected, text);
    if (expected === null) invalid++; else valid++;
  }
  assert.ok(valid > 5_000 && invalid > 5_000, `both outcomes occur (${valid} read, ${invalid} refused)`);
});
