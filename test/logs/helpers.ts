// Reads log text through the real reader (in this thread) and returns the exrelay.logs/1 document.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLogsDocument, type LogsDocument } from '../../src/logs/aggregate.js';
import type { LogConfig } from '../../src/logs/config.js';
import { readLogs, type ReadResult } from '../../src/logs/reader.js';

export const CORPUS = '/work/shared/corpus/real';
export const corpus = (name: string): string => join(CORPUS, name);

export async function readDoc(paths: string[], config: LogConfig | null = null, workers = 0): Promise<{ doc: LogsDocument; result: ReadResult }> {
  const result = await readLogs(paths, { workers });
  return { doc: buildLogsDocument(result.aggregate, { files: result.files, lines: result.lines }, config), result };
}

export async function readText(text: string, config: LogConfig | null = null): Promise<{ doc: LogsDocument; result: ReadResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-test-'));
  try {
    const file = join(dir, 'RECV20261102-1.log');
    writeFileSync(file, text);
    return await readDoc([file], config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
