// What `exrelay migrate` does between reading the inputs and writing the files: audit the inputs
// (critical findings leave a connector out), plan, render, parse both scripts with the real
// PowerShell grammar, and dry-run the script with `apply`. A line Exchange would refuse is bad
// input (exit 2) naming that line, and nothing is written.
import { runAudit } from '../../analyzers/run.js';
import { applyScript } from '../../apply/apply.js';
import { InputError, InternalError } from '../../errors.js';
import type { Snapshot } from '../../model.js';
import {
  buildMigrationView, planMigration, renderMigration, renderRollback, type MigrateOptions, type MigrationPlan,
} from '../../emitters/powershell/migrate.js';
import { psComment } from '../../powershell/quote.js';
import { parsePowerShell } from '../../powershell/grammar.js';

export interface MigrationOutput {
  plan: MigrationPlan;
  script: string;
  rollback: string;
  /** One line each, for stderr: connectors left out, then what to check. */
  notices: string[];
}

async function assertParses(text: string, what: string): Promise<void> {
  const parsed = await parsePowerShell(text.replace(/^\uFEFF/, ''));
  const first = parsed.errors[0];
  parsed.tree.delete();
  if (first !== undefined) throw new InternalError(`the ${what} does not parse as PowerShell at line ${first.line}: ${first.text}`);
}

/** The snapshot the dry run starts from: the inputs, plus the target's assumed built-ins when the inputs hold none. */
function dryRunSnapshot(snapshot: Snapshot, plan: MigrationPlan): Snapshot {
  if (plan.assumedTarget.length === 0) return snapshot;
  const copy = structuredClone(snapshot);
  copy.connectors.push(...structuredClone(plan.assumedTarget));
  if (!copy.servers.some((s) => s.name.toLowerCase() === plan.targetServer.toLowerCase())) {
    copy.servers.push({ name: plan.targetServer, fqdn: null, version: null, roles: ['Mailbox'], ipAddresses: [] });
  }
  return copy;
}

export async function buildMigration(snapshot: Snapshot, options: MigrateOptions, scriptName: string): Promise<MigrationOutput> {
  const now = options.now ?? new Date();
  const findings = runAudit(snapshot, {}, now).findings;
  const full: MigrateOptions = { ...options, findings, now };
  const plan = planMigration(snapshot, full);
  const view = buildMigrationView(plan, full);
  const script = renderMigration(view);
  const rollback = renderRollback(view);
  await assertParses(script, 'migration script');
  await assertParses(rollback, 'rollback script');
  const start = dryRunSnapshot(snapshot, plan);
  let after: Snapshot;
  try {
    after = (await applyScript(start, script, { file: scriptName })).snapshot;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const text = error.line === null ? '' : (script.replace(/^\uFEFF/, '').split('\n')[error.line - 1] ?? '').trim().slice(0, 120);
    throw new InputError(scriptName, error.line, `Exchange would refuse this line of the migration script (dry run with exrelay apply): ${error.message}${text === '' ? '' : ` [${psComment(text)}]`}; nothing written`);
  }
  // The rollback must apply to what the migration leaves; if not, that is a bug here.
  try {
    await applyScript(after, rollback, { file: 'rollback script' });
  } catch (error) {
    if (error instanceof InputError) throw new InternalError(`the rollback script does not apply after the migration: ${error.oneLine()}`);
    throw error;
  }
  // Names may hold newlines; a notice stays one line.
  const notices = [
    ...plan.leftOut.map((l) => `left out: ${l.source}: ${l.reason}${l.carryWith === null ? '' : ` (to carry it: ${l.carryWith})`}`),
    ...(plan.carryCommand === null ? [] : [`to carry what can be carried: ${plan.carryCommand}`]),
    ...plan.warnings,
  ].map(psComment);
  return { plan, script, rollback, notices };
}
