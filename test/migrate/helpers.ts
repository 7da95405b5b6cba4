// Shared by the migrate tests: the fixture estates, a migration made as the CLI makes it (audit
// findings included), and the statements of a script where it can be interrupted.
import { readFileSync } from 'node:fs';
import { captureIo } from '../../src/cli/io.js';
import { loadSnapshot } from '../../src/cli/load.js';
import { buildMigration, type MigrationOutput } from '../../src/cli/commands/migrate-run.js';
import type { MigrateOptions } from '../../src/emitters/powershell/migrate.js';
import type { Snapshot } from '../../src/model.js';
import { parsePowerShell, type SyntaxNode } from '../../src/powershell/grammar.js';

const root = new URL('../../', import.meta.url);
export const fixturePath = (p: string): string => new URL(p, root).pathname;

/** A fixed date: certificate expiry and findings do not drift with the calendar. */
export const NOW = new Date('2026-06-01T00:00:00Z');

export interface Estate { name: string; snapshot: Snapshot; source: string; target: string; mapAddress?: Record<string, string> }

export async function fixtureEstates(): Promise<Estate[]> {
  const demo = await loadSnapshot([fixturePath('fixtures/estate-2010-2016')], captureIo());
  const small = JSON.parse(readFileSync(fixturePath('fixtures/migrate/estate-2010-2016.snapshot.json'), 'utf8')) as Snapshot;
  const hostile = JSON.parse(readFileSync(fixturePath('fixtures/migrate/hostile.snapshot.json'), 'utf8')) as Snapshot;
  return [
    { name: 'EX10 -> EX16', snapshot: small, source: 'EX10', target: 'EX16', mapAddress: { '10.0.0.10': '10.0.0.16' } },
    { name: 'CMEX10A -> CMEX16A', snapshot: demo, source: 'CMEX10A', target: 'CMEX16A' },
    { name: 'CMEX10B -> CMEX16B', snapshot: demo, source: 'CMEX10B', target: 'CMEX16B' },
    { name: 'CMEX16A -> CMEX16B', snapshot: demo, source: 'CMEX16A', target: 'CMEX16B', mapAddress: { '10.20.0.21': '10.20.0.22' } },
    { name: 'hostile names', snapshot: hostile, source: 'EX10', target: 'EX16' },
  ];
}

export async function migrateEstate(e: Estate, extra: Partial<MigrateOptions> = {}): Promise<MigrationOutput> {
  return buildMigration(e.snapshot, {
    sourceServer: e.source, targetServer: e.target, now: NOW, ...(e.mapAddress === undefined ? {} : { mapAddress: e.mapAddress }), ...extra,
  }, 'migrate.ps1');
}

/** The same migration with every critical finding carried, so every connector is created. */
export async function migrateCarryingAll(e: Estate): Promise<MigrationOutput> {
  const first = await migrateEstate(e);
  const carry = first.plan.leftOut.flatMap((l) => [...(l.carryWith ?? '').matchAll(/--carry '?([^' ]+@[^']+)'?/g)].map((m) => m[1] ?? ''))
    .filter((c) => c !== '').map((c) => ({ rule: c.slice(0, c.indexOf('@')), connector: c.slice(c.indexOf('@') + 1) }));
  return carry.length === 0 ? first : migrateEstate(e, { carry });
}

function blockDepth(node: SyntaxNode): number {
  let depth = 0;
  for (let p = node.parent; p !== null; p = p.parent) if (p.type === 'statement_block') depth++;
  return depth;
}

function insideFunction(node: SyntaxNode): boolean {
  for (let p = node.parent; p !== null; p = p.parent) if (p.type === 'function_statement') return true;
  return false;
}

/**
 * The script as it would have run had it been interrupted right after each statement: the text
 * up to the end of that statement, the blocks around it closed. Statements inside the helper
 * functions are not steps of the migration.
 */
export async function interruptedScripts(script: string): Promise<Array<{ after: string; text: string }>> {
  const text = script.replace(/^\uFEFF/, '');
  const parsed = await parsePowerShell(text);
  try {
    const out: Array<{ after: string; text: string }> = [];
    const visit = (node: SyntaxNode): void => {
      const list = node.parent;
      const listOwner = list?.parent?.type ?? 'program';
      // Statements of the script and of its blocks, not the items of an @(...) list.
      if (node.type === 'pipeline' && list?.type === 'statement_list' && (listOwner === 'statement_block' || listOwner === 'program') && !insideFunction(node)) {
        // The grammar's offsets do not count characters the way JS strings do; find the text from its row.
        const rowStart = text.split('\n').slice(0, node.startPosition.row).reduce((n, l) => n + l.length + 1, 0);
        const start = text.indexOf(node.text, rowStart);
        if (start < 0) throw new Error(`statement not found: ${node.text.slice(0, 60)}`);
        out.push({ after: node.text.split('\n')[0] ?? '', text: text.slice(0, start + node.text.length) + '\n}'.repeat(blockDepth(node)) + '\n' });
      }
      for (const child of node.namedChildren) if (child !== null) visit(child);
    };
    visit(parsed.tree.rootNode);
    return out;
  } finally {
    parsed.tree.delete();
  }
}
