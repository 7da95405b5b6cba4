// What every format parser produces before the per-cmdlet mappers turn it into model entities.
// Format parsers (clixml, csv, json, format-list, table) know syntax; record mappers
// (records/*.ts) know Exchange. Values stay as close to the export as possible: text formats
// give strings (a mapper parses "36 MB (37,748,736 bytes)" or "{a, b}"); CLIXML and JSON give
// structured values where the export had them.
import type { ImportWarning, SourceRef } from '../model.js';
import type { DayMonthOrder } from './dates.js';

export type PsValue = string | number | boolean | null | PsValue[] | { [name: string]: PsValue };

export interface PsRecord {
  /** Type names from the export, most specific first (CLIXML <TN>, CSV #TYPE), or []. */
  typeNames: string[];
  /** Property name (as exported, any case) -> value. Lookup is case-insensitive via getProp. */
  props: Map<string, PsValue>;
  /** Where the record starts. */
  source: SourceRef;
  /** Line of each property where the format knows it (for warnings that name a line). */
  propLines?: Map<string, number>;
  /** The object's own ToString text where the format carries it (CLIXML <ToString>). */
  text?: string;
  /** Day/month order of the culture-printed dates of the file the record is in (dates.ts). */
  dateOrder?: DayMonthOrder | null;
}

/** What detect.ts decides a file is. Console text covers Format-List and table output, mixed or not. */
export type ExportKind =
  | 'clixml' | 'csv' | 'json' | 'snapshot' | 'scenarios' | 'protocol-log' | 'console-text' | 'unsupported';

/** What a cmdlet's records are, decided from type names or from the set of property names. */
export type RecordKind =
  | 'receive-connector' | 'ad-permission' | 'accepted-domain' | 'exchange-server' | 'exchange-certificate' | 'unknown';

export interface Parsed<T> { value: T; warnings: ImportWarning[] }

export function getProp(record: PsRecord, name: string): PsValue | undefined {
  const direct = record.props.get(name);
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [key, value] of record.props) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * Sets a property on a PsValue object without invoking Object.prototype's `__proto__` setter
 * (a property named `__proto__` in an export must stay data, never change the object's prototype).
 */
export function setPsKey(target: { [name: string]: PsValue }, key: string, value: PsValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
