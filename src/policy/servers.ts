// Servers and connectors as the snapshot lists them: names, connectors per server, bound ports.
import type { ExchangeServer, ReceiveConnector } from '../model.js';
import { type PolicyIndex, tablesOf } from './policy-index.js';

export function serverOf(policy: PolicyIndex, name: string): ExchangeServer | undefined {
  // Memo by the name as given: replay asks once per scenario, and lower-casing allocates.
  const tables = tablesOf(policy);
  const raw = tables.serversByRawName;
  if (raw.has(name)) return raw.get(name);
  const server = tables.serversByName.get(name.toLowerCase());
  raw.set(name, server);
  return server;
}

/** Names of the servers known to the snapshot: from `servers` and from connectors' `server`. */
export function serverNames(policy: PolicyIndex): string[] {
  const names = new Map<string, string>();
  for (const s of policy.snapshot.servers) names.set(s.name.toLowerCase(), s.name);
  for (const c of policy.snapshot.connectors) if (!names.has(c.server.toLowerCase())) names.set(c.server.toLowerCase(), c.server);
  return [...names.values()];
}

/** The enabled connectors of a server, in export order. */
export function connectorsOf(policy: PolicyIndex, server: string): ReceiveConnector[] {
  return (tablesOf(policy).connectorsByServer.get(server.toLowerCase()) ?? []).map((e) => e.connector);
}

/** Ports bound by at least one enabled connector of the server, ascending. */
export function portsOf(policy: PolicyIndex, server: string): number[] {
  const ports = new Set<number>();
  for (const e of tablesOf(policy).connectorsByServer.get(server.toLowerCase()) ?? []) {
    if (!e.connector.enabled) continue;
    for (const b of e.connector.bindings) ports.add(b.port);
  }
  return [...ports].sort((a, b) => a - b);
}
