// `exrelay emit postfix`: writes the Postfix equivalent of one server's receive connectors.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import { emitPostfix } from '../../emitters/postfix/postfix.js';
import { addressRefusal, normalizeAddress } from '../../net/index.js';
import { buildPolicy, connectorsOf, serverNames } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import { loadSnapshot } from '../load.js';
import { parseNonNegativeInt } from '../options.js';

interface EmitPostfixOptions { server: string; out: string; listen?: string; portOffset: number }

function parseListen(value: string): string {
  const address = normalizeAddress(value);
  if (address === null) throw new InvalidArgumentError(addressRefusal(value) ?? `"${value}" is not an IP address`);
  return address;
}

export function registerEmit(program: Command, ctx: CommandContext): void {
  const emit = program.command('emit').description('Emit an equivalent configuration for another MTA');
  emit.command('postfix')
    .description('Write a Postfix configuration (main.cf, master.cf, lookup tables) that makes the same relay decisions as server NAME\'s connectors for the same clients')
    .argument('<inputs...>', 'exports, directories or snapshots to read')
    .requiredOption('--server <name>', 'the Exchange server whose connectors to translate')
    .requiredOption('--out <dir>', 'directory to write main.cf, master.cf and the tables into (created if missing)')
    .option('--listen <addr>', 'address every smtpd listens on (default: all interfaces)', parseListen)
    .option('--port-offset <n>', 'Exchange port P listens on P+N (run beside a production instance)', parseNonNegativeInt, 0)
    .action(async (inputs: string[], opts: EmitPostfixOptions) => {
      const snapshot = await loadSnapshot(inputs, ctx.io);
      const policy = buildPolicy(snapshot);
      const server = serverNames(policy).find((n) => n.toLowerCase() === opts.server.toLowerCase());
      if (server === undefined || connectorsOf(policy, server).length === 0) {
        throw new UsageError(`--server ${opts.server}: no connectors of that server in the input (servers: ${serverNames(policy).join(', ') || 'none'})`);
      }
      const output = emitPostfix(policy, { server, listen: opts.listen ?? null, portOffset: opts.portOffset });
      await mkdir(opts.out, { recursive: true });
      for (const file of output.files) await writeFile(join(opts.out, file.name), file.content, 'utf8');
      ctx.io.stdout(`wrote ${output.files.map((f) => join(opts.out, f.name)).join(', ')}\n`);
      if (output.untranslated.length > 0) {
        ctx.io.stdout(`not translated (also listed at the top of main.cf):\n${output.untranslated.map((u) => `  - ${u}\n`).join('')}`);
      }
      ctx.setExitCode(ExitCode.Ok);
    });
}
