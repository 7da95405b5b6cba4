// A relay fix changes a connector together with its copies on the other servers of its
// generation (relay-fixes.ts peersOf). Every copy's finding asks for the same group: on an
// estate that repeats its connectors on 200 servers, asking peersOf for each finding reads the
// 200 copies 200 times (servers² name, generation and rights checks per connector name).
import type { ReceiveConnector } from '../model.js';
import { connectorsNamed, peersOf } from './relay-fixes.js';
import { sharedName } from './rules/connector-inconsistent-across-servers.js';
import type { RuleContext } from './rule.js';

export type PeerGroupOf = (context: RuleContext, c: ReceiveConnector) => readonly ReceiveConnector[];

/**
 * peersOf with the predicate `also`, its answer shared by the whole group (per rule context):
 * when `also` holds for `c`, peersOf gives every member of `c`'s answer the same list (same
 * name, same generation, the same members for which `also` holds, sorted by identity), so the
 * list is kept for each of them. Not shared when an object or identity repeats (an object
 * listed twice is among the others' peers twice; the order of equal identities depends on who
 * asked). `also` must read only the connector and the
 * context. The list is shared: callers must not change it.
 */
export function peerGroups(also: (context: RuleContext, peer: ReceiveConnector) => boolean): PeerGroupOf {
  const memo = new WeakMap<RuleContext, Map<ReceiveConnector, readonly ReceiveConnector[]>>();
  return (context, c) => {
    let known = memo.get(context);
    if (known === undefined) { known = new Map(); memo.set(context, known); }
    const hit = known.get(c);
    if (hit !== undefined) return hit;
    const peers = peersOf(context, c, (p) => also(context, p));
    known.set(c, peers);
    if (also(context, c) && allDistinct(peers) && listedOnce(context, c)) for (const p of peers) known.set(p, peers);
    return peers;
  };
}

// A connector object listed twice is among its copies' peers twice, but once among its own.
function listedOnce(context: RuleContext, c: ReceiveConnector): boolean {
  let times = 0;
  for (const p of connectorsNamed(context.snapshot.connectors, sharedName(c))) if (p === c) times++;
  return times === 1;
}

function allDistinct(list: readonly ReceiveConnector[]): boolean {
  const objects = new Set(list);
  const identities = new Set(list.map((p) => p.identity.toLowerCase()));
  return objects.size === list.length && identities.size === list.length;
}
