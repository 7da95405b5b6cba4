// `npm run bench`: runs every bench/*.bench.ts in its own process (so peak memory is each one's
// own) and prints their figures. Each benchmark prints ratios against a baseline it measures
// in the same run; nothing here is an assertion. `npm run bench -- NAME` runs the matching ones.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file} ==`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', `${dir}${file}`], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`(${file} exited ${r.status ?? r.signal})`); }
}
process.exit(failed === 0 ? 0 : 1);
