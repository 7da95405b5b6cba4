// `exrelay emit postfix`: writes the Postfix equivalent of one server's receive connectors.
// `exrelay emit exo`: writes the Exchange Online PowerShell an exit plan needs, and its sheet.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { errnoMessage, ExitCode, InputError, UsageError } from '../../errors.js';
import { emitPostfix, parseRelayhost } from '../../emitters/postfix/postfix.js';
import { planExo, renderExoScript, renderExoSheet, sheetFileFor } from '../../emitters/powershell/exo.js';
import { parsePlanDocument } from '../../policy/plan-file.js';
import { addressRefusal, normalizeAddress } from '../../net/index.js';
import { buildPolicy, connectorsOf, serverNames } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { loadConnectorSnapshot, loadSnapshot, readOptionFile } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseNonNegativeInt } from '../options.js';
import { addQuietOption, reportWritten, writeOutputFile, type QuietOption } from '../output.js';

interface EmitPostfixOptions extends QuietOption { server: string; out: string; listen?: string; portOffset: number; relayhost?: string }
interface EmitExoOptions extends QuietOption { plan: string; out: string }

function parseListen(value: string): string {
  const address = normalizeAddress(value);
  if (address === null) throw new InvalidArgumentError(addressRefusal(value) ?? `"${value}" is not an IP address`);
  return address;
}

export function registerEmit(program: Command, ctx: CommandContext): void {
  const emit = program.command('emit')
    .summary('write an equivalent Postfix configuration, or what an exit plan needs in Exchange Online')
    .description('Write the configuration of another mail server that makes the same relay decisions as an Exchange server\'s receive connectors, '
      + 'or the Exchange Online PowerShell that an exit plan needs.');
  withExamples(emit, [
    { what: 'Postfix in place of EX10\'s relay connectors', run: 'exrelay emit postfix exports/ --server EX10 --out postfix/' },
    { what: 'Exchange Online connectors and HVE accounts for an exit plan', run: 'exrelay emit exo exports/ --plan plan.json --out exo.ps1' },
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

  const exo = emit.command('exo')
    .summary('write the Exchange Online PowerShell an exit plan needs, and the per-sender sheet')
    .description('Write a PowerShell script for Exchange Online PowerShell that creates what the plan (exrelay plan --format json) needs: OnPremises '
      + 'inbound connectors restricted to the senders\' dedicated egress addresses or certificate names, and High Volume Email accounts. '
      + 'Idempotent, -WhatIf-able, every change with -ErrorAction Stop. Beside it, FILE-senders.csv tells each device owner the host, port, TLS and '
      + 'authentication to set. INPUT gives the accepted domains (the tenant\'s MX host is derived from the default one, to be checked).')
    .argument('<INPUT...>', 'exports, folders or snapshots (accepted domains, servers)')
    .requiredOption('--plan <FILE>', 'the exit plan, exrelay.plan/1 JSON (exrelay plan --format json)')
    .requiredOption('--out <FILE>', 'the script to write (e.g. exo.ps1); the sheet goes beside it (exo-senders.csv)');
  addQuietOption(exo);
  withExamples(exo, [
    { what: 'the tenant side of the exit plan (then in Exchange Online PowerShell: ./exo.ps1 -WhatIf)', run: 'exrelay emit exo exports/ --plan plan.json --out exo.ps1' },
    { what: 'the same from a snapshot, into a folder for the change request', run: 'exrelay emit exo snapshot.json --plan plan.json --out change/exo.ps1' },
  ]);
  exo.action(async (inputs: string[], opts: EmitExoOptions) => {
    const source = await readOptionFile(ctx.io, opts.plan);
    const plan = parsePlanDocument(source.text, source.name);
    const snapshot = await loadSnapshot(inputs, ctx.io);
    const exoPlan = planExo(snapshot, plan);
    const sheetFile = sheetFileFor(opts.out);
    const script = renderExoScript(exoPlan, { version: program.version() ?? '', inputs, planFile: opts.plan, sheetFile });
    const scriptPath = await writeOutputFile(ctx.io, opts.out, script);
    const sheetPath = await writeOutputFile(ctx.io, sheetFile, renderExoSheet(exoPlan));
    const created = (exoPlan.ipConnector === null ? 0 : 1) + exoPlan.certificateConnectors.length;
    reportWritten(ctx.io, opts, `${scriptPath} (${created} inbound connectors, ${exoPlan.hveAccounts.length} HVE accounts) and ${sheetPath} (${exoPlan.rows.length} senders)`);
    for (const w of exoPlan.warnings) ctx.io.stderr(`exrelay: warning: ${w}\n`);
    ctx.setExitCode(ExitCode.Ok);
  });
}
