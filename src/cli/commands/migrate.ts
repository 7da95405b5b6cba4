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
import { loadSnapshot } from '../load.js';
import { parseChoice } from '../options.js';
import { writeOutputFile } from '../output.js';

interface MigrateCliOptions {
  sourceServer: string;
  targetServer: string;
  targetVersion?: TargetVersion;
  out?: string;
  rollback?: string;
}

async function writeOut(ctx: CommandContext, file: string, text: string): Promise<void> {
  await writeOutputFile(ctx.io, file, text);
}

async function assertParses(text: string, what: string): Promise<void> {
  const parsed = await parsePowerShell(text.replace(/^\uFEFF/, ''));
  const first = parsed.errors[0];
  parsed.tree.delete();
  if (first !== undefined) throw new InternalError(`the ${what} does not parse as PowerShell at line ${first.line}: ${first.text}`);
}

export function registerMigrate(program: Command, ctx: CommandContext): void {
  program.command('migrate')
    .description('Write a PowerShell script (UTF-8 with BOM, idempotent, -WhatIf-able) that recreates the relay behaviour of OLD\'s receive connectors on NEW, and optionally its rollback script')
    .argument('<input...>', 'exports or snapshots holding both servers (files or directories)')
    .requiredOption('--source-server <name>', 'the server whose connectors are migrated (e.g. the Exchange 2010 hub)')
    .requiredOption('--target-server <name>', 'the new 2016/2019 Mailbox server')
    .option('--target-version <version>', 'Exchange version of the target: 2016 or 2019 (default: from the target\'s version, else 2016)', parseChoice(['2016', '2019'] as const))
    .option('--out <file>', 'write the script to FILE instead of standard output')
    .option('--rollback <file>', 'also write a script that undoes the migration to FILE')
    .action(async (inputs: string[], opts: MigrateCliOptions) => {
      const snapshot = await loadSnapshot(inputs, ctx.io);
      const options: MigrateOptions = {
        sourceServer: opts.sourceServer,
        targetServer: opts.targetServer,
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
      if (opts.rollback !== undefined) {
        const rollback = renderRollback(buildMigrationView(plan, options));
        await assertParses(rollback, 'rollback script');
        await writeOut(ctx, opts.rollback, rollback);
      }
      if (opts.out === undefined) ctx.io.stdout(script);
      else await writeOut(ctx, opts.out, script);
      ctx.setExitCode(ExitCode.Ok);
    });
}
