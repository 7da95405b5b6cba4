// Integration tests talk to real tools (swaks, nmap, postfix, chromium). Under CI=true a
// missing tool fails the test; elsewhere the test is skipped with the reason.
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export function findTool(name: string): string | null {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = result.stdout.trim();
  if (result.status === 0 && path !== '') return path;
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin']) {
    const probe = spawnSync('test', ['-x', `${dir}/${name}`]);
    if (probe.status === 0) return `${dir}/${name}`;
  }
  return null;
}

/** Returns the tool's path, or null after marking the test skipped (outside CI only). */
export function requireTool(t: TestContext, name: string): string | null {
  const path = findTool(name);
  if (path !== null) return path;
  if (process.env.CI === 'true') throw new Error(`${name} is required in CI (install it in .ci/run)`);
  t.skip(`${name} is not installed (CI installs it; see .ci/run)`);
  return null;
}
