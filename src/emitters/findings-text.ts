// `audit --format text`: what a consultant reads at a glance — the counts, then findings by
// severity and connector with the evidence in a line or two and the first command of the fix,
// then accepted risks and the checks that could not run (with the export that enables them).
import { SEVERITIES, type Finding, type FindingsDocument, type Severity } from '../model.js';

const WIDTH = 100;

/** One line of at most `width` characters, shortened at a word boundary (never inside a word). */
export function clip(text: string, width = WIDTH): string {
  const one = text.replace(/\s+/g, ' ').trim();
  if (one.length <= width) return one;
  const cut = one.lastIndexOf(' ', width - 1);
  // A single word longer than the line is kept whole: a cut name or address misleads.
  if (cut <= 0) return `${one.slice(0, one.indexOf(' ') > 0 ? one.indexOf(' ') : one.length)}…`;
  return `${one.slice(0, cut).replace(/[,;:]$/, '')} …`;
}

/** Wraps a long line into at most `lines` lines of `width`, the last one clipped. */
function wrap(text: string, indent: string, lines = 2, width = WIDTH): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const out: string[] = [];
  let current = '';
  for (const word of words) {
    if (current !== '' && current.length + 1 + word.length > width - indent.length) {
      out.push(current);
      current = word;
      if (out.length === lines) break;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (out.length < lines && current !== '') out.push(current);
  else if (out.length === lines && current !== '') {
    const last = out[lines - 1] ?? '';
    out[lines - 1] = clip(`${last} ${current}…`, width - indent.length);
  }
  return out.map((l) => `${indent}${l}`);
}

/** The first command of a remediation (comments skipped). */
function firstCommand(remediation: string): string {
  const lines = remediation.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => !l.startsWith('#')) ?? lines[0] ?? '';
}

/** What exrelay proved about a fix, in one line (rules.md "Fixes"). */
export function provedLine(f: Finding): string {
  const verified = f.fix?.verified;
  if (verified === undefined) return '';
  if (verified === null) return 'not verified';
  const parts = [verified.accepted ? 'accepted' : 'refused by apply', verified.resolves ? 'resolves' : 'does not resolve'];
  if (verified.newFindings.length === 0) parts.push('adds nothing as severe');
  if (verified.kept.length > 0) parts.push(`keeps ${verified.kept.length} checked flow${verified.kept.length === 1 ? '' : 's'} (${clip(verified.kept.slice(0, 2).join(', '), 70)})`);
  return `proved: ${parts.join(' · ')}`;
}

/** The finding's fix: the proved script in full (a clipped command cannot be copied), or the manual advice. */
function fixLines(f: Finding): string[] {
  if (f.fix !== undefined && f.fix !== null) {
    return [`      fix (${provedLine(f)}):`, ...f.fix.script.split('\n').filter((l) => l.trim() !== '').map((l) => `        ${l}`)];
  }
  if (f.fix === null && typeof f.manual === 'string') return wrap(`manual: ${f.manual}`, '      ', 4);
  // A document written before fixes existed: the first command of the remediation.
  return [`      fix: ${firstCommand(f.remediation)}`];
}

export function summaryLine(doc: FindingsDocument): string {
  const total = doc.findings.length;
  const parts = SEVERITIES.map((s) => `${doc.summary[s]} ${s}`).join(', ');
  const accepted = doc.accepted?.length ?? 0;
  return `${total} finding${total === 1 ? '' : 's'}: ${parts}${accepted > 0 ? ` (+${accepted} accepted risk${accepted === 1 ? '' : 's'})` : ''}`;
}

/** The connector heads its group, so a message that starts with it need not repeat it. */
function withoutScope(message: string, connector: string | null): string {
  if (connector === null || !message.startsWith(connector)) return message;
  const rest = message.slice(connector.length).replace(/^:?\s+/, '');
  return rest === '' ? message : rest;
}

function scopeOf(f: Finding): string {
  return f.connector ?? (f.server !== null ? `server ${f.server}` : 'organisation');
}

