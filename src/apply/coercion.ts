// Bound parameter values turned into model values as Exchange's parameter types do: booleans,
// enums, flag lists, byte sizes, and lists edited with `@{Add=…; Remove=…}`. What a type
// refuses is a Refusal, which the interpreter reports with the statement's line.
import type { Binding, IpRange } from '../model.js';
import type { JsonValue } from '../json.js';
import { parseByteSize } from '../powershell/values.js';
import { parseBinding, parseRange } from '../net/index.js';
import type { Params } from './binding.js';
import { isHash, isObject, stringify, toStringList, type PsValue } from './ps-types.js';

/** What Exchange (or PowerShell) refuses at run time; reported with the statement's line. */
export class Refusal extends Error {}

/**
 * What a cmdlet would do but the model cannot represent (e.g. an extended right that is not an
 * SMTP right): reported as "cannot interpret" with the statement's line, never guessed.
 */
export class NotModelled extends Error {}

export const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The values of `all` that `values` holds, in the order of `all` (how Exchange prints flags). */
export function orderFlags<T extends string>(all: readonly T[], values: Iterable<T>): T[] {
  const set = new Set(values);
  return all.filter((v) => set.has(v));
}

export function str(b: Params, name: string): string | undefined {
  const v = b.get(name);
  return v === undefined ? undefined : stringify(v.value);
}

export function toBool(v: PsValue, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  const s = stringify(v).trim().replace(/^\$/, '').toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new Refusal(`cannot convert "${stringify(v)}" to a boolean for -${what}`);
}

export function enumValue<T extends string>(all: readonly T[], raw: string, what: string): T {
  const hit = all.find((v) => eq(v, raw.trim()));
  if (hit === undefined) throw new Refusal(`"${raw}" is not a valid ${what} (expected ${all.join(', ')})`);
  return hit;
}

/** Flag lists: items may themselves be `A, B` strings; `None` stands alone for the empty set. */
export function flags<T extends string>(all: readonly T[], items: string[], what: string): T[] {
  const words = items.flatMap((i) => i.split(',')).map((w) => w.trim()).filter((w) => w !== '');
  if (words.some((w) => eq(w, 'None'))) {
    if (words.length > 1) throw new Refusal(`${what} None cannot be combined with other values`);
    return [];
  }
  return orderFlags(all, words.map((w) => enumValue(all, w, what)));
}

export function byteSize(v: PsValue, what: string): number | null {
  if (typeof v === 'number') return Math.floor(v);
  const size = parseByteSize(stringify(v));
  if (size === undefined) throw new Refusal(`"${stringify(v).trim()}" is not a size for -${what} (e.g. 36MB)`);
  return size;
}

/** A list parameter: a plain list replaces, `@{Add=…; Remove=…}` edits (reference §5.3). */
export function listEdit<T>(v: PsValue, current: T[], parse: (s: string) => T, same: (a: T, b: T) => boolean, what: string): T[] {
  if (isHash(v)) {
    let out = [...current];
    for (const [key, value] of v.hash) {
      if (key !== 'add' && key !== 'remove') throw new Refusal(`-${what} accepts @{Add=…} and @{Remove=…}, not "${key}"`);
      const items = toStringList(value).map(parse);
      if (key === 'add') for (const item of items) { if (!out.some((o) => same(o, item))) out.push(item); }
      else out = out.filter((o) => !items.some((item) => same(o, item)));
    }
    return out;
  }
  const items = toStringList(v).map(parse);
  const out: T[] = [];
  for (const item of items) if (!out.some((o) => same(o, item))) out.push(item);
  return out;
}

export function toRange(s: string): IpRange {
  const parsed = parseRange(s);
  if (parsed.range === undefined) throw new Refusal(parsed.reason);
  return parsed.range;
}

export function toBinding(s: string): Binding {
  const parsed = parseBinding(s);
  if (parsed.binding === undefined) throw new Refusal(parsed.reason);
  return parsed.binding;
}

/** An unmodelled parameter's value as it is kept in `extra`. */
export function toJson(v: PsValue): JsonValue {
  if (Array.isArray(v)) return v.map(toJson);
  if (isHash(v)) return Object.fromEntries([...v.hash].map(([k, x]) => [k, toJson(x)]));
  if (isObject(v)) return v.text;
  return v;
}
