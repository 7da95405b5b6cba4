// The capture's promise: a message answered 250 is in the capture directory. Proofs against a
// real sandbox process (its own process group, the open-relay estate, loopback):
// - in both modes (default and --capture-sync), a SIGKILL at the moment a 250 arrives leaves
//   every acknowledged message readable, both files complete (the process had finished its part
//   before answering);
// - with --capture-sync, the order of its system calls, traced with strace: for every
//   acknowledged message both temporary files were synced (fdatasync returned) before they were
//   renamed into place, and a sync of the capture directory that began after those renames had
//   returned before the 250 was written to the socket. A SIGKILL leaves the page cache alone, so
//   only this order shows that a power cut after the 250 would keep the message too;
// - by default, the same trace shows both renames before the 250 and no sync of the capture's
//   files or directory at all: the option is what changes the behaviour.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../helpers/tools.js';
import { auditCapture, freeOffset, queuedId, startSandboxProcess, WireClient, type SandboxProcess } from '../reliability/sandbox-process.js';

const work = mkdtempSync(join(tmpdir(), 'exrelay-durability-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Sends messages over one session until `stop()`; records each acknowledged id with its tag. */
async function sendUntil(sandbox: SandboxProcess, client: number, acked: Map<string, string>, stop: () => boolean, afterAck: () => void = () => undefined): Promise<void> {
  let c: WireClient;
  try {
    c = await WireClient.open(sandbox.port);
    await c.replies(1);
    await c.command('EHLO client.example');
  } catch {
    return;
  }
  try {
    for (let n = 0; !stop(); n++) {
      const tag = `d-${client}-${n}`;
      if (!(await c.command('MAIL FROM:<app@corp.example>')).startsWith('250')) return;
      if (!(await c.command('RCPT TO:<someone@outside.example>')).startsWith('250')) return;
      if (!(await c.command('DATA')).startsWith('354')) return;
      const id = queuedId(await c.command(`Subject: ${tag}\r\n\r\n${'z'.repeat(10 * 1024)}\r\nEND ${tag}\r\n.`));
      if (id === null) return; // the kill: not acknowledged
      acked.set(id, tag);
      afterAck();
    }
  } catch {
    // the connection went away with the process
  } finally {
    c.close();
  }
}

function straceArgs(trace: string): string[] {
  return ['-f', '-qq', '-s', '256', '-e', 'trace=openat,close,fdatasync,fsync,rename,renameat,renameat2,write,writev', '-o', trace];
}

/** Twelve sessions at once (so that messages share directory syncs), until 48 are acknowledged. */
async function tracedRun(strace: string, name: string, extra: string[]): Promise<{ acked: Map<string, string>; order: Order; capture: string }> {
  const capture = join(work, name);
  const trace = join(work, `${name}.trace`);
  const sandbox = await startSandboxProcess(capture, await freeOffset(), extra, { command: strace, prefix: straceArgs(trace) });
  const acked = new Map<string, string>();
  try {
    await Promise.all(Array.from({ length: 12 }, (_, k) => sendUntil(sandbox, k, acked, () => acked.size >= 48)));
  } finally {
    await sandbox.kill('SIGTERM');
  }
  assert.ok(acked.size >= 48);
  return { acked, order: syscallOrder(readFileSync(trace, 'utf8'), capture), capture };
}

/** Both renames of an acknowledged message, .eml first, to their final names, before its 250. */
function renamedBeforeReply(order: Order, capture: string, id: string): { reply: number; emlRename: Rename; jsonRename: Rename; emlTemp: string; jsonTemp: string } {
  const emlTemp = join(capture, `.${id}.eml.tmp`);
  const jsonTemp = join(capture, `.${id}.json.tmp`);
  const reply = order.replies.get(id);
  const emlRename = order.renames.get(emlTemp);
  const jsonRename = order.renames.get(jsonTemp);
  assert.ok(reply !== undefined && emlRename !== undefined && jsonRename !== undefined, `message ${id}: 250 at ${String(reply)}, renames ${JSON.stringify([emlRename, jsonRename])}`);
  assert.equal(emlRename.to, join(capture, `${id}.eml`));
  assert.equal(jsonRename.to, join(capture, `${id}.json`));
  assert.ok(emlRename.entry < jsonRename.entry, `message ${id}: the .eml is renamed before the .json`);
  assert.ok(jsonRename.exit < reply, `message ${id}: renamed (${jsonRename.exit}) before the 250 (${reply})`);
  return { reply, emlRename, jsonRename, emlTemp, jsonTemp };
}

describe('a 250 means the message is in the capture directory', () => {
  for (const mode of [[], ['--capture-sync']]) {
    const label = mode.length === 0 ? 'default' : mode.join(' ');
    it(`${label}: SIGKILL as a 250 arrives: every acknowledged message is readable and complete`, async () => {
      const capture = join(work, `killed${mode.join('')}`);
      const sandbox = await startSandboxProcess(capture, await freeOffset(), mode);
      const acked = new Map<string, string>();
      let killed = false;
      const killNow = (): void => {
        // In the same turn as the 250 that reached the target: no time for the sandbox to catch up.
        if (killed || acked.size < 60) return;
        killed = true;
        try { process.kill(-(sandbox.child.pid as number), 'SIGKILL'); } catch { /* gone */ }
      };
      try {
        await Promise.all(Array.from({ length: 12 }, (_, k) => sendUntil(sandbox, k, acked, () => killed, killNow)));
      } finally {
        await sandbox.kill('SIGKILL');
      }
      assert.ok(killed && acked.size >= 60, `acknowledged ${acked.size}`);
      const audit = auditCapture(capture, (id, eml) => eml.toString('latin1').endsWith(`END ${acked.get(id) ?? 'd-'}\r\n`) || (!acked.has(id) && /END d-\d+-\d+\r\n$/.test(eml.toString('latin1'))));
      assert.deepEqual([...acked.keys()].filter((id) => !audit.complete.has(id)), [], 'acknowledged but not captured complete');
      assert.deepEqual(audit.broken, []);
      for (const orphan of audit.orphans) assert.ok(!acked.has(orphan.replace(/\.eml$/, '')), `${orphan} was acknowledged without its envelope`);
    });
  }

  it('strace, --capture-sync: both files synced before their renames, the directory synced after them, all before the 250', async (t) => {
    const strace = requireTool(t, 'strace');
    if (strace === null) return;
    const { acked, order, capture } = await tracedRun(strace, 'traced-sync', ['--capture-sync']);
    for (const id of acked.keys()) {
      const { reply, emlRename, jsonRename, emlTemp, jsonTemp } = renamedBeforeReply(order, capture, id);
      for (const [temp, rename] of [[emlTemp, emlRename], [jsonTemp, jsonRename]] as const) {
        const synced = order.dataSyncs.get(temp);
        assert.ok(synced !== undefined && synced < rename.entry, `message ${id}: ${temp} synced (${synced}) before its rename (${rename.entry})`);
      }
      assert.ok(order.directorySyncs.some((s) => s.entry > jsonRename.exit && s.exit < reply),
        `message ${id}: a directory sync between the renames (${jsonRename.exit}) and the 250 (${reply})`);
    }
  });

  it('strace, default: both files renamed into place before the 250, and nothing of the capture synced', async (t) => {
    const strace = requireTool(t, 'strace');
    if (strace === null) return;
    const { acked, order, capture } = await tracedRun(strace, 'traced-default', []);
    for (const id of acked.keys()) renamedBeforeReply(order, capture, id);
    const capturePaths = [...order.dataSyncs.keys()].filter((path) => path === capture || path.startsWith(`${capture}/`));
    assert.deepEqual(capturePaths, [], 'no fdatasync of a capture file without --capture-sync');
    assert.deepEqual(order.directorySyncs, [], 'no fsync of the capture directory without --capture-sync');
    assert.deepEqual(order.otherSyncs.filter((path) => path === capture || path.startsWith(`${capture}/`)), [], 'no fsync of a capture file without --capture-sync');
  });
});

interface Rename { to: string; entry: number; exit: number }
interface Order {
  /** temporary path -> position where its fdatasync returned */
  dataSyncs: Map<string, number>;
  renames: Map<string, Rename>;
  /** fsync calls on the capture directory */
  directorySyncs: Array<{ entry: number; exit: number }>;
  /** paths of every other fsync'd file */
  otherSyncs: string[];
  /** queued id -> position where its 250 was written */
  replies: Map<string, number>;
}

/**
 * Reads an `strace -f` trace in its own order (line numbers as positions). A call another thread
 * interrupted is split into `<unfinished ...>` (its entry) and `<... resumed>` (its exit); a
 * whole line is both. Open file descriptors are followed through openat and close, since the
 * numbers are reused.
 */
function syscallOrder(text: string, capture: string): Order {
  const order: Order = { dataSyncs: new Map(), renames: new Map(), directorySyncs: [], otherSyncs: [], replies: new Map() };
  const paths = new Map<number, string>();
  const pending = new Map<string, { call: string; args: string; entry: number }>();
  const lines = text.split('\n');
  for (let position = 0; position < lines.length; position++) {
    const line = lines[position] as string;
    let m = /^(\d+) +(\w+)\((.*) <unfinished \.\.\.>$/.exec(line);
    if (m !== null) { pending.set(m[1] as string, { call: m[2] as string, args: m[3] as string, entry: position }); continue; }
    let call: string;
    let args: string;
    let result: string;
    let entry = position;
    m = /^(\d+) +<\.\.\. (\w+) resumed>(.*)\) += (-?\d+)/.exec(line);
    if (m !== null) {
      const started = pending.get(m[1] as string);
      pending.delete(m[1] as string);
      if (started === undefined) continue;
      [call, args, result, entry] = [started.call, started.args + (m[3] as string), m[4] as string, started.entry];
    } else {
      m = /^\d+ +(\w+)\((.*)\) += (-?\d+)/.exec(line);
      if (m === null) continue;
      [call, args, result] = [m[1] as string, m[2] as string, m[3] as string];
    }
    const fd = Number(/^(\d+)/.exec(args)?.[1] ?? '-1');
    if (call === 'openat' && Number(result) >= 0) {
      const path = /^AT_FDCWD, "([^"]*)"/.exec(args)?.[1];
      if (path !== undefined) paths.set(Number(result), path);
    } else if (call === 'close') {
      paths.delete(fd);
    } else if (call === 'fdatasync' && result === '0') {
      const path = paths.get(fd);
      if (path !== undefined) order.dataSyncs.set(path, position);
    } else if (call === 'fsync' && result === '0' && paths.get(fd) === capture) {
      order.directorySyncs.push({ entry, exit: position });
    } else if (call === 'fsync' && result === '0') {
      const path = paths.get(fd);
      if (path !== undefined) order.otherSyncs.push(path);
    } else if (call.startsWith('rename') && result === '0') {
      const names = [...args.matchAll(/"([^"]*)"/g)].map((n) => n[1] as string);
      if (names.length === 2) order.renames.set(names[0] as string, { to: names[1] as string, entry, exit: position });
    } else if (call === 'write' || call === 'writev') {
      const id = /"250 [^"]*InternalId=(\d+)/.exec(args)?.[1];
      if (id !== undefined && !order.replies.has(id)) order.replies.set(id, entry);
    }
  }
  return order;
}
