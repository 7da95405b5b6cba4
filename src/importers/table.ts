// Table console text: the default views of Get-ReceiveConnector, Get-ADPermission,
// Get-AcceptedDomain and Get-ExchangeCertificate, and `ft` output (reference §8, corpus MANIFEST).
//
// Columns come from the dash line under the header when there is one. Pastes often lose it, or
// collapse every run of blanks to one space, or shift a row against its header (a placeholder
// shorter than the original, doubled backslashes); then each row is split on its blanks so that
// every cell fits what its column holds (True/False, a {list}, a thumbprint...), choosing among
// the valid splits the one closest to the header's column positions.
import { expandTruncatedPrincipal } from '../principals.js';
import type { PsRecord } from './types.js';
import {
  type BlockResult, type ConsoleLine, type ParseContext,
  describeRecord, isBlank, isCommandLine, isProseLine, matchPropertyLine,
} from './format-list.js';

export interface Column {
  name: string;
  /** Start column of the header label (or of its dashes). */
  start: number;
}

interface Table { columns: Column[]; aligned: boolean; next: number }

type CellCheck = (cell: string) => boolean;

const BOOL: CellCheck = (c) => /^(True|False)$/i.test(c);
// A {list}, possibly cut by the column width, or one bare item.
const LIST: CellCheck = (c) => /^\{[^{}]*(\}|\.\.\.|…)?$/.test(c) || /^[^\s{}]+$/.test(c);
const CELL_CHECKS: Record<string, CellCheck> = {
  enabled: BOOL, deny: BOOL, inherited: BOOL, isinherited: BOOL, default: BOOL, isvalid: BOOL,
  requiretls: BOOL, domainsecureenabled: BOOL, isselfsigned: BOOL, hasprivatekey: BOOL,
  bindings: LIST, remoteipranges: LIST, extendedrights: LIST, accessrights: LIST, certificatedomains: LIST,
  // Thumbprints are 40 hex digits; pastes mask some with `*` or cut them with `...`.
  thumbprint: (c) => /^[0-9A-Fa-f*]+(\.\.\.|…)?$/.test(c),
  // The default view's flag letters (`IP.WS..`) or `ft`'s names (`IMAP, POP, IIS, SMTP`).
  services: (c) => /^[A-Za-z.]+(, [A-Za-z]+)*(\.\.\.|…)?$/.test(c),
  domaintype: (c) => /^(Authoritative|InternalRelay|ExternalRelay)$/i.test(c),
  domainname: (c) => /^\S+$/.test(c),
  count: (c) => /^\d+$/.test(c),
};

// Headers recognised without a dash line: the columns of the five cmdlets' default views and of
// the usual `ft` selections.
const KNOWN_COLUMNS = new Set([
  'identity', 'name', 'user', 'deny', 'inherited', 'isinherited', 'extendedrights', 'accessrights', 'rights',
  'inheritancetype', 'bindings', 'enabled', 'remoteipranges', 'permissiongroups', 'authmechanism',
  'transportrole', 'server', 'fqdn', 'requiretls', 'maxmessagesize', 'protocollogginglevel',
  'domainname', 'domaintype', 'default', 'thumbprint', 'services', 'subject', 'issuer', 'notafter',
  'notbefore', 'certificatedomains', 'status', 'friendlyname', 'site', 'serverrole', 'edition',
  'admindisplayversion',
]);

