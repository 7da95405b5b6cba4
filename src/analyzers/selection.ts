// Selection questions the address-based rules ask the engine: "is this connector the one
// Exchange picks for this address on any of its bindings?" (reference §4.2, one lookup each).
import type { ReceiveConnector } from '../model.js';
import { parseAddress, selectConnectorDetailed, type PolicyIndex, type Selection } from '../policy/index.js';
import { bindingText } from './rule.js';

export interface SelectedHit { binding: string; port: number; selection: Selection }

/** The bindings of `connector` through which it is selected for `address`, with the range that matches. */
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
    const selection = selectConnectorDetailed(policy, { server: connector.server, port: b.port, localAddress: b.address }, address);
    if (selection !== null && selection.connector === connector) out.push({ binding: bindingText(b), port: b.port, selection });
  }
  return out;
}
