// Exchange's SMTP receive protocol log (reference §10), so `exrelay logs` and any tool that
// reads real Exchange logs read the sandbox's too. One CSV file per UTC day,
// RECVyyyymmdd-1.LOG, with Exchange's header lines; records of concurrent sessions interleave as
// they do on a real server.
// Durability: records are gathered and written to the file (the kernel's page cache: a killed
// process loses nothing written) at the end of each turn of the event loop, and at once before
// a message's final 250 is sent, so an acknowledged message always has its records. Each start
// of the sandbox begins with a fresh header block, as a restarted transport service does.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const LOG_FIELDS = 'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';

export type LogEvent = '+' | '-' | '<' | '>' | '*';

/** Exchange quotes a field only when it contains a comma (or a quote or line break). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function logFileName(date: Date): string {
  const y = date.getUTCFullYear();
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `RECV${y}${m}${d}-1.LOG`;
}

export function logHeader(version: string, date: Date): string {
  return [
    '#Software: Microsoft Exchange Server',
    `#Version: ${version}`,
    '#Log-type: SMTP Receive Protocol Log',
    `#Date: ${date.toISOString()}`,
    `#Fields: ${LOG_FIELDS}`,
  ].join('\r\n') + '\r\n';
}

/**
 * One reply as a log record's data. 2013+ writes a multi-line reply as one record:
 * the code, two spaces, the lines joined by spaces; 2010 writes one record per line
 * (reference §10.3 and §6.6).
 */
export function replyRecords(code: number, lines: readonly string[], perLine: boolean): string[] {
  if (lines.length <= 1) return [`${code} ${lines[0] ?? ''}`.trimEnd()];
  if (perLine) return lines.map((line, i) => `${code}${i < lines.length - 1 ? '-' : ' '}${line}`);
  return [`${code}  ${lines.join(' ')}`];
}

export class ProtocolLog {
  private fd: number | null = null;
  private fileName = '';
  private sessionCounter: bigint;
  private pending: string[] = [];
  private scheduled = false;

  /** `version`: 14.0.0.0 for 2010, 15.0.0.0 for 2013 and later. `clock` is for tests. */
  constructor(readonly dir: string, readonly version: string, private readonly clock: () => Date = () => new Date()) {
    mkdirSync(dir, { recursive: true });
    // Exchange's session ids are 16 hex digits that count up from a per-process start.
    this.sessionCounter = BigInt(`0x${randomBytes(4).toString('hex')}`) << 24n;
  }

  /** Whether the 2010 layout (one record per reply line) applies. */
  get perLineReplies(): boolean { return this.version.startsWith('14.'); }

  nextSessionId(): string {
    this.sessionCounter += 1n;
    return this.sessionCounter.toString(16).toUpperCase().padStart(16, '0').slice(-16);
  }

  write(fields: { connector: string; session: string; sequence: number; local: string; remote: string; event: LogEvent; data: string; context: string }): void {
    const now = this.clock();
    const name = logFileName(now);
    if (name !== this.fileName) this.open(name, now);
    this.pending.push([
      now.toISOString(), csvField(fields.connector), fields.session, String(fields.sequence), fields.local, fields.remote,
      fields.event, csvField(fields.data), csvField(fields.context),
    ].join(',') + '\r\n');
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; this.flush(); });
    }
  }

  /** Writes every gathered record to the file now (before a final 250: the message's records are on disk). */
  flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    const buffer = Buffer.from(text, 'latin1');
    for (let at = 0; at < buffer.length;) at += writeSync(this.fd, buffer, at);
  }

  /** A new day's file, or the first file of this run: a header block first (appended to what is there). */
  private open(name: string, now: Date): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = openSync(join(this.dir, name), 'a');
    this.fileName = name;
    this.pending.push(logHeader(this.version, now));
  }

  close(): Promise<void> {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.fileName = '';
    return Promise.resolve();
  }
}

/** One session's records: keeps the session id, the sequence number and the endpoints. */
export class LogSession {
  private sequence = 0;
  readonly id: string;

  constructor(private readonly log: ProtocolLog, public connector: string, public local: string, private readonly remote: string) {
    this.id = log.nextSessionId();
  }

  record(event: LogEvent, data = '', context = ''): void {
    this.log.write({ connector: this.connector, session: this.id, sequence: this.sequence++, local: this.local, remote: this.remote, event, data, context });
  }

  reply(code: number, lines: readonly string[]): void {
    for (const data of replyRecords(code, lines, this.log.perLineReplies)) this.record('>', data);
  }
}

/**
 * Extended rights -> the Permission flag names Exchange writes in its `Set Session Permissions`
 * record (reference §2.2), in the flag enum's order.
 */
const PERMISSION_NAMES: Array<[string, string]> = [
  ['ms-Exch-SMTP-Submit', 'SMTPSubmit'],
  ['ms-Exch-SMTP-Submit-For-MLS', 'SMTPSubmitForMLS'],
  ['ms-Exch-SMTP-Accept-Any-Recipient', 'SMTPAcceptAnyRecipient'],
  ['ms-Exch-SMTP-Accept-Authentication-Flag', 'SMTPAcceptAuthenticationFlag'],
  ['ms-Exch-SMTP-Accept-Any-Sender', 'SMTPAcceptAnySender'],
  ['ms-Exch-SMTP-Accept-Authoritative-Domain-Sender', 'SMTPAcceptAuthoritativeDomainSender'],
  ['ms-Exch-Bypass-Anti-Spam', 'BypassAntiSpam'],
  ['ms-Exch-Bypass-Message-Size-Limit', 'BypassMessageSizeLimit'],
  ['ms-Exch-SMTP-Send-Exch50', 'SMTPSendEXCH50'],
  ['ms-Exch-SMTP-Accept-Exch50', 'SMTPAcceptEXCH50'],
  ['ms-Exch-Accept-Headers-Routing', 'AcceptRoutingHeaders'],
  ['ms-Exch-Accept-Headers-Forest', 'AcceptForestHeaders'],
  ['ms-Exch-Accept-Headers-Organization', 'AcceptOrganizationHeaders'],
  ['ms-Exch-Send-Headers-Routing', 'SendRoutingHeaders'],
  ['ms-Exch-Send-Headers-Forest', 'SendForestHeaders'],
  ['ms-Exch-Send-Headers-Organization', 'SendOrganizationHeaders'],
];

export function sessionPermissionNames(rights: Iterable<string>): string {
  const held = new Set([...rights].map((r) => r.toLowerCase()));
  const names = PERMISSION_NAMES.filter(([right]) => held.has(right.toLowerCase())).map(([, name]) => name);
  // An empty flags value prints as the enum's zero name.
  return names.length === 0 ? 'None' : names.join(' ');
}
