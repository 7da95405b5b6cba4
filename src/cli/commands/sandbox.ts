// `exrelay sandbox INPUT... --server NAME`: an SMTP server on loopback that answers as the
// receive connectors of server NAME would, captures what it accepts, and never delivers.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import { FLAVORS, type Flavor } from '../../policy/replies.js';
import { DEFAULT_PORT_OFFSET, listeningLine } from '../../sandbox/listeners.js';
import { startSandbox } from '../../sandbox/server.js';
import type { PemPair } from '../../sandbox/tls.js';
import { parseUsers } from '../../sandbox/users.js';
import type { CommandContext } from '../context.js';
import { buildPolicy, serverNames } from '../../policy/index.js';
import { withExamples } from '../help.js';
import { loadConnectorSnapshot, readOptionFile } from '../load.js';
import { requireKnownName } from '../names.js';
import { parseChoice, parseIpList, parseNonNegativeInt } from '../options.js';

interface SandboxCliOptions {
  server: string;
  host: string;
  portOffset: number;
  clientIp?: string[];
  localAddress?: string[];
  xclient?: boolean;
  proxyProtocol?: boolean;
  trustProxy?: string[];
  users?: string;
  capture: string;
  captureSync?: boolean;
  protocolLog?: string;
  flavor?: Flavor;
  tarpit?: boolean;
  cert?: string;
  key?: string;
  tlsMax: '1.2' | '1.3';
  tlsLikeSource?: boolean;
}

