// A private, unprivileged-port Postfix instance for tests: its own config, queue and data
// directories, a log file instead of syslog, and `discard` for every delivery, so nothing a
// test sends is delivered anywhere. Facts: shared reference emitters-notes.md.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { SmtpLineClient } from './smtp-line-client.js';

export { SmtpLineClient };

const run = promisify(execFile);

export interface PostfixInstance {
  dir: string;
  /** What `postfix check` said: its output and the warning/fatal lines it logged. */
  check: { stdout: string; stderr: string; logged: string[] };
  stop(): Promise<void>;
}

/**
 * Turns an emitted configuration directory (`dir`, inside `workDir`) into a running test
 * instance. Queue, data and log live beside the configuration, not in it: postfix check wants
 * everything under config_directory owned by root, and the queue belongs to the postfix user.
 */
export async function startPostfix(postfix: string, postconf: string, dir: string, workDir: string): Promise<PostfixInstance> {
  const queue = join(workDir, 'queue');
  const data = join(workDir, 'data');
  const log = join(workDir, 'log');
  // The postfix user must reach the queue and data directories (mkdtemp makes 0700).
  await chmod(workDir, 0o755);
  await mkdir(queue, { recursive: true });
  await mkdir(data, { recursive: true });
  await mkdir(log, { recursive: true });
  await run('chown', ['postfix:postfix', data]);
  const settings = [
    `queue_directory=${queue}`,
    `data_directory=${data}`,
    `maillog_file=${join(log, 'maillog')}`,
    // postlogd refuses log files outside maillog_file_prefixes
    `maillog_file_prefixes=${log}`,
    'default_transport=discard', 'relay_transport=discard', 'local_transport=discard', 'virtual_transport=discard',
    'smtpd_authorized_xclient_hosts=127.0.0.0/8',
    'mail_owner=postfix', 'setgid_group=postdrop',
  ];
  await run(postconf, ['-c', dir, '-e', ...settings]);
  const checked = await run(postfix, ['-c', dir, 'check']);
  const logged = (await readFile(join(log, 'maillog'), 'utf8').catch(() => ''))
    .split('\n').filter((line) => /\b(warning|fatal|error):/.test(line));
  await run(postfix, ['-c', dir, 'start']);
  return {
    dir,
    check: { stdout: checked.stdout, stderr: checked.stderr, logged },
    async stop() {
      await run(postfix, ['-c', dir, 'stop']).catch(() => run(postfix, ['-c', dir, 'abort']).catch(() => undefined));
      // master may take a moment to release the queue; removal failures are not test failures
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** Waits until something accepts connections on the port (the master has bound it). */
export async function waitForPort(port: number, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await SmtpLineClient.open(port);
      c.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