function checkFor(column: Column): CellCheck | undefined {
  return CELL_CHECKS[column.name.toLowerCase()];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DASHES = /^\s*-+(\s+-+)*\s*$/;

function isDashLine(text: string): boolean {
  return DASHES.test(text);
}

function spans(text: string, pattern: RegExp): { start: number; end: number; text: string }[] {
  const out: { start: number; end: number; text: string }[] = [];
  const re = new RegExp(pattern.source, 'g');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  return out;
}

/** The header at `index` (with its dash line, if any), or null when the line is no table header. */
export function readTableHeader(lines: readonly ConsoleLine[], index: number): Table | null {
  const header = lines[index]?.text;
  if (header === undefined || isBlank(header) || matchPropertyLine(header) !== null) return null;
  let j = index + 1;
  while (j < lines.length && isBlank((lines[j] as ConsoleLine).text)) j++;
  const dashText = lines[j]?.text;
  if (dashText !== undefined && isDashLine(dashText) && j - index <= 2) {
    // Names come from the header text above each run of dashes, so a calculated column with a
    // blank in its name still works; right-aligned headers sit inside their dash runs too.
    const runs = spans(dashText, /-+/);
    const columns: Column[] = [];
    for (let c = 0; c < runs.length; c++) {
      const run = runs[c] as { start: number; end: number };
      const nextStart = runs[c + 1]?.start ?? Number.MAX_SAFE_INTEGER;
      const name = header.slice(run.start, c === runs.length - 1 ? undefined : nextStart).trim();
      if (name === '') return null;
      columns.push({ name, start: run.start });
    }
    // PowerShell underlines each label with exactly as many dashes. A lone column must show
    // that (or be a known one), so that a markdown rule under a heading is no table.
    const only = runs[0];
    if (runs.length === 1 && only !== undefined && !KNOWN_COLUMNS.has((columns[0] as Column).name.toLowerCase())
      && header.trim() !== header.slice(only.start, only.end)) return null;
    return { columns, aligned: true, next: j + 1 };
  }
  const tokens = spans(header, /\S+/);
  if (tokens.length < 2 || !tokens.every((t) => IDENTIFIER.test(t.text) && KNOWN_COLUMNS.has(t.text.toLowerCase()))) return null;
  const aligned = tokens.some((t, k) => k > 0 && t.start - (tokens[k - 1] as { end: number }).end >= 2);
  return { columns: tokens.map((t) => ({ name: t.text, start: t.start })), aligned, next: index + 1 };
}

export function isTableStart(lines: readonly ConsoleLine[], index: number): boolean {
  return readTableHeader(lines, index) !== null;
}

// Columns whose cell may be empty in a complete row (an ACE without extended rights).
const MAY_BE_EMPTY = new Set(['bindings', 'remoteipranges', 'extendedrights', 'accessrights', 'certificatedomains']);

function mustHaveValue(column: Column): boolean {
  return checkFor(column) !== undefined && !MAY_BE_EMPTY.has(column.name.toLowerCase());
}

function cellValid(column: Column, cell: string): boolean {
  const check = checkFor(column);
  return check === undefined ? true : cell !== '' && check(cell);
}

/**
 * Cells by the header's positions, or null when a position cuts through a word or a cell is wrong
 * (`lenient`: only the first).
 */
export function sliceRow(text: string, columns: readonly Column[], options: { lenient?: boolean } = {}): string[] | null {
  const cells: string[] = [];
  const nonBlank = (k: number): boolean => k >= 0 && k < text.length && text[k] !== ' ';
  for (let c = 0; c < columns.length; c++) {
    const col = columns[c] as Column;
    const end = columns[c + 1]?.start;
    if (nonBlank(col.start - 1) && nonBlank(col.start)) return null;
    const cell = text.slice(col.start, end).trim();
    cells.push(cell);
    if (options.lenient === true) continue;
    if (cell !== '' && !cellValid(col, cell)) return null;
    if (cell === '' && mustHaveValue(col) && col.start < text.length) return null;
  }
  if (options.lenient === true) return cells;
  if (cells[0] === '') return null;
  return cells;
}

const MAX_SPLIT_WORDS = 256;

/**
 * Splits a row on its blanks so that each column gets at least one word and every cell passes
 * its column's check; among the valid splits, the one whose cells start nearest the header's
 * positions (when the header is aligned). Words left of the first column (an author's `*`
 * marker) are dropped when the header is aligned.
 */
export function splitRow(text: string, columns: readonly Column[], aligned: boolean): string[] | null {
  const allWords = spans(text, /\S+/);
  const firstStart = (columns[0] as Column).start;
  let skip = 0;
  if (aligned) while (skip < allWords.length - 1 && (allWords[skip] as { end: number }).end < firstStart) skip++;
  const words = allWords.slice(skip);
  const n = words.length;
  const k = columns.length;
  // The search below is quadratic in the words of the row: console rows have a few dozen
  // (Out-File -Width 4096 at most a few hundred); a longer line is no row of a table.
  if (n < k || n > MAX_SPLIT_WORDS) return null;
  // best[c][w]: least cost to give words w.. to columns c..; choice[c][w]: words taken by column c.
  const best: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const choice: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(0));
  (best[k] as number[])[n] = 0;
  for (let c = k - 1; c >= 0; c--) {
    const col = columns[c] as Column;
    for (let w = n - 1; w >= 0; w--) {
      const startCost = aligned ? Math.abs((words[w] as { start: number }).start - col.start) : 0;
      const maxEnd = c === k - 1 ? n : n - (k - 1 - c);
      const minEnd = c === k - 1 ? n : w + 1;
      for (let e = minEnd; e <= maxEnd; e++) {
        const rest = (best[c + 1] as number[])[e] as number;
        if (rest === Infinity) continue;
        const cell = text.slice((words[w] as { start: number }).start, (words[e - 1] as { end: number }).end);
        if (!cellValid(col, cell)) continue;
        const cost = startCost + rest;
        // `<` keeps the shortest cell on ties: free text is read lazily, left to right.
        if (cost < ((best[c] as number[])[w] as number)) {
          (best[c] as number[])[w] = cost;
          (choice[c] as number[])[w] = e;
        }
      }
    }
  }
  if ((best[0] as number[])[0] === Infinity) return null;
  const cells: string[] = [];
  let w = 0;
  for (let c = 0; c < k; c++) {
    const e = (choice[c] as number[])[w] as number;
    cells.push(text.slice((words[w] as { start: number }).start, (words[e - 1] as { end: number }).end));
    w = e;
  }
  return cells;
}

