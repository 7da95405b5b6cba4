// `exrelay migrate INPUT... --source-server OLD --target-server NEW [--target-version 2016|2019]
// [--out FILE] [--rollback FILE]`: the PowerShell that recreates OLD's relay behaviour on NEW.
// Before anything is written, the script is parsed with the real PowerShell grammar (it must
// parse cleanly) and dry-run with `apply` on the same inputs, so a script Exchange would refuse
// is reported here rather than on migration day.
import type { Command } from 'commander';
import { ExitCode, InputError, InternalError } from '../../errors.js';
import { applyScript } from '../../apply/apply.js';
import {
  buildMigrationView, planMigration, renderMigration, renderRollback, type MigrateOptions, type TargetVersion,
} from '../../emitters/powershell/migrate.js';
import { psComment } from '../../powershell/quote.js';
import { parsePowerShell } from '../../powershell/grammar.js';
import type { CommandContext } from '../context.js';
import { buildPolicy, serverNames } from '../../policy/index.js';
import { withExamples } from '../help.js';
import { loadConnectorSnapshot } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseChoice } from '../options.js';
import { addQuietOption, reportWritten, writeOutputFile, type QuietOption } from '../output.js';

interface MigrateCliOptions extends QuietOption {
  sourceServer: string;
  targetServer: string;
  targetVersion?: TargetVersion;
  out?: string;
  rollback?: string;
}

async function assertParses(text: string, what: string): Promise<void> {
  const parsed = await parsePowerShell(text.replace(/^\uFEFF/, ''));
  const first = parsed.errors[0];
  parsed.tree.delete();
  if (first !== undefined) throw new InternalError(`the ${what} does not parse as PowerShell at line ${first.line}: ${first.text}`);
}

export function registerMigrate(program: Command, ctx: CommandContext): void {
  const cmd = program.command('migrate')
    .summary('write the PowerShell that recreates SERVER\'s relay connectors on the new server')
    .description('Write a PowerShell script (UTF-8 with BOM, idempotent, -WhatIf-able) that recreates on the target server the relay behaviour of '
      + 'the source server\'s receive connectors, and optionally its rollback script. The script is parsed with the PowerShell grammar and dry-run '
      + 'with `exrelay apply` before it is written; a line Exchange would refuse is named.')
    .argument('<INPUT...>', 'exports, folders or snapshots holding both servers')
    .requiredOption('--source-server <SERVER>', 'the server whose connectors are migrated (e.g. the Exchange 2010 hub)')
    .requiredOption('--target-server <SERVER>', 'the new 2016/2019 Mailbox server (it must be in the input: its Get-ExchangeServer line will do)')
    .option('--target-version <VERSION>', 'Exchange version of the target (default: from the target\'s version in the input, else 2016)', parseChoice(['2016', '2019'] as const))
    .option('--out <FILE>', 'write the script to FILE instead of standard output')
    .option('--rollback <FILE>', 'also write a script that undoes the migration to FILE');
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'the script and its undo, for the change window', run: 'exrelay migrate exports/ --source-server EX10 --target-server EX16 --out migrate.ps1 --rollback rollback.ps1' },
    { what: 'to a 2019 server whose version the exports do not show', run: 'exrelay migrate snapshot.json --source-server EX10 --target-server EX19 --target-version 2019 --out migrate.ps1' },
    { what: 'then its dry run on the model', run: 'exrelay apply exports/ --script migrate.ps1 --out after.json' },
  ]);
  cmd.action(async (inputs: string[], opts: MigrateCliOptions) => {
      const snapshot = await loadConnectorSnapshot(inputs, ctx.io);
      const known = serverNames(buildPolicy(snapshot));
      const options: MigrateOptions = {
        sourceServer: requireKnownName('--source-server', opts.sourceServer, known, 'server'),
        targetServer: requireKnownName('--target-server', opts.targetServer, known, 'server'),
        inputs,
        rollbackFile: opts.rollback ?? null,
        // The root program carries the tool's version (set in main.ts).
        version: program.version() ?? '',
        ...(opts.targetVersion === undefined ? {} : { targetVersion: opts.targetVersion }),
      };
      const plan = planMigration(snapshot, options);
      let script = renderMigration(buildMigrationView(plan, options));
      await assertParses(script, 'migration script');
      // Dry run on the inputs: what Exchange would refuse is said now, in the header and here.
      if (snapshot.connectors.some((c) => c.server.toLowerCase() === plan.targetServer.toLowerCase())) {
        try {
          await applyScript(snapshot, script, { file: opts.out ?? 'migration script' });
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          plan.warnings.push(`the dry run (exrelay apply) stops at line ${error.line ?? '?'}: ${error.message}; Exchange would refuse the script there`);
          script = renderMigration(buildMigrationView(plan, options));
        }
      }
      // Names may hold newlines; a warning stays one line.
      for (const w of plan.warnings) ctx.io.stderr(`exrelay: warning: ${psComment(w)}\n`);
      const migration = `migration of ${plan.sourceServer} to ${plan.targetServer} (Exchange ${plan.targetVersion})`;
      const counts = `${plan.mappings.length} connectors${plan.untranslated.length === 0 ? '' : `, ${plan.untranslated.length} items not carried over (listed in its header)`}`;
      if (opts.rollback !== undefined) {
        const rollback = renderRollback(buildMigrationView(plan, options));
        await assertParses(rollback, 'rollback script');
        reportWritten(ctx.io, opts, `${await writeOutputFile(ctx.io, opts.rollback, rollback)} (rollback of the ${migration})`);
      }
      if (opts.out === undefined) ctx.io.stdout(script);
      else reportWritten(ctx.io, opts, `${await writeOutputFile(ctx.io, opts.out, script)} (${migration}: ${counts})`);
      ctx.setExitCode(ExitCode.Ok);
  });
}
