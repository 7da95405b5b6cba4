// Two or more sandbox peers side by side, taking turns, for a quick comparison while working on
// the sandbox (not part of `npm run bench`: the full comparison is bench/sandbox.bench.ts).
// For each turn: smtp-source's rate and the server process's CPU per message (user + system,
// all threads, from /proc/PID/stat), which moves much less than the rate with the machine's load.
//
//   node --import tsx bench/sandbox-pair.ts            # sandbox and MailDev, 3 rounds
//   PAIR=sandbox,sync,maildev SESSIONS=1000 MESSAGES=3000 ROUNDS=4 node --import tsx bench/sandbox-pair.ts
//
// Captures go under TMPDIR (os.tmpdir()) and are removed when the run ends; run `npm run build`
// first (the sandbox is started as users start it, from bin/exrelay).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMailDev, startSandbox, tool, type Started } from './peers/peers.js';

const SNAPSHOT = fileURLToPath(new URL('../fixtures/sandbox/estate-2019.snapshot.json', import.meta.url));
const sessions = Number(process.env.SESSIONS ?? '50');
const messages = Number(process.env.MESSAGES ?? '2000');
const rounds = Number(process.env.ROUNDS ?? '3');
const STARTERS: Record<string, (dir: string) => Promise<Started>> = {
  sandbox: (dir) => startSandbox(SNAPSHOT, join(dir, 'capture')),
  sync: (dir) => startSandbox(SNAPSHOT, join(dir, 'capture'), ['--capture-sync']),
  maildev: (dir) => startMailDev(join(dir, 'maildev')),
};
const names = (process.env.PAIR ?? 'sandbox,maildev').split(',').filter((n) => n in STARTERS);

const source = tool('smtp-source');
if (source === null) throw new Error('smtp-source is not installed (apt-get install postfix)');
const work = await mkdtemp(join(tmpdir(), 'exrelay-sandbox-pair-'));
const rates = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
console.log(`smtp-source -d -s ${sessions} -m ${messages} -l 10240; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
try {
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const started = await (STARTERS[name] as (dir: string) => Promise<Started>)(await mkdtemp(join(work, `${name}-`)));
      if ('skipped' in started) throw new Error(started.skipped);
      const { peer } = started;
      try {
        const before = peer.cpuMs();
        const t0 = process.hrtime.bigint();
        const r = spawnSync(source, ['-d', '-s', String(sessions), '-l', '10240', '-m', String(messages), '-f', 'load@corp.example', '-t', 'user@corp.example', `127.0.0.1:${peer.port}`], { encoding: 'utf8' });
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const after = peer.cpuMs();
        const rate = messages / seconds;
        const perMessage = before === null || after === null ? NaN : ((after - before) * 1000) / messages;
        rates.set(name, [...(rates.get(name) ?? []), rate]);
        cpu.set(name, [...(cpu.get(name) ?? []), perMessage]);
        console.log(`  ${name.padEnd(8)} ${rate.toFixed(0).padStart(5)} msg/s, CPU ${perMessage.toFixed(0)} us/msg, smtp-source exit ${String(r.status)}, load ${loadavg()[0]?.toFixed(1) ?? '?'}`);
      } finally {
        await peer.stop();
      }
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
for (const name of names) {
  console.log(`${name}: rates ${(rates.get(name) ?? []).map((r) => r.toFixed(0)).join(', ')} msg/s; CPU ${(cpu.get(name) ?? []).map((c) => c.toFixed(0)).join(', ')} us/msg`);
}
