// The verifier re-audits a fixed configuration incrementally (only the rules and connectors a
// script can have changed, by each rule's meta.scope) and replays only the baseline scenarios
// through the servers it changed. Here that is held to the full re-audit and the full replay
// (incremental-cases.ts) over the realistic generated organisations (one in three, with their traffic): every candidate script the rules generate there, plus probes
// on the connectors. The estates are split over several files so each stays within the test
// runner's per-file time on a loaded machine.
import { describe, it } from 'node:test';
import { proofEstates } from './estates.js';
import { assertIncrementalAgrees } from './incremental-cases.js';

const estates = (await proofEstates()).filter((e) => e.kind === 'realistic').filter((_, i) => i % 3 === 0);

describe('the incremental re-audit and replay give what the full ones give: realistic estates', () => {
  for (const estate of estates) it(estate.name, () => assertIncrementalAgrees(estate));
});
