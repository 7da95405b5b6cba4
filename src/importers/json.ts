// ConvertTo-Json output (an object, an array, or PowerShell 5.1's {"value": [...], "Count": n}
// wrapper) → PsRecord[]. JSON values are already PsValues; enums arrive as numbers and are
// mapped by the record mappers (reference §1.3), /Date(…)/ strings by parseDate.
import { InputError } from '../errors.js';
import type { SourceText } from '../source.js';
import { printedReferences } from './ad-object-id.js';
import { findJsonErrorOffset, nestingBeyond, syntaxErrorOffset, topLevelOffsets } from './json-positions.js';
import { setPsKey, type Parsed, type PsRecord, type PsValue } from './types.js';

/**
 * ConvertTo-Json nests at most 100 levels (its -Depth limit); deeper JSON is not an export, and
 * the code that walks values recursively (positions, conversion, output) must not overflow.
 */
export const MAX_JSON_DEPTH = 128;

export function parseJsonText(source: SourceText): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(source.text) as unknown;
  } catch (error) {
    const offset = syntaxErrorOffset(error, source.text) ?? findJsonErrorOffset(source.text);
    // Node's own message quotes the text over several lines and varies by version; the line is what helps.
    throw new InputError(source.name, offset === null ? null : source.lineOf(offset), 'not valid JSON (syntax error)');
  }
  const deep = nestingBeyond(source.text, MAX_JSON_DEPTH);
  if (deep !== null) throw new InputError(source.name, source.lineOf(deep), `JSON nested more than ${MAX_JSON_DEPTH} levels deep (ConvertTo-Json writes at most 100)`);
  return doc;
}

function toPsValue(value: unknown): PsValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toPsValue);
  if (typeof value === 'object') {
    const out: { [name: string]: PsValue } = {};
    for (const [k, v] of Object.entries(value)) setPsKey(out, k, toPsValue(v));
    return out;
  }
  return null;
}

export function parseConvertToJson(source: SourceText, doc: unknown = parseJsonText(source)): Parsed<PsRecord[]> {
  let items: unknown[];
  let wrapped = false;
  if (Array.isArray(doc)) items = doc;
  else if (doc !== null && typeof doc === 'object') {
    const keys = Object.keys(doc);
    const value = (doc as { value?: unknown }).value;
    if (keys.length === 2 && keys.includes('Count') && Array.isArray(value)) { items = value; wrapped = true; } else items = [doc];
  } else {
    throw new InputError(source.name, 1, 'JSON holds neither an object nor an array of objects');
  }
  // Line of each record, for messages; a wrapped array's elements are not located (line of the file).
  const offsets = wrapped ? [] : topLevelOffsets(source.text);
  const records: PsRecord[] = [];
  items.forEach((item, index) => {
    const offset = offsets[index];
    const line = offset === undefined ? 1 : source.lineOf(offset);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return;
    const props = new Map<string, PsValue>();
    // Directory references (Identity, Server, User…) as the console prints them, whatever depth
    // ConvertTo-Json cut them at.
    for (const [k, v] of Object.entries(item)) props.set(k, printedReferences(toPsValue(v)));
    const typeNames: string[] = [];
    const pstn = props.get('PSTypeNames') ?? props.get('pstypenames');
    if (Array.isArray(pstn)) for (const t of pstn) if (typeof t === 'string') typeNames.push(t);
    records.push({ typeNames, props, source: { file: source.name, line } });
  });
  return { value: records, warnings: [] };
}
