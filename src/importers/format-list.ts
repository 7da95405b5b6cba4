// Format-List console text: `Name : value` blocks as PowerShell prints them, and as they arrive
// after being pasted through mail, wikis and Q&A sites (reference §1.2, corpus MANIFEST).
//
// This file also holds the line primitives that table.ts and console-text.ts share: the cleaned
// line, and the tests that tell a property line, a command line and a line of prose apart.
import type { ImportWarning } from '../model.js';
import type { PsRecord } from './types.js';

/** One line of console text after clean-up (see console-text.ts), with its 1-based line number. */
export interface ConsoleLine {
  no: number;
  /** Cleaned text: no trailing blanks; leading indentation kept (tables need the columns). */
  text: string;
}

export interface ParseContext {
  file: string;
  warnings: ImportWarning[];
}

export interface BlockResult {
  records: PsRecord[];
  /** Index of the first line the block did not consume. */
  next: number;
}

// "Label : value". Format-List always puts at least one blank before the colon (the padding
// collapses to one space in many pastes); prose such as "Receive Connector:Client EX0" has none.
const PROPERTY_LINE = /^([ ]*)([A-Za-z_][A-Za-z0-9_]*)[ ]+:(?:[ ](.*))?$/;

export interface PropertyLine { indent: number; name: string; value: string; valueCol: number }

export function matchPropertyLine(text: string): PropertyLine | null {
  const m = PROPERTY_LINE.exec(text);
  if (m === null) return null;
  const indent = (m[1] ?? '').length;
  const name = m[2] ?? '';
  const raw = m[3] ?? '';
  const colon = text.indexOf(':', indent + name.length);
  const lead = raw.length - raw.trimStart().length;
  return { indent, name, value: raw.trim(), valueCol: colon + 2 + lead };
}

export function isBlank(text: string): boolean {
  return text.trim() === '';
}

export function indentOf(text: string): number {
  return text.length - text.trimStart().length;
}

const PROMPT = /^\s*(?:\[PS\]\s*)?(?:PS\s+)?(?:[A-Za-z]:\\[^>]*|[A-Za-z]:)>/;
// Verb-Noun at the start of a line (after an optional `cls;` or `$x =`), or a pipeline into a
// formatting/filtering cmdlet or alias: how captured commands look in the corpus.
const CMDLET_START = /^\s*(?:\w+\s*;\s*)*(?:\$\w+\s*=\s*)?(?:Get|Set|New|Add|Remove|Enable|Disable|Format|Select|Where|Export|Import|Out|Test|Start|Stop|Sort|ForEach|Measure|Write|Invoke|Connect)-[A-Za-z]+\b/i;
const PIPELINE = /\|\s*(?:fl|ft|fw|Format-[A-Za-z]+|Select(?:-Object)?|Where(?:-Object)?|where|\?|%|ForEach(?:-Object)?|Sort(?:-Object)?|Export-[A-Za-z]+|Out-[A-Za-z]+|Get-[A-Za-z]+|Add-[A-Za-z]+|Remove-[A-Za-z]+)\b/i;

/** A shell prompt or a typed command: never data. */
export function isCommandLine(text: string): boolean {
  if (PROMPT.test(text)) return true;
  if (matchPropertyLine(text) !== null) return false;
  return CMDLET_START.test(text) || PIPELINE.test(text);
}

/**
 * A sentence someone wrote around the output ("The actual extended permissions are:"). Console
 * values (identities, lists, DNs, MIME types) almost never hold two plain lower-case words.
 */
export function isProseLine(text: string): boolean {
  const words = text.trim().split(/\s+/);
  let plain = 0;
  for (const w of words) if (/^[a-z]+[,.:;!?)]*$/.test(w)) plain++;
  return plain >= 2;
}

/** Only punctuation (a stray `>`, a row of underscores): a visual separator, never a value. */
export function isJunkLine(text: string): boolean {
  return !/[\p{L}\p{N}]/u.test(text);
}

