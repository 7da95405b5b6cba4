// What a change script changed, found by comparing the snapshot before and after it (not by
// trusting the dry run's own account of what it did): the connectors whose properties or AD
// permission entries differ, and their servers. The incremental re-audit (analyzers/run.ts,
// reauditChanged) and the baseline replay run again only there.
import { RULE_LEAF_PROPERTIES, type AuditChange } from '../analyzers/run.js';
import type { JsonValue } from '../json.js';
import type { ReceiveConnector, Snapshot } from '../model.js';

/** Structural equality of JSON-like values (the snapshot is plain data); keys in any order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, JsonValue | undefined>;
  const y = b as Record<string, JsonValue | undefined>;
  let defined = 0;
  for (const key in x) {
    const value = x[key];
    if (value === undefined) continue;
    defined++;
    if (!sameValue(value, y[key])) return false;
  }
  for (const key in y) if (y[key] !== undefined) defined--;
  return defined === 0;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list === undefined) out.set(key, [item]); else list.push(item);
  }
  return out;
}

/** The identities on each server, in snapshot order (ties between connectors go by that order). */
function orderByServer(snapshot: Snapshot): Map<string, string> {
  const byServer = groupBy(snapshot.connectors, (c) => c.server.toLowerCase());
  return new Map([...byServer].map(([server, list]) => [server, list.map((c) => c.identity.toLowerCase()).join('\n')]));
}

/** What changed from `before` to `after` (after is typically the dry run's copy of before). */
export function changeBetween(before: Snapshot, after: Snapshot): AuditChange {
  const connectors = new Set<string>();
  const servers = new Set<string>();
  if (!sameValue(before.servers, after.servers) || !sameValue(before.certificates, after.certificates) || !sameValue(before.acceptedDomains, after.acceptedDomains)) {
    return { everything: true, connectors, servers, leafProperties: null };
  }
  const identity = (x: { identity: string }): string => x.identity.toLowerCase();
  const connectorsBefore = groupBy(before.connectors, identity);
  const connectorsAfter = groupBy(after.connectors, identity);
  for (const [key, list] of connectorsBefore) if (!sameValue(list, connectorsAfter.get(key))) connectors.add(key);
  for (const key of connectorsAfter.keys()) if (!connectorsBefore.has(key)) connectors.add(key);
  // Which properties changed, while every change is one connector's properties alone.
  let leafProperties: Set<string> | null = new Set<string>();
  for (const key of connectors) {
    const [was, more] = connectorsBefore.get(key) ?? [];
    const [now, more2] = connectorsAfter.get(key) ?? [];
    leafProperties = was === undefined || now === undefined || more !== undefined || more2 !== undefined ? null : changedLeaves(was, now, leafProperties);
    if (leafProperties === null) break;
  }
  const permissionsBefore = groupBy(before.permissions, identity);
  const permissionsAfter = groupBy(after.permissions, identity);
  const aclChanged = (key: string): void => { connectors.add(key); leafProperties = null; };
  for (const [key, list] of permissionsBefore) if (!sameValue(list, permissionsAfter.get(key))) aclChanged(key);
  for (const key of permissionsAfter.keys()) if (!permissionsBefore.has(key)) aclChanged(key);
  for (const key of connectors) {
    for (const c of [...(connectorsBefore.get(key) ?? []), ...(connectorsAfter.get(key) ?? [])]) servers.add(c.server.toLowerCase());
  }
  const orderBefore = orderByServer(before);
  const orderAfter = orderByServer(after);
  const reordered = (server: string): void => { servers.add(server); leafProperties = null; };
  for (const [server, order] of orderBefore) if (orderAfter.get(server) !== order) reordered(server);
  for (const server of orderAfter.keys()) if (!orderBefore.has(server)) reordered(server);
  return { everything: false, connectors, servers, leafProperties };
}

/** `into` plus the fields that differ between two versions of a connector, or null when one is not a leaf property. */
function changedLeaves(was: ReceiveConnector, now: ReceiveConnector, into: Set<string>): Set<string> | null {
  const x = was as unknown as Record<string, unknown>;
  const y = now as unknown as Record<string, unknown>;
  for (const field of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (sameValue(x[field], y[field])) continue;
    if (!(field in RULE_LEAF_PROPERTIES)) return null;
    into.add(field);
  }
  return into;
}
