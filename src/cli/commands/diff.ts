// `exrelay diff`: behaviour differences between two servers, or one server in two snapshots.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { diffServers, renderDiffText } from '../../diff/diff.js';
import { stableStringify } from '../../json.js';
import { buildPolicy, serverNames, type PolicyIndex } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { loadConnectorSnapshot } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseChoice } from '../options.js';

interface DiffOptions { server: string; againstServer: string; against?: string[]; format: 'text' | 'json' }

export function registerDiff(program: Command, ctx: CommandContext): void {
  const cmd = program.command('diff')
    .summary('what differs in relay behaviour between two servers or two snapshots')
    .description('Show what differs in behaviour between two servers (or one server in two snapshots): the address intervals per port whose connector '
      + 'or effective rights change, and connectors and permission entries on one side only. Built-in connectors renamed between versions are paired.')
    .argument('<INPUT...>', 'exports, folders or snapshots: the before side')
    .requiredOption('--server <SERVER>', 'the server on the before side')
    .requiredOption('--against-server <SERVER>', 'the server on the after side')
    .option('--against <INPUT...>', 'exports or snapshots for the after side (default: the same INPUTs)')
    .option('--format <FORMAT>', 'text or json', parseChoice(['text', 'json'] as const), 'text');
  withExamples(cmd, [
    { what: 'the old server against its replacement, from the same exports', run: 'exrelay diff exports/ --server EX10 --against-server EX16' },
    { what: 'one server before and after the migration script', run: 'exrelay diff exports/ --server EX16 --against after.json --against-server EX16' },
    { what: 'for a change ticket', run: 'exrelay diff snapshot.json --server EX10 --against-server EX16 --format json > diff.json' },
  ]);
  cmd.action(async (inputs: string[], opts: DiffOptions) => {
    const beforeSnapshot = await loadConnectorSnapshot(inputs, ctx.io);
    const before = buildPolicy(beforeSnapshot);
    let after: PolicyIndex = before;
    if (opts.against !== undefined) {
      const afterSnapshot = await loadConnectorSnapshot(opts.against, ctx.io);
      after = buildPolicy(afterSnapshot);
    }
    const doc = diffServers(
      { policy: before, server: requireKnownName('--server', opts.server, serverNames(before), 'server') },
      { policy: after, server: requireKnownName('--against-server', opts.againstServer, serverNames(after), 'server', opts.against === undefined ? 'the input' : 'the --against input') },
    );
    ctx.io.stdout(opts.format === 'json' ? stableStringify(doc) : renderDiffText(doc));
    ctx.setExitCode(ExitCode.Ok);
  });
}
