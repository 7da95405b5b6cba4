// Selection questions the address-based rules ask the engine: "which connector does Exchange
// pick for this address?" (reference §4.2) — one lookup per listening endpoint and address,
// whatever the number of connectors.
import type { ReceiveConnector } from '../model.js';
import { selectConnectorDetailed, type PolicyIndex, type Selection } from '../policy/index.js';
import { formatAddress, formatBinding, isWildcardAddress, parseAddress } from '../net/index.js';

export interface SelectedHit { binding: string; port: number; selection: Selection }

interface Endpoint { server: string; port: number; local: string; family: 4 | 6; text: string }

/** Every distinct (server, port, local address) an enabled connector listens on. */
function endpointsOf(policy: PolicyIndex): Endpoint[] {
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const c of policy.snapshot.connectors) {
    if (!c.enabled) continue;
    for (const b of c.bindings) {
      const parsed = parseAddress(b.address);
      if (parsed === null) continue;
      const local = isWildcardAddress(b.address) ? (parsed.family === 4 ? '0.0.0.0' : '::') : formatAddress(parsed.family, parsed.value);
      const key = `${c.server.toLowerCase()}|${b.port}|${local}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ server: c.server, port: b.port, local, family: parsed.family, text: formatBinding({ address: local, port: b.port }) });
    }
  }
  return out;
}

/**
 * For each address, the connectors Exchange selects for it on every endpoint of the
 * organisation, grouped by connector: connector → [{address, binding, selection}]. With
 * `wanted`, only the selections of wanted connectors are sure to be there.
 */
export function selectionsFor(policy: PolicyIndex, addresses: readonly string[], wanted?: (c: ReceiveConnector) => boolean): Map<ReceiveConnector, Array<{ address: string } & SelectedHit>> {
  const out = new Map<ReceiveConnector, Array<{ address: string } & SelectedHit>>();
  let endpoints = endpointsOf(policy);
  if (wanted !== undefined) {
    // Exchange selects among the connectors of the endpoint's server bound to its port: where
    // none of them is wanted, no selection there can be (addresses × endpoints is servers²).
    const ports = new Set<string>();
    for (const c of policy.snapshot.connectors) {
      if (!c.enabled || !wanted(c)) continue;
      for (const b of c.bindings) ports.add(`${c.server.toLowerCase()}|${b.port}`);
    }
    endpoints = endpoints.filter((ep) => ports.has(`${ep.server.toLowerCase()}|${ep.port}`));
  }
  for (const address of addresses) {
    const remote = parseAddress(address);
    if (remote === null) continue;
    for (const ep of endpoints) {
      if (ep.family !== remote.family) continue;
      const selection = selectConnectorDetailed(policy, { server: ep.server, port: ep.port, localAddress: ep.local }, address);
      if (selection === null) continue;
      const list = out.get(selection.connector);
      const hit = { address, binding: ep.text, port: ep.port, selection };
      if (list === undefined) out.set(selection.connector, [hit]); else list.push(hit);
    }
  }
  return out;
}
