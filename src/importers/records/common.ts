// Shared by the per-cmdlet mappers: record classification, property access, `extra`.
import type { JsonValue } from '../../json.js';
import type { ImportWarning } from '../../model.js';
import { psText } from '../ps-values.js';
import { getProp, type PsRecord, type PsValue, type RecordKind } from '../types.js';

export interface Mapped<T> { value: T | null; warnings: ImportWarning[] }

/**
 * Type names without the `Deserialized.` / `Selected.` prefixes remote sessions and Select-Object add.
 * UNSURE(reference): §9.1 — the `Deserialized.` prefix on ReceiveConnector itself is inferred from
 * other Exchange types (test: "UNSURE(reference): Deserialized.…ReceiveConnector is a receive connector").
 */
export function baseTypeName(name: string): string {
  return name.replace(/^(Deserialized\.|Selected\.)+/, '');
}

const TYPE_KINDS: ReadonlyArray<readonly [RegExp, RecordKind]> = [
  [/\.ReceiveConnector$/, 'receive-connector'],
  [/\.ADAcePresentationObject$/, 'ad-permission'],
  [/\.AcceptedDomain$/, 'accepted-domain'],
  [/\.ExchangeCertificate$/, 'exchange-certificate'],
  [/\.ExchangeServer$/, 'exchange-server'],
];

function has(record: PsRecord, ...names: string[]): boolean {
  return names.every((n) => getProp(record, n) !== undefined);
}

/** What a record is: from its type names, else from the set of its property names. */
export function classifyRecord(record: PsRecord): RecordKind {
  for (const t of record.typeNames) {
    const base = baseTypeName(t);
    for (const [pattern, kind] of TYPE_KINDS) if (pattern.test(base)) return kind;
  }
  // A typed object of another Exchange class (a Mailbox, a virtual directory) is not guessed
  // from its property names; only untyped records (console text, CSV without #TYPE, JSON,
  // PSCustomObject) are.
  const first = record.typeNames[0];
  if (first !== undefined && !/PSCustomObject$/.test(baseTypeName(first))) return 'unknown';
  if (has(record, 'RemoteIPRanges') || has(record, 'Bindings') || (has(record, 'PermissionGroups') && has(record, 'AuthMechanism'))) {
    return 'receive-connector';
  }
  if (has(record, 'User') && (has(record, 'ExtendedRights') || has(record, 'AccessRights') || has(record, 'Deny') || has(record, 'IsInherited')
    || has(record, 'Rights'))) {
    return 'ad-permission';
  }
  if (has(record, 'DomainName') && has(record, 'DomainType')) return 'accepted-domain';
  if (has(record, 'Thumbprint') && (has(record, 'Services') || has(record, 'Subject') || has(record, 'NotAfter'))) {
    return 'exchange-certificate';
  }
  // Virtual directories and mailboxes also print AdminDisplayVersion, so it is not enough alone.
  if (has(record, 'ServerRole') || has(record, 'IsHubTransportServer') || has(record, 'IsMailboxServer')
    || (has(record, 'AdminDisplayVersion') && (has(record, 'Edition') || has(record, 'Site') || has(record, 'Fqdn')))) {
    return 'exchange-server';
  }
  return 'unknown';
}

export function text(record: PsRecord, name: string): string | null {
  const v = psText(getProp(record, name));
  return v === null ? null : v.trim();
}

/** Empty strings count as absent (Format-List prints `Banner :` for null). */
export function textOrNull(record: PsRecord, name: string): string | null {
  const v = text(record, name);
  return v === null || v === '' ? null : v;
}

export function lineOf(record: PsRecord, name: string): number | null {
  if (record.propLines !== undefined) {
    const direct = record.propLines.get(name);
    if (direct !== undefined) return direct;
    const lower = name.toLowerCase();
    for (const [k, v] of record.propLines) if (k.toLowerCase() === lower) return v;
  }
  return record.source.line;
}

export function warn(record: PsRecord, prop: string | null, message: string): ImportWarning {
  return { file: record.source.file, line: prop === null ? record.source.line : lineOf(record, prop), message };
}

/** A PsValue as JSON for `extra`: lists of items as text, nested objects by their ToString. */
export function toExtra(value: PsValue): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? psText(v) : v));
  return psText(value);
}

/** Properties that are AD bookkeeping or session noise: never copied into `extra`. */
const NOISE = new Set([
  'objectcategory', 'objectclass', 'objectstate', 'organizationid', 'id', 'isvalid', 'runspaceid', 'psshowcomputername',
  'originatingserver', 'exchangeobjectid', 'identity', 'tostring', 'serializationdata', 'rawdata', '@items',
]);

/** Copies every property not mapped to a model field into `extra`, with the record's source. */
export function buildExtra(record: PsRecord, mapped: ReadonlySet<string>): Record<string, JsonValue> {
  const extra: Record<string, JsonValue> = { source: { file: record.source.file, line: record.source.line } };
  for (const [name, value] of record.props) {
    const lower = name.toLowerCase();
    if (mapped.has(lower) || NOISE.has(lower)) continue;
    // An export may name a property `__proto__`; it stays data (no prototype change).
    Object.defineProperty(extra, name, { value: toExtra(value), enumerable: true, writable: true, configurable: true });
  }
  return extra;
}

export function lowerSet(names: readonly string[]): Set<string> {
  return new Set(names.map((n) => n.toLowerCase()));
}

/** `SERVER\Name` → ['SERVER', 'Name']; no backslash → [null, whole]. */
export function splitIdentity(identity: string): [string | null, string] {
  const i = identity.indexOf('\\');
  return i <= 0 ? [null, identity] : [identity.slice(0, i), identity.slice(i + 1)];
}
