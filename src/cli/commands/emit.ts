// `exrelay emit postfix`: writes the Postfix equivalent of one server's receive connectors.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { errnoMessage, ExitCode, InputError, UsageError } from '../../errors.js';
import { emitPostfix, parseRelayhost } from '../../emitters/postfix/postfix.js';
import { addressRefusal, normalizeAddress } from '../../net/index.js';
import { buildPolicy, connectorsOf, serverNames } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { loadConnectorSnapshot } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseNonNegativeInt } from '../options.js';
import { addQuietOption, reportWritten, type QuietOption } from '../output.js';

interface EmitPostfixOptions extends QuietOption { server: string; out: string; listen?: string; portOffset: number; relayhost?: string }

function parseListen(value: string): string {
  const address = normalizeAddress(value);
  if (address === null) throw new InvalidArgumentError(addressRefusal(value) ?? `"${value}" is not an IP address`);
  return address;
}

export function registerEmit(program: Command, ctx: CommandContext): void {
  const emit = program.command('emit')
    .summary('write an equivalent configuration for another MTA (postfix)')
    .description('Write the configuration of another mail server that makes the same relay decisions as an Exchange server\'s receive connectors.');
  withExamples(emit, [
    { what: 'Postfix in place of EX10\'s relay connectors', run: 'exrelay emit postfix exports/ --server EX10 --out postfix/' },
    { what: 'the options of one target', run: 'exrelay emit postfix --help' },
  ]);
  const postfix = emit.command('postfix')
    .summary('write main.cf, master.cf and tables with the same relay decisions as SERVER')
    .description('Write a Postfix configuration (main.cf, master.cf, lookup tables) that makes the same relay decisions as server SERVER\'s connectors '
      + 'for the same clients. What cannot be translated is listed on stderr and at the top of main.cf.')
    .argument('<INPUT...>', 'exports, folders or snapshots')
    .requiredOption('--server <SERVER>', 'the Exchange server whose connectors to translate')
    .requiredOption('--out <DIR>', 'folder to write main.cf, master.cf and the tables into (created if missing)')
    .option('--listen <ADDR>', 'address every smtpd listens on (default: all interfaces)', parseListen)
    .option('--port-offset <N>', 'Exchange port P listens on P+N, to run beside a production instance', parseNonNegativeInt, 0)
    .option('--relayhost <HOST[:PORT]>', 'where mail for the accepted domains goes (the new Exchange or Exchange Online); without it that mail goes by MX, a loop once this box is the MX');
  addQuietOption(postfix);
  withExamples(postfix, [
    { what: 'the relay of EX10, moved off Exchange', run: 'exrelay emit postfix exports/ --server EX10 --out postfix/' },
    { what: 'a relay that hands the accepted domains to the new Exchange', run: 'exrelay emit postfix exports/ --server EX10 --out postfix/ --relayhost ex16.corp.example:25' },
    { what: 'a test instance beside production (25 -> 10025) on one address', run: 'exrelay emit postfix snapshot.json --server EX10 --out postfix-test/ --listen 192.0.2.25 --port-offset 10000' },
  ]);
  postfix.action(async (inputs: string[], opts: EmitPostfixOptions) => {
    const snapshot = await loadConnectorSnapshot(inputs, ctx.io);
    const policy = buildPolicy(snapshot);
    const server = requireKnownName('--server', opts.server, serverNames(policy), 'server');
    if (connectorsOf(policy, server).length === 0) throw new UsageError(`--server ${opts.server}: the input has no enabled receive connector of ${server}`);
    const relayhost = opts.relayhost === undefined ? null : parseRelayhost(opts.relayhost);
    const output = emitPostfix(policy, { server, listen: opts.listen ?? null, portOffset: opts.portOffset, relayhost });
    const dir = resolve(ctx.io.cwd, opts.out);
    try {
      await mkdir(dir, { recursive: true });
      for (const file of output.files) await writeFile(join(dir, file.name), file.content, 'utf8');
    } catch (error) {
      throw new InputError(opts.out, null, `cannot write: ${errnoMessage(error)}`);
    }
    reportWritten(ctx.io, opts, `${output.files.length} files to ${dir} (${output.files.map((f) => f.name).join(', ')})`);
    if (output.untranslated.length > 0) {
      ctx.io.stderr(`exrelay: warning: not translated (also listed at the top of main.cf):\n${output.untranslated.map((u) => `  - ${u}\n`).join('')}`);
    }
    ctx.setExitCode(ExitCode.Ok);
  });
}