/**
 * Checks skipped for single connectors because a property they read was assumed, not exported:
 * one entry per connector, with the checks and the properties together.
 */
function notRunPerConnector(doc: FindingsDocument): string[] {
  const byConnector = new Map<string, { rules: string[]; properties: string[]; export: string }>();
  for (const n of doc.notRun ?? []) {
    if (n.connector === undefined) continue;
    const g = byConnector.get(n.connector) ?? { rules: [], properties: [], export: n.export };
    g.rules.push(n.rule);
    const props = n.missing.replace(/ of .*$/s, '').split(', ');
    for (const p of props) if (!g.properties.includes(p)) g.properties.push(p);
    byConnector.set(n.connector, g);
  }
  if (byConnector.size === 0) return [];
  const out = ['', `NOT RUN FOR SOME CONNECTORS (${byConnector.size}) — properties the export did not contain were assumed, not observed`];
  const exports = new Set<string>();
  for (const [connector, g] of byConnector) {
    out.push(`  ${connector}`, ...wrap(`assumed: ${g.properties.join(', ')}; not checked: ${g.rules.join(', ')}`, '    ', 12));
    exports.add(g.export);
  }
  for (const e of exports) out.push(`  enable with: ${e}`);
  return out;
}

export function renderFindingsText(doc: FindingsDocument): string {
  const out: string[] = [`exrelay audit — ${summaryLine(doc)}`];
  for (const severity of SEVERITIES) {
    const list = doc.findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    out.push('', `${severity.toUpperCase()} (${list.length})`);
    // Scopes in the order of their first finding: the document's order (run.ts sorts once).
    const byScope = new Map<string, Finding[]>();
    for (const f of list) {
      const key = scopeOf(f);
      byScope.set(key, [...(byScope.get(key) ?? []), f]);
    }
    for (const scope of byScope.keys()) {
      out.push(`  ${scope}`);
      for (const f of byScope.get(scope) ?? []) {
        out.push(`    [${f.rule}] ${f.title}`);
        out.push(...wrap(withoutScope(f.message, f.connector), '      '));
        out.push(...fixLines(f));
      }
    }
  }
  if (doc.findings.length === 0) out.push('', 'No findings.');
  const accepted = doc.accepted ?? [];
  if (accepted.length > 0) {
    out.push('', `ACCEPTED RISKS (${accepted.length}) — suppressed, not counted above`);
    for (const a of accepted) {
      out.push(`  ${a.finding.severity.padEnd(8)} [${a.finding.rule}] ${scopeOf(a.finding)} — until ${a.expires}: ${clip(a.reason, 60)}`);
    }
  }
  const notRun = (doc.notRun ?? []).filter((n) => n.connector === undefined);
  if (notRun.length > 0) {
    out.push('', `NOT RUN (${notRun.length}) — the input lacks the data these checks need`);
    const byExport = new Map<string, { missing: string; rules: string[] }>();
    for (const n of notRun) {
      const g = byExport.get(n.export) ?? { missing: n.missing, rules: [] };
      g.rules.push(n.rule);
      byExport.set(n.export, g);
    }
    for (const [exportHint, g] of byExport) {
      out.push(`  ${g.rules.join(', ')}`, `    missing: ${g.missing}`, `    enable with: ${exportHint}`);
    }
  }
  out.push(...notRunPerConnector(doc));
  const worst: Severity | undefined = SEVERITIES.find((s) => doc.summary[s] > 0);
  const counts = SEVERITIES.filter((s) => doc.summary[s] > 0).map((s) => `${doc.summary[s]} ${s}`).join(', ');
  // "Nothing to fix" only speaks for the checks that ran (no false clean).
  const skipped = doc.notRun?.length ?? 0;
  const caveat = skipped === 0 ? '' : ` ${skipped} check${skipped === 1 ? '' : 's'} could not run (see NOT RUN above).`;
  out.push('', worst === undefined ? `Summary: nothing to fix${skipped === 0 ? '' : ' among the checks that ran'}.${caveat}` : `Summary: worst is ${worst} (${counts}).${caveat}`);
  return `${out.join('\n')}\n`;
}
