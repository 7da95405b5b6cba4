// Text output of replay: one line per scenario, read at a glance; with a comparison, what
// changed comes first.
import type { ReplayComparison, ReplayResult } from '../model.js';
import { formatReplyLine } from '../policy/replies.js';
import { changeKind, decidingReply, type ChangeKind } from './replay.js';

const MAX_COLUMN = 40;

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function clip(text: string): string {
  return text.length <= MAX_COLUMN ? text : `${text.slice(0, MAX_COLUMN - 1)}…`;
}

/** `outcome  deciding reply` (+ refused recipients of an accepted message). */
export function describeResult(result: ReplayResult): string {
  const deciding = decidingReply(result);
  let text = deciding === null ? 'nothing listens on that port (connection refused)' : formatReplyLine(deciding);
  if (result.outcome === 'accepted') {
    const refused = result.recipients.filter((r) => r.code >= 400);
    if (refused.length > 0) {
      const first = refused[0];
      text += `  (${refused.length} of ${result.recipients.length} recipients refused${first === undefined ? '' : `: ${formatReplyLine(first)}`})`;
    }
  }
  return text;
}

export function renderResultsText(results: readonly ReplayResult[]): string {
  const nameWidth = Math.min(MAX_COLUMN, Math.max(4, ...results.map((r) => r.name.length)));
  const connWidth = Math.min(MAX_COLUMN, Math.max(9, ...results.map((r) => (r.connector ?? '-').length)));
  const lines = results.map((r) => `${pad(clip(r.name), nameWidth)}  ${pad(clip(r.connector ?? '-'), connWidth)}  ${pad(r.outcome, 8)}  ${describeResult(r)}`);
  const count = (o: ReplayResult['outcome']) => results.filter((r) => r.outcome === o).length;
  lines.push(`${results.length} scenario${results.length === 1 ? '' : 's'}: ${count('accepted')} accepted, ${count('rejected')} rejected, ${count('refused')} refused`);
  return `${lines.join('\n')}\n`;
}

const KIND_ORDER: readonly ChangeKind[] = ['breaks', 'newly accepted', 'changed', 'fixed'];

/**
 * What changed first, each change named: **breaks**, **newly accepted**, **fixed** (the
 * scenario's `expect` reached) or **changed** (same outcome, another connector or reply class).
 * `expects[i]` is the `expect` of comparison i.
 */
export function renderComparisonText(comparisons: readonly ReplayComparison[], expects: ReadonlyArray<'accepted' | 'rejected' | undefined> = []): string {
  const changed = comparisons.map((c, i) => ({ c, kind: changeKind(c, expects[i]) })).filter((x) => x.c.changed);
  changed.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const lines: string[] = [];
  const counts = KIND_ORDER.map((k) => [k, changed.filter((x) => x.kind === k).length] as const).filter(([, n]) => n > 0);
  lines.push(changed.length === 0
    ? `no change in ${comparisons.length} scenario${comparisons.length === 1 ? '' : 's'}`
    : `${changed.length} of ${comparisons.length} scenario${comparisons.length === 1 ? '' : 's'} changed: ${counts.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  const connWidth = Math.min(MAX_COLUMN, Math.max(9, ...changed.flatMap((x) => [(x.c.before.connector ?? '-').length, (x.c.after.connector ?? '-').length])));
  for (const { c, kind } of changed) {
    lines.push(`${kind}: ${c.name}`);
    for (const [label, r] of [['before', c.before], ['after ', c.after]] as const) {
      lines.push(`  ${label}  ${pad(clip(r.connector ?? '-'), connWidth)}  ${pad(r.outcome, 8)}  ${describeResult(r)}`);
    }
  }
  if (changed.length > 0 && changed.length < comparisons.length) lines.push(`unchanged: ${comparisons.length - changed.length}`);
  return `${lines.join('\n')}\n`;
}
