// `audit --format csv`: one row per finding (active, accepted, or a check that could not run),
// for spreadsheets. Cells are RFC 4180 quoted, and a cell that a spreadsheet would read as a
// formula (starting with = + - @, tab or CR) is prefixed with a single quote, so customer data
// such as a connector named `=HYPERLINK(...)` stays text.
import type { Finding, FindingsDocument } from '../model.js';

export const CSV_COLUMNS = [
  'status', 'severity', 'rule', 'server', 'connector', 'title', 'message', 'evidence', 'remediation', 'references', 'acceptedReason', 'acceptedUntil',
  // Added with proved fixes; at the end so existing columns keep their places.
  'fix', 'fixVerified', 'manual',
] as const;

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function row(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function findingCells(status: string, f: Finding, reason = '', until = ''): string[] {
  return [
    status, f.severity, f.rule, f.server ?? '', f.connector ?? '', f.title, f.message, JSON.stringify(f.evidence), f.remediation, f.references.join(' '), reason, until,
    f.fix?.script ?? '', fixVerifiedCell(f), f.manual ?? '',
  ];
}

/** `yes` when proved, `not verified` when the proof was skipped, empty without a script. */
function fixVerifiedCell(f: Finding): string {
  if (f.fix === undefined || f.fix === null) return '';
  return f.fix.verified === null ? 'not verified' : 'yes';
}

export function renderFindingsCsv(doc: FindingsDocument): string {
  let out = row(CSV_COLUMNS);
  for (const f of doc.findings) out += row(findingCells('open', f));
  for (const a of doc.accepted ?? []) out += row(findingCells('accepted', a.finding, a.reason, a.expires));
  for (const n of doc.notRun ?? []) {
    const connector = n.connector ?? '';
    const why = n.connector === undefined ? `could not run: ${n.missing} missing` : `not run for this connector: ${n.missing}`;
    out += row(['not-run', '', n.rule, '', connector, '', why, '', n.export, '', '', '', '', '', '']);
  }
  return out;
}
