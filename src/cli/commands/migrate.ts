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
import { buildPolicy, serverNames } from '../../policy/index.js';
import { withExamples } from '../help.js';
import { loadConnectorSnapshot } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseChoice } from '../options.js';
import { addQuietOption, reportWritten, writeOutputFile, type QuietOption } from '../output.js';
import { buildMigration } from './migrate-run.js';

interface MigrateCliOptions extends QuietOption {
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
  const cmd = program.command('migrate')
    .summary('write the PowerShell that recreates SERVER\'s relay connectors on the new server')
    .description('Write a PowerShell script (UTF-8 with BOM, convergent, -WhatIf-able) that recreates on the target server the relay behaviour of '
      + 'the source server\'s receive connectors, and optionally its rollback script. Connectors with a critical finding, and connectors bound to an '
      + 'address of the source server, are left out unless --carry / --map-address says otherwise. The script is parsed with the PowerShell grammar '
      + 'and dry-run with `exrelay apply` first; nothing is written when Exchange would refuse a line (exit 2).')
    .argument('<INPUT...>', 'exports, folders or snapshots holding both servers')
    .requiredOption('--source-server <SERVER>', 'the server whose connectors are migrated (e.g. the Exchange 2010 hub)')
    .requiredOption('--target-server <SERVER>', 'the new 2016/2019/SE Mailbox server (it must be in the input: its Get-ExchangeServer line will do)')
    .option('--target-version <VERSION>', 'Exchange version of the target: 2016, 2019 or se (Subscription Edition, 2019\'s model) (default: from the target\'s version in the input, else 2016)', parseChoice(TARGET_VERSIONS))
    .option('--out <FILE>', 'write the script to FILE instead of standard output')
    .option('--rollback <FILE>', 'also write a script that undoes the migration to FILE')
    .option('--carry <RULE@CONNECTOR>', 'carry a source connector despite that critical finding (repeatable)', collect, [])
    .option('--map-address <OLD=NEW>', 'a source connector bound to address OLD binds NEW on the target (repeatable)', collect, []);
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'the script and its undo, for the change window', run: 'exrelay migrate exports/ --source-server EX10 --target-server EX16 --out migrate.ps1 --rollback rollback.ps1' },
    { what: 'a connector bound to the old server\'s second address', run: 'exrelay migrate exports/ --source-server EX10 --target-server EX16 --map-address 10.0.0.10=10.0.0.16 --out migrate.ps1' },
    { what: 'carry an open relay on purpose (the risk is accepted)', run: 'exrelay migrate exports/ --source-server EX10 --target-server EX16 --carry \'anonymous-open-relay@EX10\\Relay EX10\' --out migrate.ps1' },
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
      carry: parseCarry(opts.carry),
      mapAddress: parseAddressMap(opts.mapAddress),
      ...(opts.targetVersion === undefined ? {} : { targetVersion: opts.targetVersion }),
    };
    const { plan, script, rollback, notices } = await buildMigration(snapshot, options, opts.out ?? 'migration script');
    for (const n of notices) ctx.io.stderr(`exrelay: warning: ${n}\n`);
    const migration = `migration of ${plan.sourceServer} to ${plan.targetServer} (Exchange ${plan.targetVersion})`;
    if (opts.rollback !== undefined) {
      reportWritten(ctx.io, opts, `${await writeOutputFile(ctx.io, opts.rollback, rollback)} (rollback of the ${migration})`);
    }
    if (opts.out === undefined) ctx.io.stdout(script);
    else reportWritten(ctx.io, opts, `${await writeOutputFile(ctx.io, opts.out, script)} (${migration}: ${plan.mappings.length} connectors)`);
    ctx.setExitCode(ExitCode.Ok);
  });
}
