// Export-Csv output → PsRecord[] (reference §9.3). Cells are strings; multi-valued columns the
// admin joined with `;`, `,` or spaces are split by the record mappers. A cell that is a .NET
// type name is what Export-Csv writes for a list it could not print: the column's values are
// not in the file, which is reported per column and never read as an empty list.
import { CsvError, parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import type { ImportWarning } from '../model.js';
import type { SourceText } from '../source.js';
import { isTypeNameCell } from './ps-values.js';
import type { Parsed, PsRecord, PsValue } from './types.js';

export interface CsvParsed extends Parsed<PsRecord[]> {
  /** Set when the file is a CSV but not an export we can read (Format-Table piped to Export-Csv). */
  unsupported: string | null;
}

// Format-Table emits formatting records; Export-Csv then writes their internal properties.
const FORMAT_TABLE_COLUMN = 'ClassId2e4f51ef21dd47e99d3c952918aff9cd';

export function parseCsv(source: SourceText): CsvParsed {
  const text = source.text;
  const typeLine = /^\s*#TYPE\s+(.+?)\s*$/m.exec(text.slice(0, 2048));
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  const hasType = typeLine !== null && firstLine.trim().startsWith('#TYPE');
  const typeNames = hasType && typeLine?.[1] !== undefined ? [typeLine[1]] : [];

  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, {
      from_line: hasType ? 2 : 1,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      bom: false,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof (error as CsvError & { lines?: number }).lines === 'number' ? (error as CsvError & { lines: number }).lines : null;
      throw new InputError(source.name, line, `not valid CSV: ${error.message.replace(/ at line \d+.*$/, '').replace(/^Invalid Record Length: /, '')}`);
    }
    throw error;
  }
  const warnings: ImportWarning[] = [];
  const [header, ...body] = rows;
  if (header === undefined) return { value: [], warnings, unsupported: 'empty CSV file' };
  const columns = header.record.map((c) => c.trim());
  if (columns.includes(FORMAT_TABLE_COLUMN)) {
    return {
      value: [], warnings,
      unsupported: 'Format-Table output piped into Export-Csv (formatting records, no data): not a supported export; use Select-Object instead of Format-Table before Export-Csv',
    };
  }

  const typeNameColumns = new Map<string, { sample: string; line: number }>();
  const records: PsRecord[] = [];
  for (const row of body) {
    const props = new Map<string, PsValue>();
    const propLines = new Map<string, number>();
    columns.forEach((col, i) => {
      if (col === '') return;
      const cell = row.record[i];
      if (cell === undefined) return;
      if (isTypeNameCell(cell)) {
        if (!typeNameColumns.has(col)) typeNameColumns.set(col, { sample: cell.trim(), line: row.info.lines });
        return; // the values are not in the file: the property is absent, not empty
      }
      props.set(col, cell);
      propLines.set(col, row.info.lines);
    });
    records.push({ typeNames, props, propLines, source: { file: source.name, line: row.info.lines } });
  }
  for (const [col, { sample, line }] of typeNameColumns) {
    warnings.push({
      file: source.name, line,
      message: `column "${col}" holds the type name "${sample}" instead of its values (Export-Csv cannot write lists; export it with @{n='${col}';e={$_.${col} -join ';'}}); ${col} is not in the export`,
    });
  }
  return { value: records, warnings, unsupported: null };
}
