// Endpoints: the (server, port, local address) a client connects to, and the local address an
// endpoint without one resolves to.
import { type Family, formatAddress, parseAddress, wildcardAddress } from '../net/index.js';
import { type PolicyIndex, tablesOf } from './policy-index.js';

export interface Endpoint {
  server: string;
  port: number;
  /**
   * The server address the client connects to. null/absent: "any address the port is bound
   * on" — resolved by {@link resolveLocalAddress}. `0.0.0.0` / `::` mean an address of that
   * family that no connector binds specifically (only wildcard bindings compete).
   */
  localAddress?: string | null;
}

/**
 * Resolves an endpoint without a local address for a client of `family`: a wildcard-bound
 * port means "an address no connector binds specifically"; a port bound only to specific
 * addresses means the lowest of them. null when nothing of that family listens on the port.
 */
export function resolveLocalAddress(policy: PolicyIndex, endpoint: Endpoint, family: Family): string | null {
  if (endpoint.localAddress !== undefined && endpoint.localAddress !== null) {
    const parsed = parseAddress(endpoint.localAddress);
    return parsed === null ? null : formatAddress(parsed.family, parsed.value);
  }
  const tables = tablesOf(policy);
  const key = `${endpoint.server.toLowerCase()}|${endpoint.port}|${family}`;
  const cached = tables.defaultLocals.get(key);
  if (cached !== undefined) return cached;
  let specific: { value: bigint; text: string } | null = null;
  let result: string | null = null;
  outer: for (const e of tables.connectorsByServer.get(endpoint.server.toLowerCase()) ?? []) {
    if (!e.connector.enabled) continue;
    for (const b of e.connector.bindings) {
      if (b.port !== endpoint.port) continue;
      const parsed = parseAddress(b.address);
      if (parsed === null || parsed.family !== family) continue;
      if (parsed.value === 0n) { result = wildcardAddress(family); break outer; }
      if (specific === null || parsed.value < specific.value) specific = { value: parsed.value, text: formatAddress(family, parsed.value) };
    }
  }
  if (result === null && specific !== null) result = specific.text;
  tables.defaultLocals.set(key, result);
  return result;
}
