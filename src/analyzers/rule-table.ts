// docs/rules/: one page per rule and an index, generated from each rule's meta (as ESLint's
// rule docs are), so the documentation and the code cannot drift. `npm run docs:rules` writes
// them; test/analyzers/rule-docs.test.ts fails when a page is stale.
import { NEEDS } from './run.js';
import type { Rule } from './rule.js';

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The rule table; each id links to its page under `linkBase` (relative to the page holding the table). */
export function renderRuleTable(rules: readonly Rule[], linkBase = ''): string {
  const lines = [
    '| rule | default severity | fires when | needs |',
    '|---|---|---|---|',
    ...rules.map((r) => `| [\`${r.meta.id}\`](${linkBase}${r.meta.id}.md) | ${r.meta.defaultSeverity} | ${cell(r.meta.description)} | ${cell((r.meta.needs ?? []).map((n) => NEEDS[n].missing).join('; ') || '—')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

const GENERATED = '<!-- Generated from the rule\'s meta by `npm run docs:rules`; do not edit by hand. -->';

/** docs/rules/README.md: the catalogue. */
export function renderRulesIndex(rules: readonly Rule[]): string {
  return [
    '# Audit rules',
    '',
    GENERATED,
    '',
    'Every rule of `exrelay audit`, with its default severity and when it fires. A rule that needs',
    'data the input lacks does not run, and the audit says so once, with the export that would',
    'enable it. A rule does not run for a connector whose properties it reads were assumed',
    '(not in the export). See also [the estates checked against these rules](checked-estates.md).',
    '',
    renderRuleTable(rules),
  ].join('\n');
}

/** docs/rules/<id>.md: one rule. */
export function renderRuleDoc(rule: Rule): string {
  const m = rule.meta;
  const out: string[] = [
    `# \`${m.id}\``,
    '',
    GENERATED,
    '',
    `**${m.title}** — default severity: **${m.defaultSeverity}**`,
    '',
    '## When it fires',
    '',
    m.description,
    '',
    '## Why it matters',
    '',
    m.wording.impact,
    '',
  ];
  const graded = Object.entries(m.gradedWording ?? {});
  for (const [severity, w] of graded) out.push(`At **${severity}**: ${w.impact}`, '');
  out.push('## What to do', '', `${m.wording.action}.`, '');
  for (const [severity, w] of graded) if (w.action !== m.wording.action) out.push(`At **${severity}**: ${w.action}.`, '');
  out.push('```powershell', m.remediation.replaceAll('{identity}', "'<connector identity>'").replaceAll('{server}', "'<server>'"), '```', '');
  out.push('A finding may carry a remediation written for its own connector; this is the general form.', '');
  if ((m.needs ?? []).length > 0) {
    out.push('## Data it needs', '');
    for (const n of m.needs ?? []) out.push(`- ${NEEDS[n].missing}: ${NEEDS[n].export}`);
    out.push('');
  }
  if ((m.dependsOn ?? []).length > 0) {
    out.push('## Connector properties it reads', '',
      `${(m.dependsOn ?? []).map((p) => `\`${p}\``).join(', ')}. Where one of them was not in the export (a partial capture), the rule does not run for that connector and the audit lists it under "not run".`, '');
  }
  out.push('## References', '', ...m.references.map((r) => `- <${r}>`), '');
  return out.join('\n');
}

/** Every generated file of docs/rules/, by name. */
export function renderRuleDocs(rules: readonly Rule[]): Map<string, string> {
  const files = new Map<string, string>([['README.md', renderRulesIndex(rules)]]);
  for (const r of rules) files.set(`${r.meta.id}.md`, renderRuleDoc(r));
  return files;
}
