// The relay-policy engine's public face: replay, sandbox, audit, diff, report and postfix all
// ask these functions, so they never disagree. Connector selection is a binary search over a
// precomputed partition of the address space (reference §4.2), never a scan of connectors or
// addresses. What each file does: policy-index.ts builds the index (range table, private
// caches); partition.ts and sweep.ts partition an endpoint's address space; select.ts looks a
// client up; won.ts lists the intervals each connector wins; servers.ts and endpoint.ts answer
// about the snapshot's servers and endpoints.
export { PolicyIndex, buildPolicy, plainIpv4Bounds, plainIpv4Span, type Selection, type WonInterval } from './policy-index.js';
export { connectorsOf, portsOf, serverNames, serverOf } from './servers.js';
export { isListening, selectConnector, selectConnector4, selectConnectorDetailed } from './select.js';
export { intervalsWonBy, intervalsWonByAll, preparePartitions, winningIntervals, wonIntervalCount, wonSegments4, type WonSegments4 } from './won.js';
export { rangeClashPartners } from './range-clash.js';
export * from './rights.js';
export * from './accepted-domains.js';
export * from './exo-tenant.js';
