#!/usr/bin/env node
// Finds every test file and runs them with node's own test runner and the tsx loader.
// Usage: node scripts/run-tests.mjs [PATH-FILTER...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (/\.test\.ts$/.test(name)) out.push(path);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) { console.error('no test files matched'); process.exit(2); }
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
