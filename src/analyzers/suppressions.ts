// Accepted risks: a suppressions file names a rule, a connector, the reason and an expiry
// date. A suppressed finding is listed as an accepted risk (never dropped); once the date has
// passed the suppression no longer applies and the finding says its acceptance expired.
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { InputError } from '../errors.js';
import { RULE_IDS, type Finding, type RuleId } from '../model.js';
import { QUIET_YAML, checkYamlLimits, convertYaml } from '../yaml-limits.js';

export interface Suppression {
  rule: RuleId;
  /** Connector identity (case-insensitive), `*` for every connector, null for organisation-wide findings. */
  connector: string | null;
  reason: string;
  /** `YYYY-MM-DD` (valid through that day, UTC) or an ISO 8601 date-time. */
  expires: string;
}

/** The first instant at which the suppression no longer applies. */
export function expiryInstant(s: Suppression): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s.expires);
  const t = Date.parse(dateOnly ? `${s.expires}T00:00:00Z` : s.expires);
  return new Date(dateOnly ? t + 86_400_000 : t);
}

export function isSuppressionExpired(s: Suppression, now: Date): boolean {
  return now.getTime() >= expiryInstant(s).getTime();
}

export function matchesSuppression(s: Suppression, f: Finding): boolean {
  if (s.rule !== f.rule) return false;
  if (s.connector === '*') return true;
  if (s.connector === null) return f.connector === null;
  return f.connector !== null && s.connector.toLowerCase() === f.connector.toLowerCase();
}

/**
 * Parses a suppressions file: JSON or YAML, either a list of entries or `{ suppressions: [...] }`.
 * Throws InputError naming the file and the entry's line.
 */
export function parseSuppressions(file: string, text: string): Suppression[] {
  checkYamlLimits(file, text);
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...QUIET_YAML, lineCounter: lines, prettyErrors: true });
  const lineOf = (node: Node | null | undefined): number | null => {
    const offset = node?.range?.[0];
    return offset === undefined ? null : lines.linePos(offset).line;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new InputError(file, e?.linePos?.[0].line ?? null, `not valid JSON or YAML: ${e?.message.split('\n')[0] ?? 'parse error'}`);
  }
  let root: unknown = doc.contents;
  if (isMap(root)) {
    const inner = root.get('suppressions', true);
    if (inner === undefined) throw new InputError(file, lineOf(root), 'expected a list of suppressions or { suppressions: [...] }');
    root = inner;
  }
  if (root === null || root === undefined) return [];
  if (!isSeq(root)) throw new InputError(file, lineOf(root as Node), 'expected a list of suppressions');
  const out: Suppression[] = [];
  for (const item of root.items) {
    const at = lineOf(item as Node);
    if (!isMap(item)) throw new InputError(file, at, 'each suppression must be an object with rule, connector, reason and expires');
    const value = convertYaml(file, at, () => item.toJSON() as Record<string, unknown>);
    const rule = RULE_IDS.find((id) => id === value.rule);
    if (rule === undefined) throw new InputError(file, at, `unknown rule "${String(value.rule)}"`);
    const connector = value.connector;
    if (connector !== null && typeof connector !== 'string') throw new InputError(file, at, 'connector must be a connector identity, "*" or null');
    if (typeof value.reason !== 'string' || value.reason.trim() === '') throw new InputError(file, at, 'a suppression needs a reason');
    const expires = value.expires instanceof Date ? value.expires.toISOString().slice(0, 10) : value.expires;
    if (typeof expires !== 'string' || Number.isNaN(Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(expires) ? `${expires}T00:00:00Z` : expires))) {
      throw new InputError(file, at, 'expires must be a date (YYYY-MM-DD)');
    }
    out.push({ rule, connector: connector === undefined ? null : connector, reason: value.reason.trim(), expires });
  }
  return out;
}