// A `User {ms-Exch-...}` line without a table header (corpus mixed-ex2010-*): an ADPermission row.
const HEADERLESS_PERMISSION = /^\s*(\S.*?\S)\s+(\{ms-Exch-[^{}]*\}|ms-Exch-[A-Za-z-]+)\s*$/i;

export function matchHeaderlessPermissionRow(text: string): { user: string; rights: string } | null {
  const m = HEADERLESS_PERMISSION.exec(text);
  if (m === null || matchPropertyLine(text) !== null) return null;
  return { user: m[1] ?? '', rights: m[2] ?? '' };
}

// ---------------------------------------------------------------------------------------------
// Record kinds worth a truncation warning. Other objects (transport rules, virtual directories)
// are reported by the record mapper as "not a supported export"; warning about their truncated
// values would only be noise.
// Properties only these kinds have (AdminDisplayVersion, for one, is on virtual directories too).
const SUPPORTED_HINTS = new Set([
  'bindings', 'remoteipranges', 'permissiongroups', 'authmechanism',
  'extendedrights', 'accessrights', 'isinherited',
  'domaintype',
  'thumbprint', 'certificatedomains',
  'serverrole', 'exchangelegacyserverrole', 'ishubtransportserver',
]);

export function looksSupported(names: Iterable<string>): boolean {
  for (const n of names) if (SUPPORTED_HINTS.has(n.toLowerCase())) return true;
  return false;
}

/** How a warning names the object: its Identity, else its Name, else where it starts. */
export function describeRecord(props: Map<string, string>, line: number): string {
  for (const key of ['identity', 'name', 'user']) {
    for (const [k, v] of props) if (k.toLowerCase() === key && v.trim() !== '') return `"${v.trim()}"`;
  }
  return `the record at line ${line}`;
}

// ---------------------------------------------------------------------------------------------

interface PendingProp {
  name: string; line: number; frags: string[]; valueCol: number; blankAfter: boolean;
  /** `{` minus `}` so far: an open list continues whatever the next line looks like. */
  depth: number;
}

function braceDepth(text: string): number {
  let depth = 0;
  for (const ch of text) { if (ch === '{') depth++; else if (ch === '}') depth--; }
  return depth;
}

function addFragment(prop: PendingProp, text: string): void {
  prop.frags.push(text);
  prop.depth += braceDepth(text);
}

interface PendingRecord { start: number; labelIndent: number; props: PendingProp[]; names: Set<string> }

/**
 * Joins the physical lines of one wrapped value. The console word-wraps at its width and breaks
 * inside a word only when the word is longer than a line. So a break was inside a word only when
 * the line before it is filled to the width and the two halves would not have fitted on one
 * line together; every other break stood for a blank.
 */
export function joinFragments(frags: readonly string[]): string {
  let out = frags[0] ?? '';
  const width = frags.reduce((max, f) => Math.max(max, f.length), 0);
  for (let i = 1; i < frags.length; i++) {
    const frag = frags[i] ?? '';
    const prev = frags[i - 1] ?? '';
    if (frag === '') continue;
    if (out === '' || /[,;\s]$/.test(prev)) {
      out = out === '' ? frag : `${out} ${frag}`;
      continue;
    }
    const lastWord = prev.slice(prev.lastIndexOf(' ') + 1);
    const firstWord = frag.split(' ', 1)[0] ?? '';
    const filled = prev.length >= width - 2;
    out += filled && lastWord.length + firstWord.length > width - 2 ? frag : ` ${frag}`;
  }
  return out;
}

function isDoubleSpaced(rec: PendingRecord): boolean {
  if (rec.props.length < 2) return false;
  const spaced = rec.props.filter((p) => p.blankAfter).length;
  return spaced >= rec.props.length * 0.6;
}

/** Hooks console-text.ts passes in so that a Format-List block stops where a table starts. */
export interface FormatListHooks {
  isTableStart(lines: readonly ConsoleLine[], index: number): boolean;
}

