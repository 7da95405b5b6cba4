// `exrelay replay`: evaluates scenarios against the configuration in-process, exactly as the
// sandbox would answer them, and optionally against a second configuration or server.
import type { Command } from 'commander';
import { ExitCode, InputError, UsageError } from '../../errors.js';
import { stableStringify } from '../../json.js';
import { REPLAY_SCHEMA, type ReplayComparison, type ReplayDocument, type ReplayResult, type Scenario } from '../../model.js';
import { buildPolicy, plannedTenant, serverNames, serverOf, type PolicyIndex } from '../../policy/index.js';
import { parsePlanDocument } from '../../policy/plan-file.js';
import { REPLAY_FLAVORS, type Flavor, type ReplayFlavor, flavorWithNote } from '../../policy/replies.js';
import { runExoScenario } from '../../replay/exo.js';
import { renderComparisonText, renderResultsText } from '../../replay/format.js';
import { changeKind, compareResults, runScenario } from '../../replay/replay.js';
import { parseScenarios, scenarioLine } from '../../replay/scenarios.js';
import type { SourceText } from '../../source.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { readOptionFile, loadConnectorSnapshot } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseChoice } from '../options.js';

interface ReplayCliOptions {
  scenarios: string;
  compare?: string[];
  server?: string;
  compareServer?: string;
  format: 'text' | 'json';
  failOnChange?: boolean;
  flavor?: ReplayFlavor;
  plan?: string;
  rejectDirectSend?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function findServer(policy: PolicyIndex, name: string): string | undefined {
  return serverNames(policy).find((n) => n.toLowerCase() === name.trim().toLowerCase());
}

function requireServer(policy: PolicyIndex, name: string, option: string, side: string): string {
  return requireKnownName(option, name, serverNames(policy), 'server', `the ${side} input`);
}

/** The server each scenario runs against: the override, the scenario's own, or the only one. */
function serversFor(policy: PolicyIndex, scenarios: readonly Scenario[], override: string | undefined, source: SourceText, side: string): string[] {
  if (override !== undefined) return scenarios.map(() => override);
  const all = serverNames(policy);
  return scenarios.map((s, i) => {
    if (s.server !== undefined) {
      const hit = findServer(policy, s.server);
      if (hit === undefined) {
        throw new InputError(source.name, scenarioLine(source, i, 'server'),
          `scenario "${s.name}": no server "${s.server}" in the ${side} input (servers: ${all.join(', ') || 'none'})`);
      }
      return hit;
    }
    if (all.length === 1 && all[0] !== undefined) return all[0];
    throw new InputError(source.name, scenarioLine(source, i),
      all.length === 0
        ? `scenario "${s.name}": the ${side} input has no Exchange server`
        : `scenario "${s.name}" has no "server" and the ${side} input has ${all.length} servers (${all.join(', ')}); add "server" or use --server`);
  });
}

function nowFromEnvironment(): Date {
  // EXRELAY_NOW (ISO 8601) pins the banner time, for reproducible output.
  const pinned = process.env.EXRELAY_NOW;
  if (pinned !== undefined && pinned !== '') {
    const d = new Date(pinned);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return new Date();
}

function runAll(policy: PolicyIndex, scenarios: readonly Scenario[], servers: readonly string[], users: ReturnType<typeof parseScenarios>['document']['users'],
  flavor: Flavor | undefined, now: Date): ReplayResult[] {
  return scenarios.map((s, i) => runScenario(policy, s, users, {
    server: servers[i] ?? '', now, ...(flavor === undefined ? {} : { flavor }),
  }));
}

function flavorNotes(policy: PolicyIndex, servers: readonly string[], flavor: Flavor | undefined): string[] {
  if (flavor !== undefined) return [];
  const notes = new Set<string>();
  for (const name of new Set(servers)) {
    const note = flavorWithNote(serverOf(policy, name) ?? { name, fqdn: null, version: null, roles: [], ipAddresses: [] }).note;
    if (note !== null) notes.add(note);
  }
  return [...notes];
}

export function registerReplay(program: Command, ctx: CommandContext): void {
  const cmd = program.command('replay')
    .summary('answer SMTP scenarios in-process as the sandbox would; compare before and after')
    .description('Evaluate SMTP scenarios against the configuration in-process (no sockets), exactly as the sandbox would answer them. With --compare '
      + 'or --compare-server, evaluate them against the after side too and name each change: breaks (accepted before, not after), newly accepted, '
      + 'or fixed (a scenario whose "expect" the after side now meets).')
    .argument('<INPUT...>', 'exports, folders or snapshots: the before side')
    .requiredOption('--scenarios <FILE>', 'scenarios document (exrelay.scenarios/1, JSON or YAML; `exrelay logs --scenarios` writes one)')
    .option('--compare <INPUT>', 'exports or snapshot for the after side (repeatable); reports what changed', collect)
    .option('--server <SERVER>', 'run every scenario against this server, whatever its "server" field says')
    .option('--compare-server <SERVER>', 'run the after side against this server (e.g. the replacement of --server)')
    .option('--format <FORMAT>', 'text (one line per scenario) or json (exrelay.replay/1)', parseChoice(['text', 'json'] as const), 'text')
    .option('--fail-on-change', 'exit 1 when any scenario changed between before and after (needs --compare or --compare-server)')
    .option('--flavor <VERSION>', 'answer as this Exchange version instead of the server\'s own; exo: compare today with Exchange Online after the exit plan (needs --plan)', parseChoice(REPLAY_FLAVORS))
    .option('--plan <FILE>', 'with --flavor exo: the exit plan (exrelay.plan/1 JSON) whose Exchange Online setup is the after side')
    .option('--reject-direct-send', 'with --flavor exo: the tenant has Set-OrganizationConfig -RejectDirectSend $true');
  withExamples(cmd, [
    { what: 'who breaks after the migration: the old server today against the new one after the script', run: 'exrelay replay exports/ --scenarios traffic.json --server EX10 --compare after.json --compare-server EX16' },
    { what: 'what a printer at 10.1.2.3 gets today', run: 'exrelay replay exports/ --scenarios printer.yaml --server EX10' },
    { what: 'a gate in the change pipeline', run: 'exrelay replay before.json --scenarios traffic.json --compare after.json --fail-on-change --format json' },
    { what: 'who breaks when the relay moves to Exchange Online as the exit plan says', run: 'exrelay replay exports/ --scenarios traffic.json --flavor exo --plan plan.json' },
  ]);
  cmd.action(async (inputs: string[], opts: ReplayCliOptions) => {
      const exo = opts.flavor === 'exo';
      if (exo && opts.plan === undefined) throw new UsageError('--flavor exo needs --plan FILE (the exit plan whose Exchange Online setup is the after side)');
      if (!exo && (opts.plan !== undefined || opts.rejectDirectSend === true)) throw new UsageError(`${opts.plan !== undefined ? '--plan' : '--reject-direct-send'} needs --flavor exo`);
      if (exo && (opts.compare !== undefined || opts.compareServer !== undefined)) throw new UsageError('--flavor exo compares today with Exchange Online itself: leave out --compare and --compare-server');
      const comparing = exo || opts.compare !== undefined || opts.compareServer !== undefined;
      if (opts.failOnChange === true && !comparing) throw new UsageError('--fail-on-change needs --compare or --compare-server');
      const flavor: Flavor | undefined = opts.flavor === 'exo' ? undefined : opts.flavor;
      const planSource = opts.plan === undefined ? null : await readOptionFile(ctx.io, opts.plan);
      const plan = planSource === null ? null : parsePlanDocument(planSource.text, planSource.name);

      const source = await readOptionFile(ctx.io, opts.scenarios);
      const { document, warnings } = parseScenarios(source);
      for (const w of warnings) ctx.io.stderr(`exrelay: warning: ${w.file}${w.line === null ? '' : `:${w.line}`}: ${w.message}\n`);

      const beforeSnapshot = await loadConnectorSnapshot(inputs, ctx.io);
      const before = buildPolicy(beforeSnapshot);
      const override = opts.server === undefined ? undefined : requireServer(before, opts.server, '--server', 'before');
      const beforeServers = serversFor(before, document.scenarios, override, source, 'before');
      const now = nowFromEnvironment();
      const notes = flavorNotes(before, beforeServers, flavor);
      const beforeResults = runAll(before, document.scenarios, beforeServers, document.users, flavor, now);

      let doc: ReplayDocument;
      let changed = 0;
      let gateChanges = 0;
      let afterPolicy: PolicyIndex | null = null;
      if (!comparing) {
        doc = { schema: REPLAY_SCHEMA, results: beforeResults };
        ctx.io.stdout(opts.format === 'json' ? stableStringify(doc) : renderResultsText(beforeResults));
      } else if (plan !== null) {
        // The after side is the planned tenant; keep-on-premises senders keep today's answer.
        const setup = {
          plan, tenant: plannedTenant(beforeSnapshot, before, plan), policy: before,
          rejectDirectSend: opts.rejectDirectSend === true, now,
        };
        const afterResults = beforeResults.map((today, i) => {
          const scenario = document.scenarios[i];
          if (scenario === undefined) return today;
          const { result, note } = runExoScenario(setup, scenario, () => today);
          if (note !== null) notes.push(note);
          return result;
        });
        const comparisons = beforeResults.map((b, i) => compareResults(b, afterResults[i] ?? b, document.scenarios[i], { ignoreConnector: true }));
        changed = comparisons.filter((c) => c.changed).length;
        gateChanges = comparisons.filter((c, i) => c.changed && changeKind(c, document.scenarios[i]?.expect) !== 'fixed').length;
        doc = { schema: REPLAY_SCHEMA, summary: { total: comparisons.length, changed }, results: comparisons };
        ctx.io.stdout(opts.format === 'json' ? stableStringify(doc) : renderComparisonText(comparisons, document.scenarios.map((s) => s.expect)));
      } else {
        const after = opts.compare === undefined ? before : buildPolicy(await loadConnectorSnapshot(opts.compare, ctx.io));
        afterPolicy = after;
        const afterOverride = opts.compareServer !== undefined ? requireServer(after, opts.compareServer, '--compare-server', 'after')
          : opts.server !== undefined ? requireServer(after, opts.server, '--server', 'after') : undefined;
        const afterServers = serversFor(after, document.scenarios, afterOverride, source, 'after');
        notes.push(...flavorNotes(after, afterServers, flavor).filter((n) => !notes.includes(n)));
        const afterResults = runAll(after, document.scenarios, afterServers, document.users, flavor, now);
        const comparisons: ReplayComparison[] = beforeResults.map((b, i) => compareResults(b, afterResults[i] ?? b, document.scenarios[i]));
        changed = comparisons.filter((c) => c.changed).length;
        // A scenario that reached its `expect` is fixed, not a failure of the gate.
        gateChanges = comparisons.filter((c, i) => c.changed && changeKind(c, document.scenarios[i]?.expect) !== 'fixed').length;
        // JSON keeps the file's order (scripts index it); the text shows what changed first.
        doc = { schema: REPLAY_SCHEMA, summary: { total: comparisons.length, changed }, results: comparisons };
        ctx.io.stdout(opts.format === 'json' ? stableStringify(doc) : renderComparisonText(comparisons, document.scenarios.map((s) => s.expect)));
      }
      for (const note of notes) ctx.io.stderr(`exrelay: note: ${note}\n`);
      // What the engine had to skip or decide by export order (e.g. equal ranges on two connectors).
      const policies = afterPolicy === null ? [before] : [before, afterPolicy];
      for (const problem of new Set(policies.flatMap((p) => p.problems))) ctx.io.stderr(`exrelay: warning: ${problem}\n`);
      ctx.setExitCode(opts.failOnChange === true && gateChanges > 0 ? ExitCode.GateFailed : ExitCode.Ok);
  });
}

