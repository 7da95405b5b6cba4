// `exrelay migrate INPUT... --source-server OLD --target-server NEW [--target-version 2016|2019|se]
// [--out FILE] [--rollback FILE] [--carry RULE@CONNECTOR]... [--map-address OLD=NEW]...`: the
// PowerShell that recreates OLD's relay behaviour on NEW. The work is migrate-run.ts: audit,
// plan, render, parse, dry run; nothing is written when Exchange would refuse a line.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import {
  parseAddressMap, parseCarry, TARGET_VERSIONS, type MigrateOptions, type TargetVersion,
} from '../../emitters/powershell/migrate.js';
import type { CommandContext } from '../context.js';
import { loadSnapshot } from '../load.js';
import { parseChoice } from '../options.js';
import { writeOutputFile } from '../output.js';
import { buildMigration } from './migrate-run.js';

interface MigrateCliOptions {
  sourceServer: string;
  targetServer: string;
  targetVersion?: TargetVersion;
  out?: string;
  rollback?: string;
  carry: string[];
  mapAddress: string[];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerMigrate(program: Command, ctx: CommandContext): void {
  program.command('migrate')
    .description('Write a PowerShell script (UTF-8 with BOM, convergent, -WhatIf-able) that recreates the relay behaviour of OLD\'s receive connectors on NEW, and optionally its rollback script. '
      + 'Connectors with a critical finding, and connectors bound to an address of OLD, are left out unless --carry / --map-address says otherwise; '
      + 'the script is dry-run with `exrelay apply` first and nothing is written when Exchange would refuse a line (exit 2).')
    .argument('<input...>', 'exports or snapshots holding both servers (files or directories)')
    .requiredOption('--source-server <name>', 'the server whose connectors are migrated (e.g. the Exchange 2010 hub)')
    .requiredOption('--target-server <name>', 'the new 2016/2019/SE Mailbox server')
    .option('--target-version <version>', 'Exchange version of the target: 2016, 2019 or se (Subscription Edition; 2019\'s model) (default: from the target\'s version, else 2016)', parseChoice(TARGET_VERSIONS))
    .option('--out <file>', 'write the script to FILE instead of standard output')
    .option('--rollback <file>', 'also write a script that undoes the migration to FILE')
    .option('--carry <rule@connector>', 'carry a source connector despite that critical finding (repeatable), e.g. --carry \'anonymous-open-relay@EX10\\Relay EX10\'', collect, [])
    .option('--map-address <old=new>', 'a source connector bound to address OLD binds NEW on the target (repeatable), e.g. --map-address 10.0.0.10=10.0.0.16', collect, [])
    .addHelpText('after', `
Examples:
  exrelay migrate exports/ --source-server EX10 --target-server EX16 --out migrate.ps1 --rollback rollback.ps1
  exrelay migrate exports/ --source-server EX10 --target-server EX16 --map-address 10.0.0.10=10.0.0.16 --out migrate.ps1
  exrelay migrate exports/ --source-server EX10 --target-server EX16 --carry 'anonymous-open-relay@EX10\\Relay EX10' --out migrate.ps1
`)
    .action(async (inputs: string[], opts: MigrateCliOptions) => {
      const snapshot = await loadSnapshot(inputs, ctx.io);
      const options: MigrateOptions = {
        sourceServer: opts.sourceServer,
        targetServer: opts.targetServer,
        inputs,
        rollbackFile: opts.rollback ?? null,
        // The root program carries the tool's version (set in main.ts).
        version: program.version() ?? '',
        carry: parseCarry(opts.carry),
        mapAddress: parseAddressMap(opts.mapAddress),
        ...(opts.targetVersion === undefined ? {} : { targetVersion: opts.targetVersion }),
      };
      const { script, rollback, notices } = await buildMigration(snapshot, options, opts.out ?? 'migration script');
      for (const n of notices) ctx.io.stderr(`exrelay: warning: ${n}\n`);
      if (opts.rollback !== undefined) await writeOutputFile(ctx.io, opts.rollback, rollback);
      if (opts.out === undefined) ctx.io.stdout(script);
      else await writeOutputFile(ctx.io, opts.out, script);
      ctx.setExitCode(ExitCode.Ok);
    });
}
