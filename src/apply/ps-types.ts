// The values a change script computes with, as PowerShell holds them: strings, numbers,
// booleans, $null, arrays, hashtables and the objects Exchange's Get- cmdlets return; with
// PowerShell's truthiness and string conversion.
import type { SyntaxNode } from '../powershell/grammar.js';

export interface PsHash { readonly hash: Map<string, PsValue> }

/** Where an object a Get- cmdlet returned came from, so a later cmdlet can act on it. */
export type ObjectOrigin =
  | { kind: 'connector'; identity: string }
  | { kind: 'domain'; identity: string }
  | { kind: 'ace'; identity: string; user: string; deny: boolean; inherited: boolean; rights: readonly string[] };

/**
 * An object as the Exchange Management Shell hands it over: `text` is what it prints as
 * (ToString), `props` its properties (lower-case names; a property the snapshot does not know is
 * absent, so reading it cannot be answered). An object with no properties stands for an Exchange
 * type (an IPRange, a security principal) that compares reliably only through its text.
 */
export interface PsObject {
  readonly object: string;
  readonly text: string;
  readonly props: Map<string, PsValue>;
  readonly origin?: ObjectOrigin;
  /** Set when the snapshot cannot tell how the object prints on the server (why not). */
  readonly textUnknown?: string;
  /**
   * Set when only the end of the printed text is known: a domain group prints as
   * `DOMAIN\Exchange Servers` with the customer's NetBIOS domain, which the snapshot does not show.
   */
  readonly domainUnknown?: { suffix: string; why: string };
}
export type PsValue = string | number | boolean | null | PsValue[] | PsHash | PsObject;

/** Thrown for a construct the dry run cannot evaluate; `node` locates it. */
export class CannotEvaluate extends Error {
  constructor(readonly node: SyntaxNode, message: string) { super(message); }
}

export interface EvalContext {
  /** Variables, keyed by lower-case name without `$`. */
  variables: Map<string, PsValue>;
  /** Evaluates a command used as a value (e.g. `(Get-ReceiveConnector X -ErrorAction SilentlyContinue)`). */
  runQuery(command: SyntaxNode): PsValue;
}

export function isHash(v: PsValue): v is PsHash {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'hash' in v;
}

export function isObject(v: PsValue): v is PsObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'object' in v;
}

/** An Exchange value that only prints (an IPRange, a principal, an enum value). */
export function opaque(typeName: string, text: string): PsObject {
  return { object: typeName, text, props: new Map() };
}

/** PowerShell truthiness. */
export function isTruthy(v: PsValue): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length === 1 ? isTruthy(v[0] ?? null) : v.length > 0;
  return true;
}

/** A value as PowerShell would turn it into a string (arrays joined by spaces). */
export function stringify(v: PsValue): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(stringify).join(' ');
  if (isObject(v)) return v.text;
  return 'System.Collections.Hashtable';
}

/** Flattens a value into a list of strings (arrays and single values alike). */
export function toStringList(v: PsValue): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v.flatMap(toStringList);
  return [stringify(v)];
}

// Collections Exchange hands over (a deserialized ArrayList, or a MultiValuedProperty in a local
// session) grow with .Add(); arrays a script builds (`@()`, `,`, `+`) are fixed-size .NET arrays,
// whose .Add() fails. The dry run remembers which is which.
const GROWABLE = new WeakSet<PsValue[]>();

/** Marks a collection an Exchange object holds as one that .Add() can grow. */
export function growable(list: PsValue[]): PsValue[] {
  GROWABLE.add(list);
  return list;
}

export function isGrowable(list: PsValue[]): boolean {
  return GROWABLE.has(list);
}
