// Parsers for the printed forms of PowerShell / Exchange values (reference §1.2, §1.3, §5).
// Each returns a value or null ("could not parse"); the record mappers decide whether a null
// becomes a warning. Nothing here throws on bad input.
import {
  AUTH_MECHANISMS, PERMISSION_GROUPS,
  type AuthMechanism, type PermissionGroup,
} from '../model.js';
import type { PsValue } from './types.js';

// ---------------------------------------------------------------- scalars

export { parseByteSize } from '../powershell/values.js';

/** `Unlimited` → null, an integer → number, else undefined. */
export function parseUnlimitedInt(raw: string): number | null | undefined {
  const text = raw.trim();
  if (/^unlimited$/i.test(text)) return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  return undefined;
}

/** True/False as printed, `$true`, `1`/`0`; undefined otherwise. */
export function parseBoolean(raw: string): boolean | undefined {
  const text = raw.trim().toLowerCase().replace(/^\$/, '');
  if (text === 'true' || text === '1' || text === 'yes') return true;
  if (text === 'false' || text === '0' || text === 'no') return false;
  return undefined;
}

/**
 * A printed list: `{a, b, c}` (Format-List), or a cell joined by the admin with `;`, `,` or
 * whitespace. Empty and `{}` give [].
 */
export function splitList(raw: string, separators: 'any' | 'comma' = 'any'): string[] {
  let text = raw.trim();
  if (text.startsWith('{') && text.endsWith('}')) {
    text = text.slice(1, -1);
    return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  if (text === '') return [];
  const pattern = separators === 'comma' ? /\s*,\s*/ : text.includes(';') ? /\s*;\s*/ : text.includes(',') ? /\s*,\s*/ : /\s+/;
  return text.split(pattern).map((s) => s.trim()).filter((s) => s !== '');
}

// ---------------------------------------------------------------- enums (reference §1.3)

export const AUTH_MECHANISM_FLAGS: ReadonlyArray<readonly [AuthMechanism, number]> = [
  ['Tls', 1], ['Integrated', 2], ['BasicAuth', 4], ['BasicAuthRequireTLS', 8], ['ExchangeServer', 16], ['ExternalAuthoritative', 32],
];
export const PERMISSION_GROUP_FLAGS: ReadonlyArray<readonly [PermissionGroup, number]> = [
  ['AnonymousUsers', 1], ['ExchangeUsers', 2], ['ExchangeServers', 4], ['ExchangeLegacyServers', 8], ['Partners', 16], ['Custom', 32],
];

export interface FlagsResult<T extends string> { values: T[]; unknown: string[] }

// UNSURE(reference): §9.3 — whether ConvertTo-Json prints Exchange enums as numbers or names is
// unconfirmed, so both are read (test: "UNSURE(reference): ConvertTo-Json enums as numbers or names …").
/**
 * Flag enums: a number (ConvertTo-Json), names joined by `, ` (`Tls, BasicAuth`), a list of
 * names, or `None` (→ []). Names are matched case-insensitively and returned in bit order.
 */
export function parseFlags<T extends string>(
  allowed: readonly T[], flags: ReadonlyArray<readonly [T, number]>, value: PsValue,
): FlagsResult<T> {
  const found = new Set<T>();
  const unknown: string[] = [];
  const addName = (name: string): void => {
    const n = name.trim();
    if (n === '' || n.toLowerCase() === 'none') return;
    if (/^\d+$/.test(n)) { addNumber(Number(n)); return; }
    const hit = allowed.find((a) => a.toLowerCase() === n.toLowerCase());
    if (hit === undefined) unknown.push(n); else found.add(hit);
  };
  const addNumber = (num: number): void => {
    let rest = num;
    for (const [name, bit] of flags) {
      if (Math.floor(num / bit) % 2 === 1) { found.add(name); rest -= bit; }
    }
    if (rest !== 0) unknown.push(String(rest));
  };
  const visit = (v: PsValue): void => {
    if (typeof v === 'number') addNumber(v);
    // Flag names contain no spaces, so `Tls, BasicAuth`, `{Tls, BasicAuth}` and `Tls;BasicAuth` all split the same way.
    else if (typeof v === 'string') { for (const part of v.replace(/^\s*\{|\}\s*$/g, '').split(/[\s,;]+/)) addName(part); }
    else if (Array.isArray(v)) { for (const item of v) visit(item); }
    else if (v !== null && typeof v === 'object') {
      // ConvertTo-Json of a live enum at depth: {"value__": 31} or {"Value": 31}
      const inner = v.value__ ?? v.Value ?? v.ToString;
      if (inner !== undefined) visit(inner);
    }
  };
  visit(value);
  return { values: flags.map(([n]) => n).filter((n) => found.has(n)), unknown };
}

export function parseAuthMechanism(value: PsValue): FlagsResult<AuthMechanism> {
  return parseFlags(AUTH_MECHANISMS, AUTH_MECHANISM_FLAGS, value);
}

export function parsePermissionGroups(value: PsValue): FlagsResult<PermissionGroup> {
  return parseFlags(PERMISSION_GROUPS, PERMISSION_GROUP_FLAGS, value);
}

/** A plain (non-flag) enum: by name or by its numeric value. */
export function parseEnumValue<T extends string>(members: ReadonlyArray<readonly [T, number]>, value: PsValue): T | undefined {
  if (typeof value === 'number') return members.find(([, n]) => n === value)?.[0];
  if (typeof value === 'string') {
    const t = value.trim();
    if (/^\d+$/.test(t)) return members.find(([, n]) => n === Number(t))?.[0];
    return members.find(([name]) => name.toLowerCase() === t.toLowerCase())?.[0];
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const inner = value.value__ ?? value.Value ?? value.ToString;
    return inner === undefined ? undefined : parseEnumValue(members, inner);
  }
  return undefined;
}

// ---------------------------------------------------------------- dates

/**
 * ISO 8601 (CLIXML <DT>), ConvertTo-Json `/Date(1623456789000)/` → ISO 8601 UTC. Culture-printed
 * dates (`3/24/2021 10:37:11 AM`, `24.03.2021 10:37:11`) are ambiguous and give null.
 */
export function parseDate(raw: string): string | null {
  const text = raw.trim();
  const ms = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(text);
  if (ms !== null) return new Date(Number(ms[1])).toISOString();
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) || !text.includes('T');
    const d = new Date(hasZone ? text : `${text}Z`);
    return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.000Z$/, 'Z');
  }
  return null;
}

// ---------------------------------------------------------------- helpers on PsValue

/** The text of a value: strings as they are, numbers/booleans printed, objects by their ToString. */
export function psText(value: PsValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => psText(v) ?? '').join(', ');
  const ts = value.ToString;
  if (typeof ts === 'string') return ts;
  return null;
}

/** A value as a list of items: arrays as they are, strings split (`{a, b}` or joined cells). */
export function psList(value: PsValue | undefined, separators: 'any' | 'comma' = 'any'): PsValue[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return splitList(value, separators);
  return [value];
}

/** Is this cell the type name Export-Csv printed instead of a multi-valued property's items? */
export function isTypeNameCell(value: string): boolean {
  const t = value.trim();
  return /^(Deserialized\.)?(Microsoft\.Exchange\.|System\.)[\w.`]+(\[.*\])?$/.test(t)
    && /MultiValuedProperty|Collection|ArrayList|\[\]|`\d/.test(t);
}
