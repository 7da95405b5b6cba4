// `exrelay doctor`: what this machine can do with exrelay. Node's version, the optional tools
// and the features each one enables, whether the sandbox can write its captures and listen on
// its loopback ports. It only looks: it creates nothing that it does not remove, and it always
// exits 0 (a missing optional tool is information, not an error).
import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { errnoMessage, ExitCode } from '../../errors.js';
import { stableStringify } from '../../json.js';
import { DEFAULT_PORT_OFFSET } from '../../sandbox/listeners.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { parseChoice, parseNonNegativeInt } from '../options.js';

export type CheckStatus = 'ok' | 'missing' | 'problem';
export interface DoctorCheck { check: string; status: CheckStatus; detail: string; enables: string }
export interface DoctorDocument { schema: 'exrelay.doctor/1'; checks: DoctorCheck[] }

interface DoctorOptions { format: 'text' | 'json'; capture: string; portOffset: number }

/** The oldest Node the package supports (package.json "engines"). */
const NODE_MINIMUM = [20, 19] as const;

/** The Exchange ports the sandbox listens for, plus the offset (25 -> 10025). */
const SANDBOX_PORTS = [25, 465, 587, 717, 2525] as const;

interface Tool { name: string; candidates: string[]; versionArgs: string[]; enables: string }

const TOOLS: readonly Tool[] = [
  { name: 'swaks', candidates: ['swaks'], versionArgs: ['--version'], enables: 'send real test mail to `exrelay sandbox` (docs/commands/sandbox.md)' },
  { name: 'postfix', candidates: ['postconf'], versionArgs: ['-h', 'mail_version'], enables: 'run and check what `exrelay emit postfix` writes (postfix check, a test instance)' },
  { name: 'chromium', candidates: ['chromium', 'chromium-browser', 'google-chrome'], versionArgs: ['--version'], enables: 'print the HTML report of `exrelay audit --format html` to PDF' },
  { name: 'nmap', candidates: ['nmap'], versionArgs: ['--version'], enables: 'probe `exrelay sandbox` as a scanner would (nmap --script smtp-open-relay)' },
];

/** PATH, then the sbin folders a non-root PATH often lacks (postconf lives there). */
async function findExecutable(names: readonly string[]): Promise<string | null> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        await access(path, constants.X_OK);
        if ((await stat(path)).isFile()) return path;
      } catch { /* not here */ }
    }
  }
  return null;
}

function versionOf(path: string, args: readonly string[]): string {
  const r = spawnSync(path, [...args], { encoding: 'utf8', timeout: 5000 });
  const first = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return first === undefined ? '' : first.slice(0, 80);
}

function nodeCheck(): DoctorCheck {
  const [major = 0, minor = 0] = process.versions.node.split('.').map((p) => Number.parseInt(p, 10));
  const ok = major > NODE_MINIMUM[0] || (major === NODE_MINIMUM[0] && minor >= NODE_MINIMUM[1]);
  return {
    check: 'node', status: ok ? 'ok' : 'problem',
    detail: ok ? `v${process.versions.node}` : `v${process.versions.node}; exrelay needs ${NODE_MINIMUM.join('.')} or later`,
    enables: 'every command',
  };
}

async function toolCheck(tool: Tool): Promise<DoctorCheck> {
  const path = await findExecutable(tool.candidates);
  if (path === null) return { check: tool.name, status: 'missing', detail: 'not found (optional)', enables: tool.enables };
  const version = versionOf(path, tool.versionArgs);
  return { check: tool.name, status: 'ok', detail: version === '' ? path : `${path} (${version})`, enables: tool.enables };
}

/** Whether the sandbox could write captures to DIR: a folder is created there and removed. */
async function captureCheck(cwd: string, dir: string): Promise<DoctorCheck> {
  const full = resolve(cwd, dir);
  const enables = '`exrelay sandbox` writes every accepted message here';
  // The folder need not exist yet (the sandbox creates it): test the nearest one that does.
  let probe = full;
  for (;;) {
    const info = await stat(probe).catch(() => null);
    if (info !== null) {
      if (!info.isDirectory()) return { check: 'capture folder', status: 'problem', detail: `${probe} is not a folder`, enables };
      break;
    }
    if (dirname(probe) === probe) break;
    probe = dirname(probe);
  }
  try {
    const made = await mkdtemp(join(probe, '.exrelay-doctor-'));
    await rm(made, { recursive: true, force: true });
  } catch (error) {
    return { check: 'capture folder', status: 'problem', detail: `${probe}: cannot write: ${errnoMessage(error)}`, enables };
  }
  return { check: 'capture folder', status: 'ok', detail: probe === full ? `${full} is writable` : `${full} can be created (in ${probe})`, enables };
}