/**
 * A -Wrap continuation line: no column cuts a word, and a column that every row fills (Deny,
 * IsInherited…) is empty. Its first cell may hold text: the rest of a long first value
 * (`NT AUTHORITY\ANONYMOUS` / `LOGON`, `CORP\ExchangeLegacyInte` / `rop`).
 */
function isWrappedRest(text: string, columns: readonly Column[]): boolean {
  const cells = sliceRow(text, columns, { lenient: true });
  return cells !== null && columns.some((col, c) => mustHaveValue(col) && cells[c] === '');
}

const TRUNCATED = /(\.\.\.|…)$/;
// Columns that print a set of names joined by `, ` without braces (flags enums).
const FLAG_COLUMNS = new Set(['serverrole', 'authmechanism', 'permissiongroups', 'accessrights', 'rights', 'services']);

const PRINCIPAL_COLUMNS = new Set(['user', 'identity', 'trustee']);

interface Row { line: number; cells: string[]; /** The physical pieces of each cell, one per line (for -Wrap). */ pieces: string[][] }

/**
 * A wrapped cell's pieces as one value. A break is inside a word when the piece above fills the
 * column and the two halves would not have fitted on one line as separate words; otherwise the
 * break was at a blank.
 */
function joinPieces(pieces: readonly string[], width: number): string {
  let out = pieces[0] ?? '';
  for (let k = 1; k < pieces.length; k++) {
    const above = pieces[k - 1] ?? '';
    const part = pieces[k] ?? '';
    if (out === '') { out = part; continue; }
    const lastWord = above.slice(above.lastIndexOf(' ') + 1);
    const firstWord = part.split(' ', 1)[0] ?? '';
    const inWord = above.length >= width && lastWord.length + firstWord.length > width;
    out = inWord ? `${out}${part}` : `${out} ${part}`;
  }
  return out;
}