function parseHost(value: string): string {
  const v = value.trim();
  if (v === '') throw new InvalidArgumentError('expected an address to listen on');
  return v;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const on = (signal: NodeJS.Signals): void => {
      process.removeListener('SIGINT', on);
      process.removeListener('SIGTERM', on);
      resolveSignal(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerSandbox(program: Command, ctx: CommandContext): void {
  const cmd = program.command('sandbox')
    .summary('an SMTP server on loopback that answers as SERVER\'s receive connectors; never delivers')
    .description('Run an SMTP server that answers as the receive connectors of server SERVER would (the same decisions as replay), '
      + 'on loopback, port P+offset for each Exchange binding port P. It prints one "listening HOST:PORT for SERVER port P" line per listener. '
      + 'Accepted messages are written to the capture folder before the final 250; nothing is ever delivered. Stops cleanly on Ctrl-C or SIGTERM.')
    .argument('<INPUT...>', 'exports, folders or snapshots')
    .requiredOption('--server <SERVER>', 'the Exchange server whose receive connectors to emulate')
    .option('--host <ADDR>', 'address to listen on (keep loopback unless devices elsewhere must reach it)', parseHost, '127.0.0.1')
    .option('--port-offset <N>', 'listen on Exchange port P + N (25 -> 10025 with the default)', parseNonNegativeInt, DEFAULT_PORT_OFFSET)
    .option('--client-ip <IP>', 'select connectors as if every client came from IP (XCLIENT and PROXY still take precedence)', parseIpList)
    .option('--local-address <ADDR>', 'the server address clients are taken to have reached, for connectors bound to a specific address (XCLIENT DESTADDR and the PROXY destination take precedence)', parseIpList)
    .option('--xclient', 'accept XCLIENT ADDR=... from trusted clients to impersonate an address (re-selects the connector)')
    .option('--proxy-protocol', 'read a HAProxy PROXY v1/v2 header from trusted clients and select by its source address')
    .option('--trust-proxy <ADDR,...>', 'addresses besides loopback that may use XCLIENT and the PROXY protocol', parseIpList)
    .option('--users <FILE>', 'accounts AUTH LOGIN accepts: JSON or YAML with a "users" array as in exrelay.scenarios/1')
    .option('--capture <DIR>', 'where accepted messages go (<id>.eml and <id>.json)', './exrelay-capture')
    .option('--capture-sync', 'sync each message to disk (both files and the folder) before its 250, so that it survives a power loss, as a queue does; '
      + 'by default each message is complete in the folder before its 250 and survives a crash of the sandbox, not a power loss')
    .option('--protocol-log <DIR>', "write Exchange's SMTP receive protocol log (RECVyyyymmdd-1.LOG) to DIR, readable by `exrelay logs`")
    .option('--flavor <VERSION>', 'answer as this Exchange version instead of the server\'s own', parseChoice(FLAVORS))
    .option('--tarpit', "delay error replies by the connector's TarpitInterval (5 s by default), as Exchange does")
    .option('--cert <FILE>', 'PEM certificate for STARTTLS (default: a self-signed one per connector FQDN)')
    .option('--key <FILE>', 'PEM private key for --cert')
    .option('--tls-like-source', 'the generated certificate also takes the expiry of the imported certificate the connector names (subject and DNS names always)')
    .option('--tls-max <VERSION>', 'highest TLS version offered: 1.2 (as Exchange on Windows Server) or 1.3', parseChoice(['1.2', '1.3'] as const), '1.2');
  withExamples(cmd, [
    { what: 'try the new server\'s connectors with swaks or a printer pointed at 127.0.0.1:10025', run: 'exrelay sandbox exports/ --server EX16' },
    { what: 'test as if from a device\'s address, without being on its network', run: 'exrelay sandbox exports/ --server EX16 --xclient' },
    { what: 'keep every acknowledged message through a power loss (slower: two file syncs and a folder sync per message)', run: 'exrelay sandbox exports/ --server EX16 --capture-sync' },
    { what: 'reachable by a real device on the LAN, logging as Exchange would', run: 'exrelay sandbox exports/ --server EX16 --host 0.0.0.0 --client-ip 10.1.2.3 --protocol-log sandbox-logs/' },
  ]);
  cmd.action(async (inputs: string[], opts: SandboxCliOptions) => {
      if ((opts.cert === undefined) !== (opts.key === undefined)) throw new UsageError('--cert and --key go together');
      const clientIps = opts.clientIp ?? [];
      if (clientIps.length > 1) throw new UsageError('--client-ip takes one address');
      const localAddresses = opts.localAddress ?? [];
      if (localAddresses.length > 1) throw new UsageError('--local-address takes one address');
      const snapshot = await loadConnectorSnapshot(inputs, ctx.io);
      const server = requireKnownName('--server', opts.server, serverNames(buildPolicy(snapshot)), 'server');
      const users = opts.users === undefined ? [] : parseUsers(opts.users, (await readOptionFile(ctx.io, opts.users)).text);
      const certificate: PemPair | null = opts.cert === undefined || opts.key === undefined ? null
        : { cert: (await readOptionFile(ctx.io, opts.cert)).text, key: (await readOptionFile(ctx.io, opts.key)).text };
      const offset = opts.portOffset;
      const stop = untilSignal();
      const sandbox = await startSandbox({
        snapshot,
        server,
        host: opts.host,
        portFor: (port) => port + offset,
        clientIp: clientIps[0] ?? null,
        localAddress: localAddresses[0] ?? null,
        xclient: opts.xclient === true,
        proxyProtocol: opts.proxyProtocol === true,
        trustProxy: opts.trustProxy ?? [],
        users,
        captureDir: resolve(ctx.io.cwd, opts.capture),
        captureSync: opts.captureSync === true,
        protocolLogDir: opts.protocolLog === undefined ? null : resolve(ctx.io.cwd, opts.protocolLog),
        flavor: opts.flavor ?? null,
        tarpit: opts.tarpit === true,
        certificate,
        tlsMax: opts.tlsMax === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
        tlsLikeSource: opts.tlsLikeSource === true,
      });
      if (sandbox.unfinishedRemoved > 0) {
        ctx.io.stderr(`exrelay: warning: ${opts.capture}: removed ${sandbox.unfinishedRemoved} unfinished capture(s) of an interrupted run (never acknowledged with a 250)\n`);
      }
      for (const warning of sandbox.warnings) ctx.io.stderr(`exrelay: warning: ${warning}\n`);
      for (const listener of sandbox.listeners) ctx.io.stdout(`${listeningLine(listener, sandbox.serverName)}\n`);
      await stop;
      await sandbox.close();
      ctx.setExitCode(ExitCode.Ok);
  });
}
