// Done-when of the migration: for every fixture estate, through `apply`, the script is
// convergent (interrupted after ANY statement and run again, it gives what one clean run gives),
// a second run changes nothing, and the rollback restores the exact before-state of the target
// (after a clean run and after an interrupted one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyScript } from '../../src/apply/apply.js';
import type { Snapshot } from '../../src/model.js';
import { fixtureEstates, interruptedScripts, migrateCarryingAll, migrateEstate } from './helpers.js';

/** The target's connectors and their AD entries: what the migration and the rollback touch. */
function targetState(s: Snapshot, target: string): unknown {
  const on = (server: string) => server.toLowerCase() === target.toLowerCase();
  const ids = new Set(s.connectors.filter((c) => on(c.server)).map((c) => c.identity.toLowerCase()));
  return {
    connectors: s.connectors.filter((c) => on(c.server)).sort((a, b) => a.identity.localeCompare(b.identity)),
    permissions: s.permissions.filter((p) => ids.has(p.identity.toLowerCase())).map((p) => JSON.stringify(p)).sort(),
  };
}

for (const estate of await fixtureEstates()) {
  for (const [label, make] of [['as planned', migrateEstate], ['carrying every critical finding', migrateCarryingAll]] as const) {
    test(`${estate.name} (${label}): interrupted after any statement, a second run completes it; the rollback restores the target`, async () => {
      const m = await make(estate);
      const clean = (await applyScript(estate.snapshot, m.script, { file: 'migrate.ps1' })).snapshot;
      const again = await applyScript(clean, m.script, { file: 'migrate.ps1' });
      assert.equal(again.changed, 0, `a second run changed: ${JSON.stringify(again.events.filter((e) => e.kind === 'changed'))}`);
      const before = targetState(estate.snapshot, estate.target);
      const rolledBack = (await applyScript(clean, m.rollback, { file: 'rollback.ps1' })).snapshot;
      assert.deepEqual(targetState(rolledBack, estate.target), before, 'rollback after a clean run');
      assert.equal((await applyScript(rolledBack, m.rollback, { file: 'rollback.ps1' })).changed, 0, 'rollback twice');

      const cuts = await interruptedScripts(m.script);
      assert.ok(cuts.length >= m.plan.mappings.length, `${cuts.length} statements`);
      for (const cut of cuts) {
        const partial = (await applyScript(estate.snapshot, cut.text, { file: 'interrupted.ps1' })).snapshot;
        const resumed = (await applyScript(partial, m.script, { file: 'migrate.ps1' })).snapshot;
        assert.deepEqual(targetState(resumed, estate.target), targetState(clean, estate.target), `interrupted after: ${cut.after}`);
        const undone = (await applyScript(partial, m.rollback, { file: 'rollback.ps1' })).snapshot;
        assert.deepEqual(targetState(undone, estate.target), before, `rollback after an interruption after: ${cut.after}`);
      }
    });
  }
}
