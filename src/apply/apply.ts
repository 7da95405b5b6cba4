// `exrelay apply`: a dry run of a PowerShell change script against a snapshot. The script is read
// with the real PowerShell grammar; each statement is interpreted as Exchange would carry it out
// (including what Exchange refuses: reference §3.2 and §4.4), and the resulting snapshot is
// returned. Pure: text in, snapshot out; the CLI reads and writes the files.
import { InputError } from '../errors.js';
import type { Snapshot } from '../model.js';
import { parsePowerShell, type SyntaxNode } from '../powershell/grammar.js';
import { type ApplyEvent, type ApplyOptions, Interpreter } from './interpreter.js';
import { normaliseCommaLists } from './normalise.js';

export type { ApplyEvent, ApplyOptions } from './interpreter.js';

export interface ApplyResult {
  snapshot: Snapshot;
  events: ApplyEvent[];
  /** Number of statements that changed the configuration. */
  changed: number;
}

/** Parses (after normalising bare comma lists) and applies a change script. */
export async function applyScript(snapshot: Snapshot, text: string, options: ApplyOptions): Promise<ApplyResult> {
  const normalised = normaliseCommaLists(text.replace(/^\uFEFF/, ''));
  const parsed = await parsePowerShell(normalised.text);
  try {
    const first = parsed.errors[0];
    if (first !== undefined) {
      throw new InputError(options.file, first.line, `PowerShell syntax error near "${first.text}"`);
    }
    return applyTree(snapshot, parsed.tree.rootNode, options);
  } finally {
    parsed.tree.delete();
  }
}

/** Applies an already parsed script (the grammar's root node). */
export function applyTree(snapshot: Snapshot, root: SyntaxNode, options: ApplyOptions): ApplyResult {
  const runner = new Interpreter(structuredClone(snapshot), options);
  runner.runProgram(root);
  return { snapshot: runner.snap, events: runner.events, changed: runner.events.filter((e) => e.kind === 'changed').length };
}
