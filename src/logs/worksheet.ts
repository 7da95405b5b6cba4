// `logs --worksheet FILE`: one CSV row per sender for the customer to fill in (who owns that
// device, which application it is, what should happen to it), and the reader `plan` uses to
// take the filled-in sheet back. Excel-friendly: UTF-8 with BOM, CRLF, one header row, fields
// quoted when they need it. A cell that a spreadsheet would run as a formula (it starts with
// = + - @) is written with a leading apostrophe, which the reader takes off again. Pure.
import { CsvError, parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import type { LogsDocument, LogsSender } from './aggregate.js';

export const WORKSHEET_COLUMNS = [
  'remoteIp', 'hostNames', 'connector', 'auth', 'accounts', 'tls', 'seenIn',
  'senderDomains', 'recipientDomains', 'messages', 'days', 'messagesPerDay',
  'internalRecipientsPerDay', 'externalRecipientsPerDay', 'maxExternalRecipientsPerDay',
  'firstSeen', 'lastSeen', 'owner', 'application', 'decision',
] as const;
export type WorksheetColumn = (typeof WORKSHEET_COLUMNS)[number];

/** The columns the customer fills in; everything else is what the logs showed. */
export const WORKSHEET_INPUT_COLUMNS = ['owner', 'application', 'decision'] as const;

/** A filled-in row as `plan` needs it: which sender, and what the customer wrote. */
export interface WorksheetEntry {
  remoteIp: string;
  connector: string;
  owner: string;
  application: string;
  decision: string;
  /** 1-based line of the row in the file (for messages) */
  line: number;
  /** Optional column `tlsCertificateName` (added by hand): the certificate a `connector-certificate` sender presents. */
  tlsCertificateName?: string;
}

/** `anonymous` / `authenticated` from protocol logs; `unknown` when only tracking logs saw the sender. */
export function authOf(s: LogsSender): 'anonymous' | 'authenticated' | 'unknown' {
  if (s.authenticatedAs.length > 0) return 'authenticated';
  return s.seenIn.includes('protocol') ? 'anonymous' : 'unknown';
}

const domains = (counts: Record<string, number>): string => Object.entries(counts).map(([d, n]) => `${d} (${n})`).join('; ');
const perDay = (total: number, days: number): string => (days === 0 ? '' : String(Math.round((total / days) * 10) / 10));

function rowOf(s: LogsSender): Record<WorksheetColumn, string> {
  const days = s.perDay.length;
  const recipients = s.perDay.reduce((n, d) => n + d.recipients, 0);
  const external = s.externalRecipients;
  return {
    remoteIp: s.remoteIp,
    hostNames: s.hostNames.join('; '),
    connector: s.connector,
    auth: authOf(s),
    accounts: s.authenticatedAs.join('; '),
    // Tracking logs do not say whether a session used TLS.
    tls: s.seenIn.includes('protocol') ? (s.tls ? 'yes' : 'no') : '',
    seenIn: s.seenIn.join('+'),
    senderDomains: domains(s.mailFromDomains),
    recipientDomains: domains(s.rcptDomains),
    messages: String(s.messages),
    days: String(days),
    messagesPerDay: perDay(s.perDay.reduce((n, d) => n + d.messages, 0), days),
    internalRecipientsPerDay: external === null ? '' : perDay(recipients - s.perDay.reduce((n, d) => n + (d.externalRecipients ?? 0), 0), days),
    externalRecipientsPerDay: external === null ? '' : perDay(s.perDay.reduce((n, d) => n + (d.externalRecipients ?? 0), 0), days),
    maxExternalRecipientsPerDay: external === null ? '' : String(s.perDay.reduce((m, d) => Math.max(m, d.externalRecipients ?? 0), 0)),
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    owner: '',
    application: '',
    decision: '',
  };
}

/** One CSV cell as the worksheet writes it: quoted when needed, a formula-looking value defused. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The worksheet text (BOM, CRLF). */
export function renderWorksheet(doc: LogsDocument): string {
  const lines = [WORKSHEET_COLUMNS.join(',')];
  for (const s of doc.senders) {
    const row = rowOf(s);
    lines.push(WORKSHEET_COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

const unprotect = (value: string): string => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value);

/**
 * Reads a filled-in worksheet back (as saved by a spreadsheet: with or without BOM, any column
 * order, extra columns ignored). `file` names it in errors.
 */
export function readWorksheet(text: string, file: string): WorksheetEntry[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as typeof records;
  } catch (error) {
    const line = error instanceof CsvError && typeof error.lines === 'number' ? error.lines : null;
    throw new InputError(file, line, `not a readable CSV worksheet (${(error as Error).message})`);
  }
  const header = (records[0]?.record ?? []).map((h) => h.trim());
  const at = (name: string): number => header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  const missing = ['remoteIp', 'connector', ...WORKSHEET_INPUT_COLUMNS].filter((c) => at(c) < 0);
  if (missing.length > 0) throw new InputError(file, 1, `not an exrelay worksheet: no ${missing.join(', ')} column`);
  const col = { remoteIp: at('remoteIp'), connector: at('connector'), owner: at('owner'), application: at('application'), decision: at('decision') };
  const certificateCol = at('tlsCertificateName');
  const out: WorksheetEntry[] = [];
  for (const { record, info } of records.slice(1)) {
    const get = (n: number): string => unprotect((record[n] ?? '').trim());
    const remoteIp = get(col.remoteIp);
    if (remoteIp === '') continue;
    // info.lines: the line the record ends on (a quoted cell may span lines).
    const entry: WorksheetEntry = { remoteIp, connector: get(col.connector), owner: get(col.owner), application: get(col.application), decision: get(col.decision), line: info.lines };
    if (certificateCol >= 0 && get(certificateCol) !== '') entry.tlsCertificateName = get(certificateCol);
    out.push(entry);
  }
  return out;
}
