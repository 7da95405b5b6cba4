// `exrelay diff`: behaviour differences between two servers, or one server in two snapshots.
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import { diffServers, renderDiffText } from '../../diff/diff.js';
import { stableStringify } from '../../json.js';
import { buildPolicy, serverNames, type PolicyIndex } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import { loadSnapshot } from '../load.js';
import { parseChoice } from '../options.js';

interface DiffOptions { server: string; againstServer: string; against?: string[]; format: 'text' | 'json' }

function resolveServer(policy: PolicyIndex, name: string, option: string): string {
  const hit = serverNames(policy).find((n) => n.toLowerCase() === name.toLowerCase());
  if (hit === undefined) throw new UsageError(`${option} ${name}: no such server in the input (servers: ${serverNames(policy).join(', ') || 'none'})`);
  return hit;
}

export function registerDiff(program: Command, ctx: CommandContext): void {
  program.command('diff')
    .description('Show what differs in behaviour between two servers (or one server in two snapshots): address intervals per port whose connector or rights change, and connectors and permission entries on one side only')
    .argument('<inputs...>', 'exports, directories or snapshots (the "before" side)')
    .requiredOption('--server <name>', 'the server on the before side')
    .requiredOption('--against-server <name>', 'the server on the after side')
    .option('--against <inputs...>', 'exports or snapshots for the after side (default: the same inputs)')
    .option('--format <format>', 'text or json', parseChoice(['text', 'json'] as const), 'text')
    .action(async (inputs: string[], opts: DiffOptions) => {
      const before = buildPolicy(await loadSnapshot(inputs, ctx.io));
      const after = opts.against === undefined ? before : buildPolicy(await loadSnapshot(opts.against, ctx.io));
      const doc = diffServers(
        { policy: before, server: resolveServer(before, opts.server, '--server') },
        { policy: after, server: resolveServer(after, opts.againstServer, '--against-server') },
      );
      ctx.io.stdout(opts.format === 'json' ? stableStringify(doc) : renderDiffText(doc));
      ctx.setExitCode(ExitCode.Ok);
    });
}
