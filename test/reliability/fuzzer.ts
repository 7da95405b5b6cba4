// A seeded mutation fuzzer for everything exrelay reads from customers: the importers (every
// export format, detected by content), the snapshot reader and the scenarios/users reader.
// Each mutated input must either import (possibly with warnings) or be refused with an
// InputError that names the file; anything else — another exception, or an input that takes
// longer than the budget — is a crash worth keeping as a regression fixture. The users
// (--users) and suppressions (--suppress) readers get every input too.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseSuppressions } from '../../src/analyzers/suppressions.js';
import { InputError } from '../../src/errors.js';
import { importSources } from '../../src/importers/index.js';
import { parseScenarios } from '../../src/replay/scenarios.js';
import { parseUsers } from '../../src/sandbox/users.js';
import { decodeSource } from '../../src/source.js';
import { prng } from '../../bench/lib/prng.js';


export interface Seed { name: string; bytes: Uint8Array }

export function loadSeeds(dirs: readonly string[], maxBytes = 256 * 1024): Seed[] {
  const out: Seed[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try { names = readdirSync(dir).sort(); } catch { return; }
    for (const name of names) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.size > 0 && st.size <= maxBytes) out.push({ name: path, bytes: new Uint8Array(readFileSync(path)) });
    }
  };
  dirs.forEach(walk);
  return out;
}

const enc = new TextEncoder();

function utf16(text: string, bigEndian: boolean, bom: boolean): Uint8Array {
  const out = new Uint8Array((bom ? 2 : 0) + text.length * 2);
  let o = 0;
  if (bom) { out[o++] = bigEndian ? 0xfe : 0xff; out[o++] = bigEndian ? 0xff : 0xfe; }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[o++] = bigEndian ? c >> 8 : c & 0xff;
    out[o++] = bigEndian ? c & 0xff : c >> 8;
  }
  return out;
}

export type Mutation = 'bitflip' | 'truncate' | 'duplicate-lines' | 'delete-lines' | 'utf16le' | 'utf16be-no-bom' | 'giant-line' | 'deep-nesting' | 'splice' | 'crlf'
  | 'deep-value' | 'tag-junk' | 'markup' | 'windows-1252' | 'wrap-columns' | 'office-file' | 'culture-dates';
export const MUTATIONS: readonly Mutation[] = ['bitflip', 'truncate', 'duplicate-lines', 'delete-lines', 'utf16le', 'utf16be-no-bom', 'giant-line', 'deep-nesting', 'splice', 'crlf',
  'deep-value', 'tag-junk', 'markup', 'windows-1252', 'wrap-columns', 'office-file', 'culture-dates'];

// Dates as consoles of several cultures print them, valid and not (importers/dates.ts).
const DATES = ['6/30/2025 12:00:00 PM', '30.06.2025 12:00:00', '30/06/2025 12:00:00', '2025/06/30 12:00:00', '1/5/2027 3:04:05 PM', '13/13/2025',
  '0/0/0000 99:99:99 PM', '31.02.2025 25:61:00', '12/31/9999 11:59:59 PM', '1.1.1', '2025-06-30T12:00:00.0000000+02:00', '/Date(-62135596800000)/'];

// XML and YAML/JSON fragments that parsers treat specially: entity and character references,
// declarations, CDATA, PowerShell escapes, YAML anchors/aliases/tags, odd numbers.
const MARKUP = ['&#x110000;', '&#99999999999;', '&#0;', '&xxe;', '&amp', '<!DOCTYPE x [<!ENTITY a "b">]>', '<!ENTITY x SYSTEM "file:///etc/passwd">',
  '<![CDATA[', ']]>', '<?xml version="1.0"?>', '_x0000_', '_xD800_', '_xZZZZ_', '<Ref RefId="0" />', '<TNRef RefId="99" />', '<Nil />',
  '*a', '&a [1]', '!!binary AAAA', '!!js/function "x"', '? [a]\n: b', '<<: *a', '1e99999', '-0', '0x1F', '"\uD800"', '\u0000', '\x1b[31m'];

