// The migration-day proof, end to end: migrate OLD -> NEW, apply the script to the snapshot,
// then replay scenarios against OLD before and NEW after (runScenario/compareResults, as
// `replay --compare` does). Every scenario served by a connector the migration carries over must
// give the same accept/reject outcome, recipient by recipient. Running the script a second time
// through apply changes nothing; the rollback script restores the target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { captureIo } from '../../src/cli/io.js';
import { loadSnapshot } from '../../src/cli/load.js';
import { applyScript } from '../../src/apply/apply.js';
import { nonDefaultEntries } from '../../src/policy/index.js';
import { buildMigrationView, planMigration, renderMigration, renderRollback, type MigrationPlan } from '../../src/emitters/powershell/migrate.js';
import type { ReplayResult, Scenario, ScenariosDocument, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { compareResults, runScenario } from '../../src/replay/replay.js';
import { parseScenarios } from '../../src/replay/scenarios.js';
import { decodeSource } from '../../src/source.js';

const root = new URL('../../', import.meta.url);
const path = (p: string): string => new URL(p, root).pathname;

function scenarios(file: string): ScenariosDocument {
  return parseScenarios(decodeSource(file, readFileSync(path(file)))).document;
}

interface Migrated { plan: MigrationPlan; script: string; rollback: string; after: Snapshot }

async function migrate(snapshot: Snapshot, sourceServer: string, targetServer: string): Promise<Migrated> {
  const options = { sourceServer, targetServer };
  const plan = planMigration(snapshot, options);
  const view = buildMigrationView(plan, options);
  const script = renderMigration(view);
  const { snapshot: after } = await applyScript(snapshot, script, { file: 'migrate.ps1' });
  return { plan, script, rollback: renderRollback(view), after };
}

/** accept/reject per recipient, and the outcome: what must not change across the migration. */
function verdict(r: ReplayResult): string {
  return JSON.stringify([r.outcome, r.recipients.map((x) => [x.address.toLowerCase(), x.code < 400])]);
}

interface Checked { name: string; before: string | null; after: string | null; same: boolean; skipped: string | null }

function compareAll(before: Snapshot, after: Snapshot, doc: ScenariosDocument, m: Migrated, addressMap: Record<string, string>): Checked[] {
  const pb = buildPolicy(before);
  const pa = buildPolicy(after);
  const carried = new Set(m.plan.mappings.map((x) => x.target.identity.toLowerCase()));
  return doc.scenarios.map((s: Scenario) => {
    const b = runScenario(pb, s, doc.users, { server: m.plan.sourceServer });
    const local = s.localAddress === undefined ? {} : { localAddress: addressMap[s.localAddress] ?? s.localAddress };
    const a = runScenario(pa, { ...s, ...local }, doc.users, { server: m.plan.targetServer });
    const cmp = compareResults(b, a);
    // A connector that exists only on the target (a service added on the new server) is not
    // something the migration carries over; its scenarios say nothing about the migration.
    const targetOnly = a.connector !== null && !carried.has(a.connector.toLowerCase());
    return {
      name: s.name,
      before: cmp.before.connector,
      after: cmp.after.connector,
      same: verdict(b) === verdict(a),
      skipped: targetOnly ? `served on ${m.plan.targetServer} by ${a.connector}, which has no source counterpart` : null,
    };
  });
}

function assertEquivalent(checked: Checked[], m: Migrated): void {
  const compared = checked.filter((c) => c.skipped === null);
  const different = compared.filter((c) => !c.same);
  assert.deepEqual(different, [], 'scenarios whose accept/reject outcome changed');
  // Every relay connector of the source is covered by at least one compared scenario (the hub
  // side and the outbound proxy carry server-to-server traffic, not relay from clients).
  const covered = new Set(compared.map((c) => c.before?.toLowerCase()));
  const relayConnectors = m.plan.mappings.filter((x) => x.target.transportRole !== 'HubTransport' && !/^Outbound Proxy Frontend /i.test(x.target.name));
  assert.ok(relayConnectors.length >= 3);
  for (const mapping of relayConnectors) {
    assert.ok(covered.has(mapping.source.identity.toLowerCase()), `no scenario covers ${mapping.source.identity}`);
  }
}

test('round trip on the 2010 -> 2016 fixture: same accept/reject for every relay connector', async () => {
  const before = JSON.parse(readFileSync(path('fixtures/migrate/estate-2010-2016.snapshot.json'), 'utf8')) as Snapshot;
  const m = await migrate(before, 'EX10', 'EX16');
  const checked = compareAll(before, m.after, scenarios('fixtures/migrate/scenarios-2010-2016.json'), m, { '10.0.0.10': '10.0.0.16' });
  assert.equal(checked.filter((c) => c.skipped !== null).length, 0);
  assertEquivalent(checked, m);
  // The relays really relay on both sides (a vacuous "same" would also pass the comparison).
  assert.ok(checked.filter((c) => c.before?.includes('Relay') || c.before?.includes('Bulk')).length >= 4);
});

for (const [source, target] of [['CMEX10A', 'CMEX16A'], ['CMEX10B', 'CMEX16B'], ['CMEX16A', 'CMEX16B']] as const) {
  test(`round trip on the demo estate: ${source} -> ${target} keeps every relay connector's outcome`, async () => {
    const before = await loadSnapshot([path('fixtures/estate-2010-2016')], captureIo());
    const m = await migrate(before, source, target);
    const doc = scenarios('fixtures/estate-2010-2016/scenarios.yaml');
    const extra = scenarios('fixtures/migrate/demo-estate-scenarios.yaml');
    const all = { ...doc, users: [...doc.users, ...extra.users], scenarios: [...doc.scenarios, ...extra.scenarios] };
    // A scenario aimed at an address of the old server is aimed at the same-rank address of the new one.
    const addresses = (name: string) => before.servers.find((x) => x.name === name)?.ipAddresses ?? [];
    const addressMap = Object.fromEntries(addresses(source).map((a, i) => [a, addresses(target)[i] ?? a]));
    const checked = compareAll(before, m.after, all, m, addressMap);
    assertEquivalent(checked, m);
  });
}

test('running the migration script a second time through apply changes nothing', async () => {
  const before = await loadSnapshot([path('fixtures/estate-2010-2016')], captureIo());
  const m = await migrate(before, 'CMEX10A', 'CMEX16A');
  assert.notDeepEqual(m.after, before, 'the first run changes the target');
  const second = await applyScript(m.after, m.script, { file: 'migrate.ps1' });
  assert.equal(second.changed, 0, JSON.stringify(second.events.filter((e) => e.kind === 'changed')));
  assert.deepEqual(second.snapshot, m.after);
});

test('the rollback script restores the target as it was (connectors and AD entries)', async () => {
  const fixture = JSON.parse(readFileSync(path('fixtures/migrate/estate-2010-2016.snapshot.json'), 'utf8')) as Snapshot;
  for (const [before, source, target] of [
    [fixture, 'EX10', 'EX16'],
    [await loadSnapshot([path('fixtures/estate-2010-2016')], captureIo()), 'CMEX10A', 'CMEX16A'],
  ] as const) {
    const m = await migrate(before, source, target);
    const { snapshot: restored } = await applyScript(m.after, m.rollback, { file: 'rollback.ps1' });
    // Entries a connector's groups imply are the same ACEs whether listed or not (the model keeps
    // groups as groups); compare what is left, one right per entry.
    const on = (s: Snapshot) => {
      const connectors = s.connectors.filter((c) => c.server === target);
      const permissions = connectors.flatMap((c) => nonDefaultEntries(c, s.permissions)).map((p) => JSON.stringify(p)).sort();
      return { connectors, permissions };
    };
    assert.deepEqual(on(restored), on(before));
    // Rolling back twice is as idempotent as migrating twice.
    const again = await applyScript(restored, m.rollback, { file: 'rollback.ps1' });
    assert.equal(again.changed, 0);
  }
});
