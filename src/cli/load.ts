// Reading INPUT... into one snapshot: the shared edge used by every command that takes inputs.
// PLACEHOLDER until the importers land: accepts only exrelay.snapshot/1 JSON files.
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { emptySnapshot, type Snapshot } from '../model.js';
import { decodeSource } from '../source.js';
import type { Io } from './io.js';

export async function loadSnapshot(inputs: readonly string[], io: Io): Promise<Snapshot> {
  const merged = emptySnapshot();
  for (const input of inputs) {
    let bytes: Uint8Array;
    try { bytes = await readFile(input); } catch (error) {
      throw new InputError(input, null, `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const source = decodeSource(input, bytes);
    let doc: unknown;
    try { doc = JSON.parse(source.text); } catch { throw new InputError(input, null, 'not a supported export'); }
    const snap = doc as Snapshot;
    if (snap.schema !== 'exrelay.snapshot/1') throw new InputError(input, null, 'not a supported export');
    merged.servers.push(...snap.servers);
    merged.connectors.push(...snap.connectors);
    merged.permissions.push(...snap.permissions);
    merged.acceptedDomains.push(...snap.acceptedDomains);
    merged.certificates.push(...snap.certificates);
    merged.warnings.push(...snap.warnings);
  }
  for (const w of merged.warnings) io.stderr(`exrelay: warning: ${w.file}${w.line === null ? '' : `:${w.line}`}: ${w.message}\n`);
  return merged;
}