function lines(bytes: Uint8Array): string[] { return new TextDecoder().decode(bytes).split('\n'); }

/** One mutation of one seed (deterministic for a given random source). */
export function mutate(seed: Uint8Array, kind: Mutation, random: () => number, other: Uint8Array): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  switch (kind) {
    case 'bitflip': {
      const out = seed.slice();
      const flips = 1 + pick(16);
      for (let i = 0; i < flips && out.length > 0; i++) { const at = pick(out.length); out[at] = (out[at] as number) ^ (1 << pick(8)); }
      return out;
    }
    case 'truncate': return seed.slice(0, pick(seed.length + 1));
    case 'duplicate-lines': {
      const ls = lines(seed);
      const at = pick(ls.length);
      const count = 1 + pick(Math.min(50, ls.length));
      ls.splice(at, 0, ...ls.slice(at, at + count), ...ls.slice(at, at + count));
      return enc.encode(ls.join('\n'));
    }
    case 'delete-lines': {
      const ls = lines(seed);
      ls.splice(pick(ls.length), 1 + pick(Math.max(1, Math.floor(ls.length / 4))));
      return enc.encode(ls.join('\n'));
    }
    case 'utf16le': return utf16(new TextDecoder().decode(seed), false, true);
    case 'utf16be-no-bom': return utf16(new TextDecoder().decode(seed), true, random() < 0.5);
    case 'giant-line': {
      const ls = lines(seed);
      const filler = ['A', ' ', ',', '{', '<', '"', '0'][pick(7)] as string;
      ls.splice(pick(ls.length), 0, filler.repeat(256 * 1024 + pick(1024 * 1024)));
      return enc.encode(ls.join('\n'));
    }
    case 'deep-nesting': {
      const depth = 1000 + pick(20000);
      const styles = [['<Obj RefId="0"><MS>', '</MS></Obj>'], ['[', ']'], ['{"a":', '}'], ['{', '}']] as const;
      const [open, close] = styles[pick(styles.length)] as readonly [string, string];
      const text = new TextDecoder().decode(seed);
      const at = pick(text.length + 1);
      return enc.encode(text.slice(0, at) + open.repeat(depth) + close.repeat(random() < 0.5 ? depth : pick(depth)) + text.slice(at));
    }
    case 'splice': {
      const a = pick(seed.length + 1);
      const b = pick(other.length + 1);
      const out = new Uint8Array(a + other.length - b);
      out.set(seed.subarray(0, a), 0);
      out.set(other.subarray(b), a);
      return out;
    }
    case 'crlf': return enc.encode(new TextDecoder().decode(seed).replace(/\n/g, '\r\n'));
    case 'deep-value': {
      // Nesting where a value belongs (after a JSON/YAML key, or in place of a CLIXML leaf),
      // so that the document stays well-formed and the nested value reaches the importers.
      const text = new TextDecoder().decode(seed);
      const depth = 100 + pick(5000);
      const leaf = /<S N="[^"]*">[^<]*<\/S>/g;
      const leaves = [...text.matchAll(leaf)];
      if (leaves.length > 0) {
        const m = leaves[pick(leaves.length)] as RegExpMatchArray;
        const name = /N="([^"]*)"/.exec(m[0])?.[1] ?? 'x';
        const [open, close] = random() < 0.5 ? ['<Obj RefId="d"><LST>', '</LST></Obj>'] : ['<Obj RefId="d"><MS><Obj N="d" RefId="e"><MS>', '</MS></Obj></MS></Obj>'];
        const nested = `<Obj N="${name}" RefId="z"><LST>${open.repeat(depth)}<S>x</S>${close.repeat(depth)}</LST></Obj>`;
        const at = m.index ?? 0;
        return enc.encode(text.slice(0, at) + nested + text.slice(at + m[0].length));
      }
      const colons = [...text.matchAll(/": |: /g)];
      if (colons.length === 0) return seed;
      const m = colons[pick(colons.length)] as RegExpMatchArray;
      const at = (m.index ?? 0) + m[0].length;
      const [open, close] = random() < 0.5 ? ['[', ']'] : ['{"a": ', '}'];
      return enc.encode(`${text.slice(0, at)}${open.repeat(depth)}1${close.repeat(depth)}, ${text.slice(at)}`);
    }
    case 'tag-junk': {
      // Attribute-like junk inside a tag: unterminated quotes, many attributes, long names.
      const text = new TextDecoder().decode(seed);
      const tags = [...text.matchAll(/<[A-Za-z][\w.:-]*/g)];
      const at = tags.length === 0 ? pick(text.length + 1) : ((tags[pick(tags.length)] as RegExpMatchArray).index ?? 0) + 2;
      const n = 1 + pick(60000);
      const junk = [` a="${'x'.repeat(n)}`, ` ${'x'.repeat(n)}`, ` ${Array.from({ length: 1 + pick(2000) }, (_, i) => `a${i}="${i}"`).join(' ')}`, ` N='${"'".repeat(n)}`][pick(4)] as string;
      return enc.encode(text.slice(0, at) + junk + text.slice(at));
    }
    case 'windows-1252': {
      // Set-Content / Out-File -Encoding Default: one byte per character, accents as 0x80–0xFF.
      const text = new TextDecoder().decode(seed).replace(/ANONYMOUS/g, 'ANONYMOUS-ANMELDUNG').replace(/AUTHORITY/g, 'AUTORITÄT');
      return Uint8Array.from([...text].map((c) => { const code = c.codePointAt(0) ?? 63; return code < 256 ? code : 63; }));
    }
    case 'wrap-columns': {
      // Format-Table -Wrap / Format-List at a narrow console: long lines broken at a width,
      // the rest under a column (a random indentation).
      const width = 12 + pick(60);
      const out: string[] = [];
      for (const line of lines(seed)) {
        let rest = line;
        while (rest.length > width) { out.push(rest.slice(0, width)); rest = ' '.repeat(pick(width)) + rest.slice(width); }
        out.push(rest);
      }
      return enc.encode(out.join('\n'));
    }
    case 'office-file': {
      // A document or workbook (ZIP, PDF, OLE2) given instead of the export, possibly cut short.
      const heads = [[0x50, 0x4b, 0x03, 0x04], [0x25, 0x50, 0x44, 0x46, 0x2d], [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], [0x7b, 0x5c, 0x72, 0x74, 0x66]];
      const head = heads[pick(heads.length)] as number[];
      const part = enc.encode(['word/document.xml', 'xl/workbook.xml', 'ppt/x', ''][pick(4)]);
      const out = new Uint8Array(head.length + part.length + seed.length);
      out.set(head, 0); out.set(part, head.length); out.set(seed, head.length + part.length);
      return out.subarray(0, pick(out.length + 1));
    }
    case 'culture-dates': {
      // Dates of every shape put where values are (Format-List, CSV cells, JSON strings).
      let text = new TextDecoder().decode(seed);
      for (let k = 0, n = 1 + pick(6); k < n; k++) {
        const date = DATES[pick(DATES.length)] as string;
        const colons = [...text.matchAll(/ : |",|": "/g)];
        if (colons.length === 0) { text = `NotAfter : ${date}\n${text}`; continue; }
        const m = colons[pick(colons.length)] as RegExpMatchArray;
        const at = (m.index ?? 0) + m[0].length;
        text = text.slice(0, at) + date + text.slice(at);
      }
      return enc.encode(text);
    }
    case 'markup': {
      const text = new TextDecoder().decode(seed);
      let out = text;
      for (let k = 0, n = 1 + pick(8); k < n; k++) {
        const at = pick(out.length + 1);
        out = out.slice(0, at) + (MARKUP[pick(MARKUP.length)] as string) + out.slice(at);
      }
      return enc.encode(out);
    }
  }
}

export interface Crash { input: string; mutation: Mutation; error: string; bytes: Uint8Array; ms: number }
/** A refused input kept for the CLI check (at most `keepRefused` per mutation kind). */
export interface Refusal { name: string; mutation: Mutation; bytes: Uint8Array; message: string }
export interface FuzzReport { inputs: number; refused: number; imported: number; crashes: Crash[]; slowestMs: number; refusals: Refusal[]; byMutation: Record<string, number> }

/** Runs one input through every reader a customer file can reach. null: handled properly. */
export async function exercise(name: string, bytes: Uint8Array): Promise<{ error: string | null; refused: boolean; message: string | null }> {
  try {
    const source = decodeSource(name, bytes);
    // The small-document readers refuse most inputs: their refusals must be InputErrors too.
    for (const read of [() => parseScenarios(source), () => parseUsers(name, source.text), () => parseSuppressions(name, source.text)]) {
      try { read(); } catch (error) {
        if (!(error instanceof InputError)) throw error;
        const problem = checkRefusal(error, name);
        if (problem !== null) return { error: problem, refused: true, message: null };
      }
    }
    await importSources([source]);
    return { error: null, refused: false, message: null };
  } catch (error) {
    if (error instanceof InputError) {
      return { error: checkRefusal(error, name), refused: true, message: `exrelay: ${error.oneLine()}` };
    }
    const e = error as Error;
    return { error: `${e.name}: ${e.message}`.slice(0, 500), refused: false, message: null };
  }
}

function checkRefusal(error: InputError, name: string): string | null {
  const line = `exrelay: ${error.oneLine()}`;
  if (error.file !== name) return `InputError names "${error.file}", not the input "${name}"`;
  if (line.includes('\n') || line.includes('\r')) return `InputError message is not one line: ${JSON.stringify(line.slice(0, 200))}`;
  return null;
}

export async function fuzz(options: { seeds: Seed[]; iterations: number; seed: number; budgetMs: number; keepRefused?: number; onProgress?: (done: number) => void }): Promise<FuzzReport> {
  const random = prng(options.seed);
  const report: FuzzReport = { inputs: 0, refused: 0, imported: 0, crashes: [], slowestMs: 0, refusals: [], byMutation: {} };
  const keep = options.keepRefused ?? 0;
  if (options.seeds.length === 0) throw new Error('no fuzz seeds');
  for (let i = 0; i < options.iterations; i++) {
    const base = options.seeds[Math.floor(random() * options.seeds.length)] as Seed;
    const other = options.seeds[Math.floor(random() * options.seeds.length)] as Seed;
    const kind = MUTATIONS[Math.floor(random() * MUTATIONS.length)] as Mutation;
    const bytes = mutate(base.bytes, kind, random, other.bytes);
    const name = `fuzz-${i}-${kind}`;
    const started = performance.now();
    const { error, refused, message } = await exercise(name, bytes);
    const ms = performance.now() - started;
    report.inputs++;
    report.byMutation[kind] = (report.byMutation[kind] ?? 0) + 1;
    if (message !== null && report.refusals.filter((r) => r.mutation === kind).length < keep) report.refusals.push({ name, mutation: kind, bytes, message });
    report.slowestMs = Math.max(report.slowestMs, ms);
    if (refused) report.refused++; else report.imported++;
    if (error !== null) report.crashes.push({ input: `${base.name} (${kind})`, mutation: kind, error, bytes, ms });
    else if (ms > options.budgetMs) report.crashes.push({ input: `${base.name} (${kind})`, mutation: kind, error: `took ${ms.toFixed(0)} ms (budget ${options.budgetMs} ms)`, bytes, ms });
    options.onProgress?.(i + 1);
  }
  return report;
}