function toRecord(table: Table, row: Row, ctx: ParseContext): PsRecord {
  const props = new Map<string, string>();
  const propLines = new Map<string, number>();
  table.columns.forEach((col, c) => {
    let cell = row.cells[c] ?? '';
    // Wiki-to-markdown conversions double every backslash (corpus adperm-*-escaped-*); no
    // Exchange identity or account name holds two in a row.
    if (PRINCIPAL_COLUMNS.has(col.name.toLowerCase())) cell = cell.replace(/\\\\/g, '\\');
    props.set(col.name, cell);
    propLines.set(col.name, row.line);
  });
  const who = describeRecord(props, row.line);
  for (const [name, cell] of props) {
    if (!TRUNCATED.test(cell)) continue;
    // The certificate view prints unset service flags as dots (`.......`, `IP.WS..`).
    if (name.toLowerCase() === 'services' && /^[A-Z.]+$/.test(cell)) continue;
    if (name.toLowerCase() === 'user') {
      // Only when exactly one well-known principal (any display language) starts that way.
      const expanded = expandTruncatedPrincipal(cell);
      if (expanded !== null) {
        props.set(name, expanded);
        ctx.warnings.push({ file: ctx.file, line: row.line, message: `${name} "${cell}" of ${who} was cut short by the console; read as ${expanded}, the only well-known principal that matches (use ft -AutoSize -Wrap or Export-Clixml for the full name)` });
        continue;
      }
    }
    // A list cut by the column width ends in a partial item (`{192.0.2.25:25, 192.0.2.2...`,
    // `Mailbox, ClientAc...`): keep the complete items before it, as long as there is one.
    const braced = /^\{([^{}]*)(?:\.\.\.|…)$/.exec(cell);
    const flags = FLAG_COLUMNS.has(name.toLowerCase()) ? /^([^{}]*,[^{}]*)(?:\.\.\.|…)$/.exec(cell) : null;
    const list = braced ?? flags;
    const items = list === null ? [] : (list[1] ?? '').split(',').map((x) => x.trim());
    if (list !== null && items.length > 1) {
      const complete = items.slice(0, -1).join(', ');
      const kept = braced !== null ? `{${complete}}` : complete;
      props.set(name, kept);
      ctx.warnings.push({ file: ctx.file, line: row.line, message: `${name} "${cell}" of ${who} was cut short by the console; only the complete items before the cut are kept: ${kept} (use ft -AutoSize -Wrap or Export-Clixml for the full list)` });
      continue;
    }
    ctx.warnings.push({ file: ctx.file, line: row.line, message: `${name} "${cell}" of ${who} was cut short by the console and is kept as shown (use ft -AutoSize -Wrap or Export-Clixml for the full value)` });
  }
  return { typeNames: [], props, source: { file: ctx.file, line: row.line }, propLines };
}

/**
 * Reads a table whose header is at `index`. Rows may be separated by blank lines (markdown);
 * with `-Wrap`, a line whose first column is empty continues the cells of the row above.
 */
export function parseTable(lines: readonly ConsoleLine[], index: number, ctx: ParseContext): BlockResult | null {
  const table = readTableHeader(lines, index);
  if (table === null) return null;
  const rows: Row[] = [];
  let i = table.next;
  let blankBefore = false;
  let cutShort = false;
  for (; i < lines.length; i++) {
    const line = lines[i] as ConsoleLine;
    const text = line.text;
    if (isBlank(text)) { blankBefore = true; continue; }
    if (isDashLine(text) || matchPropertyLine(text) !== null || isCommandLine(text)) break;
    // The header of the next table (with its dash line) starts that table, even where it could
    // be read as a row of this one.
    const header = readTableHeader(lines, i);
    if (header !== null && header.next > i + 1) break;
    const prev = rows[rows.length - 1];
    const second = table.columns[1];
    const sliced = table.aligned ? sliceRow(text, table.columns) : null;
    // -Wrap puts the rest of a row's cells on the next lines, under their columns: the first
    // cell is empty there, or a True/False cell is, while no column cuts a word.
    if (table.aligned && prev !== undefined && !blankBefore && second !== undefined && header === null
      && ((text.slice(0, second.start).trim() === '' && text.length > second.start)
        || ((sliced === null || !cutShort) && isWrappedRest(text, table.columns)))) {
      // -Wrap: the rest of the row's cells, on the next line, under their columns.
      table.columns.forEach((col, c) => {
        const part = text.slice(col.start, table.columns[c + 1]?.start).trim();
        if (part !== '') (prev.pieces[c] ??= []).push(part);
      });
      continue;
    }
    const cells = sliced ?? splitRow(text, table.columns, table.aligned);
    if (cells === null || (blankBefore && isProseLine(text) && sliced === null)) {
      if (cells === null && !blankBefore && !isProseLine(text) && header === null) {
        ctx.warnings.push({ file: ctx.file, line: line.no, message: `table row does not fit the columns ${table.columns.map((c) => c.name).join(', ')}; skipped` });
      }
      break;
    }
    rows.push({ line: line.no, cells, pieces: cells.map((cell) => (cell === '' ? [] : [cell])) });
    // A table that cuts values short (`...`) was printed without -Wrap: a later line with a first
    // cell is a row (perhaps one whose end the paste lost), not the rest of the row above.
    if (cells.some((cell) => TRUNCATED.test(cell))) cutShort = true;
    blankBefore = false;
  }
  const widths = table.columns.map((col, c) => {
    const next = table.columns[c + 1];
    const bound = next === undefined ? Number.MAX_SAFE_INTEGER : next.start - col.start - 1;
    // Before a True/False column (which Format-Table may right-align, its dashes then starting
    // right of where the column does) the header only bounds the width: the longest piece any
    // row printed there is the best measure of it.
    if (next === undefined || checkFor(next) !== BOOL) return bound;
    let longest = 0;
    for (const r of rows) for (const p of r.pieces[c] ?? []) longest = Math.max(longest, p.length);
    return Math.min(bound, longest);
  });
  for (const row of rows) {
    row.cells = table.columns.map((_, c) => ((row.pieces[c]?.length ?? 0) > 0 ? joinPieces(row.pieces[c] ?? [], widths[c] ?? 0) : row.cells[c] ?? ''));
  }
  return { records: rows.map((r) => toRecord(table, r, ctx)), next: Math.max(i, index + 1) };
}
