// The README's rule table, generated from each rule's metadata so documentation and code
// cannot drift (the registry test compares them).
import { NEEDS } from './run.js';
import type { Rule } from './rule.js';

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderRuleTable(rules: readonly Rule[]): string {
  const lines = [
    '| rule | default severity | fires when | needs |',
    '|---|---|---|---|',
    ...rules.map((r) => `| \`${r.meta.id}\` | ${r.meta.defaultSeverity} | ${cell(r.meta.description)} | ${cell((r.meta.needs ?? []).map((n) => NEEDS[n].missing).join('; ') || '—')} |`),
  ];
  return `${lines.join('\n')}\n`;
}
