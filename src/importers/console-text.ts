// Any text captured from the Exchange Management Shell console: Format-List blocks, default
// table views and `ft` output, alone or mixed in one file with prompts, commands and the prose
// of whoever pasted it (corpus MANIFEST). Returns the records found, values as printed (strings);
// the record mappers decide what each record is and parse its values.
import type { SourceText } from '../source.js';
import type { Parsed, PsRecord } from './types.js';
import {
  type ConsoleLine, type ParseContext,
  isBlank, isCommandLine, matchHeaderlessPermissionRow, matchPropertyLine, parseFormatList,
} from './format-list.js';
import { isTableStart, parseTable, readTableHeader } from './table.js';

/**
 * Undoes what pasting does to console text, keeping line numbers and, where it can, columns:
 * ideographic and no-break spaces, tabs, trailing blanks, markdown bold and code fences,
 * `<# … #>` comment markers, `# ` comment prefixes, and `<== note` annotations.
 */
export function cleanConsoleLine(raw: string): string {
  let text = raw.replace(/[\u3000\u00a0\t]/g, ' ').replace(/\s+$/, '');
  if (/^\s*```/.test(text)) return '';
  // `<#` or `<#OUTPUT` opening a block comment: blank it out, keeping the columns after it.
  text = text.replace(/^(\s*)<#\S*/, (m) => ' '.repeat(m.length));
  text = text.replace(/\s*#>$/, '');
  // Whole lines pasted as PowerShell comments (`# Name   DomainName ...`).
  text = text.replace(/^(\s*)#(?: |$)/, '$1');
  // Markdown bold around a value (`**EX2013**`), not a masked value such as `********`.
  text = text.replace(/\*\*([^*\s](?:[^*]*[^*\s])?)\*\*/g, '$1');
  text = text.replace(/\s+<==.*$/, '');
  return text.replace(/\s+$/, '');
}

export function consoleLines(text: string): ConsoleLine[] {
  return text.split('\n').map((raw, k) => ({ no: k + 1, text: cleanConsoleLine(raw) }));
}

export function parseConsoleText(source: SourceText): Parsed<PsRecord[]> {
  const lines = consoleLines(source.text);
  const ctx: ParseContext = { file: source.name, warnings: [] };
  const records: PsRecord[] = [];
  const hooks = { isTableStart };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as ConsoleLine;
    if (isBlank(line.text) || isCommandLine(line.text)) { i++; continue; }
    const table = parseTable(lines, i, ctx);
    if (table !== null) {
      records.push(...table.records);
      i = table.next;
      continue;
    }
    if (matchPropertyLine(line.text) !== null) {
      const block = parseFormatList(lines, i, ctx, hooks);
      records.push(...block.records);
      i = block.next;
      continue;
    }
    const row = matchHeaderlessPermissionRow(line.text);
    if (row !== null) {
      // `User {rights}` pairs printed without a header (a two-column ft whose header was cut).
      records.push({
        typeNames: [],
        props: new Map([['User', row.user], ['ExtendedRights', row.rights]]),
        source: { file: source.name, line: line.no },
        propLines: new Map([['User', line.no], ['ExtendedRights', line.no]]),
      });
    }
    i++;
  }
  return { value: records, warnings: ctx.warnings };
}

/**
 * Whether text reads as console output: a `Name : value` line or a table header (with its dash
 * line, or the columns of one of the five cmdlets). Looks at the first lines only.
 */
export function looksLikeConsoleText(text: string): boolean {
  const head = text.slice(0, 65536).replace(/^\uFEFF/, '');
  if (/^\s*<(\?xml|Objs[\s>]|Obj[\s>])/.test(head)) return false;
  const lines = consoleLines(head).slice(0, 400);
  for (let i = 0; i < lines.length; i++) {
    const t = (lines[i] as ConsoleLine).text;
    if (isBlank(t) || isCommandLine(t)) continue;
    if (matchPropertyLine(t) !== null || readTableHeader(lines, i) !== null || matchHeaderlessPermissionRow(t) !== null) return true;
  }
  return false;
}
