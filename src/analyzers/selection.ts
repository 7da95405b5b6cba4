// Selection questions the address-based rules ask the engine: "is this connector the one
// Exchange picks for this address on any of its bindings?" (reference §4.2, one lookup each).
import type { ReceiveConnector } from '../model.js';
import { parseAddress, selectConnectorDetailed, type PolicyIndex, type Selection } from '../policy/index.js';
import { bindingText } from './rule.js';

export interface SelectedHit { binding: string; port: number; selection: Selection }

/** The bindings of `connector` through which it is selected for `address`, with the range that matches. */
const selectionCache = new WeakMap<PolicyIndex, Map<string, Selection | null>>();

/** One engine lookup per (server, port, local address, remote address), shared by every connector asking. */
function selectCached(policy: PolicyIndex, server: string, port: number, local: string, address: string): Selection | null {
  let cache = selectionCache.get(policy);
  if (cache === undefined) { cache = new Map(); selectionCache.set(policy, cache); }
  const key = `${server.toLowerCase()}|${port}|${local}|${address}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = selectConnectorDetailed(policy, { server, port, localAddress: local }, address);
    cache.set(key, hit);
  }
  return hit;
}

export function selectedFor(policy: PolicyIndex, connector: ReceiveConnector, address: string): SelectedHit[] {
  if (!connector.enabled) return [];
  const remote = parseAddress(address);
  if (remote === null) return [];
  const out: SelectedHit[] = [];
  const seen = new Set<string>();
  for (const b of connector.bindings) {
    const local = parseAddress(b.address);
    if (local === null || local.family !== remote.family) continue;
    const key = `${b.port}|${b.address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const selection = selectCached(policy, connector.server, b.port, b.address, address);
    if (selection !== null && selection.connector === connector) out.push({ binding: bindingText(b), port: b.port, selection });
  }
  return out;
}
