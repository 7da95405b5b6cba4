// SHA-1 of everything `exrelay logs` derives from a set of logs (the JSON document, the
// scenarios, the warnings with file and line, the line and record counts), read in one thread
// and in two worker threads (also with files cut into 4 MB ranges): a change to the reader that
// is meant to be faster only must leave every digest as it was. Prints one line per way of reading.
// Run: node --import tsx bench/logs-digest.ts [--src ROOT] FILE_OR_DIR...
//   --src ROOT reads with the sources under ROOT/src (a copy of an older commit) instead of these.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
let root = resolve(import.meta.dirname, '..');
if (args[0] === '--src') { root = resolve(args[1] ?? '.'); args.splice(0, 2); }
const from = (module: string): string => pathToFileURL(resolve(root, 'src', module)).href;
const { readLogs } = await import(from('logs/reader.ts')) as typeof import('../src/logs/reader.js');
const { buildLogsDocument } = await import(from('logs/aggregate.ts')) as typeof import('../src/logs/aggregate.js');
const { buildScenarios } = await import(from('logs/scenarios.ts')) as typeof import('../src/logs/scenarios.js');
const { stableStringify } = await import(from('json.ts')) as typeof import('../src/json.js');

for (const [workers, chunkBytes] of [[0, undefined], [2, undefined], [2, 4 << 20]] as const) {
  const t0 = Date.now();
  const r = await readLogs(args, { workers, ...(chunkBytes === undefined ? {} : { chunkBytes }) });
  const doc = buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines, trackingFiles: r.trackingFiles }, null);
  const hash = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 12);
  // Warnings in the order the command prints them, and sorted (comparable with an older reader
  // whose threads gave them in another order).
  const warnings = r.warnings.map((w) => `${w.file}:${w.line ?? ''}: ${w.message}`);
  const sorted = [...warnings].sort();
  console.log(`workers ${workers}${chunkBytes === undefined ? '' : ' 4 MB ranges'}: document ${hash(stableStringify(doc))} scenarios ${hash(stableStringify(buildScenarios(r.aggregate, null)))} warnings ${hash(warnings.join('\n'))} sorted ${hash(sorted.join('\n'))} (${warnings.length}) lines ${r.lines} records ${r.records} sessions ${doc.sessions} (${Date.now() - t0} ms)`);
}