function portFree(port: number): Promise<string | null> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (error) => { done(errnoMessage(error)); });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => { server.close(() => { done(null); }); });
  });
}

async function portsCheck(offset: number): Promise<DoctorCheck> {
  const enables = '`exrelay sandbox` listens on 127.0.0.1, Exchange port P + offset';
  const ports = SANDBOX_PORTS.map((p) => p + offset).filter((p) => p <= 65535);
  const busy: string[] = [];
  for (const port of ports) {
    const why = await portFree(port);
    if (why !== null) busy.push(`${port} (${why})`);
  }
  if (busy.length === 0) return { check: 'loopback ports', status: 'ok', detail: `${ports.join(', ')} free`, enables };
  return { check: 'loopback ports', status: 'problem', detail: `in use: ${busy.join(', ')}; choose another --port-offset`, enables };
}

export async function runDoctor(cwd: string, capture: string, portOffset: number): Promise<DoctorDocument> {
  const checks: DoctorCheck[] = [nodeCheck()];
  for (const tool of TOOLS) checks.push(await toolCheck(tool));
  checks.push(await captureCheck(cwd, capture), await portsCheck(portOffset));
  return { schema: 'exrelay.doctor/1', checks };
}

const MARK: Record<CheckStatus, string> = { ok: 'ok', missing: 'missing', problem: 'PROBLEM' };

/** A fixed-width table: check, status, what was found; what it enables on the next line. */
export function renderDoctorText(doc: DoctorDocument): string {
  const width = Math.max(...doc.checks.map((c) => c.check.length), 'check'.length);
  const lines = [`${'check'.padEnd(width)}  ${'status'.padEnd(7)}  found`];
  for (const c of doc.checks) {
    lines.push(`${c.check.padEnd(width)}  ${MARK[c.status].padEnd(7)}  ${c.detail}`);
    lines.push(`${''.padEnd(width)}  ${''.padEnd(7)}  for: ${c.enables}`);
  }
  const missing = doc.checks.filter((c) => c.status === 'missing').map((c) => c.check);
  const problems = doc.checks.filter((c) => c.status === 'problem').map((c) => c.check);
  lines.push('', problems.length === 0
    ? `Ready${missing.length === 0 ? '.' : `; optional tools not installed: ${missing.join(', ')} (everything else works without them).`}`
    : `Needs attention: ${problems.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

export function registerDoctor(program: Command, ctx: CommandContext): void {
  const cmd = program.command('doctor')
    .summary('what this machine can do: Node, optional tools, capture folder, sandbox ports')
    .description('Check what this machine can do with exrelay: the Node version, the optional tools (swaks, Postfix, Chromium, nmap) and the feature '
      + 'each one enables, whether the sandbox can write its capture folder, and whether its loopback ports are free. It changes nothing and exits 0.')
    .option('--format <FORMAT>', 'text (a table) or json', parseChoice(['text', 'json'] as const), 'text')
    .option('--capture <DIR>', 'the capture folder you will give `exrelay sandbox`', './exrelay-capture')
    .option('--port-offset <N>', 'the --port-offset you will give `exrelay sandbox`', parseNonNegativeInt, DEFAULT_PORT_OFFSET);
  withExamples(cmd, [
    { what: 'before the first day on a new laptop', run: 'exrelay doctor' },
    { what: 'the sandbox will run beside another one', run: 'exrelay doctor --port-offset 20000 --capture /srv/captures' },
    { what: 'for an inventory script', run: 'exrelay doctor --format json' },
  ]);
  cmd.action(async (opts: DoctorOptions) => {
    const doc = await runDoctor(ctx.io.cwd, opts.capture, opts.portOffset);
    ctx.io.stdout(opts.format === 'json' ? stableStringify(doc) : renderDoctorText(doc));
    ctx.setExitCode(ExitCode.Ok);
  });
}
