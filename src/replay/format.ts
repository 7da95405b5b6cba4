// Text output of replay: one line per scenario, read at a glance; with a comparison, what
// changed comes first.
import type { ReplayComparison, ReplayResult } from '../model.js';
import { formatReplyLine } from '../policy/replies.js';
import { decidingReply } from './replay.js';

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

export function renderComparisonText(comparisons: readonly ReplayComparison[]): string {
  const changed = comparisons.filter((c) => c.changed);
  const lines: string[] = [];
  lines.push(changed.length === 0
    ? `no change in ${comparisons.length} scenario${comparisons.length === 1 ? '' : 's'}`
    : `${changed.length} of ${comparisons.length} scenario${comparisons.length === 1 ? '' : 's'} changed:`);
  const connWidth = Math.min(MAX_COLUMN, Math.max(9, ...changed.flatMap((c) => [(c.before.connector ?? '-').length, (c.after.connector ?? '-').length])));
  for (const c of changed) {
    lines.push(c.name);
    for (const [label, r] of [['before', c.before], ['after ', c.after]] as const) {
      lines.push(`  ${label}  ${pad(clip(r.connector ?? '-'), connWidth)}  ${pad(r.outcome, 8)}  ${describeResult(r)}`);
    }
  }
  if (changed.length > 0 && changed.length < comparisons.length) lines.push(`unchanged: ${comparisons.length - changed.length}`);
  return `${lines.join('\n')}\n`;
}