/**
 * Reads Format-List records starting at a property line. Records end at a repeated property
 * name (pastes often lose the blank line between objects, or add one after every property), or
 * at a line that is neither a property nor a continuation (prompt, command, prose, a table).
 */
export function parseFormatList(lines: readonly ConsoleLine[], start: number, ctx: ParseContext, hooks: FormatListHooks): BlockResult {
  const records: PsRecord[] = [];
  let current: PendingRecord | null = null;
  let blankRun = 0;
  let i = start;

  for (; i < lines.length; i++) {
    const line = lines[i] as ConsoleLine;
    const text = line.text;
    const last: PendingProp | undefined = current?.props[current.props.length - 1];
    if (isBlank(text)) {
      if (blankRun === 0 && last !== undefined) last.blankAfter = true;
      blankRun++;
      continue;
    }
    const indent = indentOf(text);
    const prop = matchPropertyLine(text);

    // A line indented to (or past) the value column continues the value: Format-List aligns
    // its wrapped lines there, whatever they contain.
    if (current !== null && last !== undefined && indent > current.labelIndent && indent >= last.valueCol - 1) {
      addFragment(last, text.trim());
      blankRun = 0;
      continue;
    }
    if (prop !== null) {
      if (current === null || current.names.has(prop.name.toLowerCase())) {
        if (current !== null) records.push(finishRecord(current, ctx));
        current = { start: line.no, labelIndent: prop.indent, props: [], names: new Set() };
      }
      current.props.push({ name: prop.name, line: line.no, frags: [prop.value], valueCol: prop.valueCol, blankAfter: false, depth: braceDepth(prop.value) });
      current.names.add(prop.name.toLowerCase());
      blankRun = 0;
      continue;
    }
    if (current === null || last === undefined) break;
    if (indent > current.labelIndent) {
      addFragment(last, text.trim());
      blankRun = 0;
      continue;
    }
    if (isCommandLine(text) || isJunkLine(text) || hooks.isTableStart(lines, i) || matchHeaderlessPermissionRow(text) !== null) break;
    // A continuation that lost its indentation (pastes that flattened the console's wrapping):
    // an open `{` list always continues; otherwise only when it does not read as prose, and after
    // a blank line only in double-spaced pastes, where every line is followed by one.
    if (last.depth > 0 || (!isProseLine(text) && (blankRun === 0 || isDoubleSpaced(current)))) {
      addFragment(last, text.trim());
      blankRun = 0;
      continue;
    }
    break;
  }
  if (current !== null) records.push(finishRecord(current, ctx));
  return { records, next: Math.max(i, start + 1) };
}

// PowerShell's $FormatEnumerationLimit cuts a collection after a few items and prints `...`
// (reference §1.2): `{a, b, c, d...}`. The items shown are complete, so they are kept as a list
// without the marker, and the loss is reported.
const ENUMERATION_TRUNCATED = /^\{([\s\S]*?)\s*(?:\.\.\.|…)\}$/;

function finishRecord(rec: PendingRecord, ctx: ParseContext): PsRecord {
  const props = new Map<string, string>();
  const propLines = new Map<string, number>();
  const truncated: PendingProp[] = [];
  for (const p of rec.props) {
    let value = joinFragments(p.frags).trim();
    const m = ENUMERATION_TRUNCATED.exec(value);
    if (m !== null) {
      value = `{${(m[1] ?? '').replace(/,\s*$/, '')}}`;
      truncated.push(p);
    }
    props.set(p.name, value);
    propLines.set(p.name, p.line);
  }
  if (truncated.length > 0 && looksSupported(props.keys())) {
    const who = describeRecord(props, rec.start);
    for (const p of truncated) {
      ctx.warnings.push({
        file: ctx.file, line: p.line,
        message: `${p.name} of ${who} is cut short with "..." in the console output; only the values shown are kept (set $FormatEnumerationLimit = -1 before Format-List, or use Export-Clixml)`,
      });
    }
  }
  return { typeNames: [], props, source: { file: ctx.file, line: rec.start }, propLines };
}
