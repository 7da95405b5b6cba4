// Generates message tracking logs (docs/reference/message-tracking.md) with known counts, in
// the field layout of each version: 2010 (26 fields, no network-message-id), 2013 (27), 2016 and
// 2019 (30). Every message gets the events Exchange writes around its RECEIVE (AGENTINFO,
// HAREDIRECT, SEND, DELIVER, FAIL), 2013+ traffic is proxied by a Front End (the hub logs the
// Front End as client-ip and the device as original-client-ip), some messages also cross a
// second hub (a second RECEIVE of the same network message), and mailbox submissions (a
// STOREDRIVER RECEIVE first, then an SMTP RECEIVE at the hub) run alongside. Files roll by size
// and every n-th is gzipped. Used by the tests (known answers), the demo estate and the bench.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { emptyExpected, generateLogLines, logHeader } from './log-generator.js';
import { prng } from './prng.js';

export type TrackingVersion = '2010' | '2013' | '2016' | '2019';
export interface Host { name: string; ip: string }

export interface TrackedSender {
  device: string;
  /** the server the device connected to: the Front End on 2013+, the hub itself on 2010 */
  entry: Host;
  /** the hub whose transport service logs the RECEIVE (2013+: may be another server than `entry`) */
  hub: Host;
  /** connector-id the hub logs: on 2010 the connector the device reached, on 2013+ the hub's own */
  loggedConnector: string;
  mailFrom: string;
  /** recipients of every message; `fail`: delivery fails later (a FAIL event, still a received message) */
  recipients: Array<{ address: string; fail?: boolean; external?: boolean }>;
  /** messages per day, from the first day */
  perDay: number[];
  /** every message also goes to this hub (a second SMTP RECEIVE of the same network message) */
  alsoTo?: Host;
  /** client-hostname of direct receives */
  hostName?: string;
  subject?: string;
}

export interface MailboxSubmissions { mailbox: Host; outlookClients: string[]; perDay: number[] }

export interface TrackingOptions {
  version: TrackingVersion;
  /** first day, `YYYY-MM-DD` */
  start: string;
  /** roll to a new file after this many bytes */
  fileBytes: number;
  /** gzip every n-th file (0: none) */
  gzipEvery?: number;
  seed?: number;
  submissions?: MailboxSubmissions[];
}

export interface TrackingExpected {
  /** SMTP RECEIVE events written (more than messages: second hubs, mailbox submissions) */
  receives: number;
  events: number;
  lines: number;
}

const F2010 = ['date-time', 'client-ip', 'client-hostname', 'server-ip', 'server-hostname', 'source-context', 'connector-id', 'source', 'event-id',
  'internal-message-id', 'message-id', 'recipient-address', 'recipient-status', 'total-bytes', 'recipient-count', 'related-recipient-address',
  'reference', 'message-subject', 'sender-address', 'return-path', 'message-info', 'directionality', 'tenant-id', 'original-client-ip',
  'original-server-ip', 'custom-data'];
const F2013 = [...F2010.slice(0, 11), 'network-message-id', ...F2010.slice(11)];
const F2016 = [...F2013, 'transport-traffic-type', 'log-id', 'schema-version'];

const VERSION: Record<TrackingVersion, string> = { 2010: '14.0.0.0', 2013: '15.00.1497.002', 2016: '15.01.2507.006', 2019: '15.02.1118.007' };

export function trackingFields(version: TrackingVersion): string[] {
  return version === '2010' ? F2010 : version === '2013' ? F2013 : F2016;
}

export function trackingHeader(version: TrackingVersion, date: string): string {
  return `#Software: Microsoft Exchange Server\r\n#Version: ${VERSION[version]}\r\n#Log-type: Message Tracking Log\r\n#Date: ${date}\r\n#Fields: ${trackingFields(version).join(',')}\r\n`;
}

const csv = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

type Rec = Partial<Record<string, string>>;
interface Line { ms: number; stream: string; text: string }

/** Writes per server `SERVER/MSGTRK*.LOG` (and MSGTRKMS / MSGTRKMD on 2013+); returns the files and what was written. */
export async function writeTrackingLogs(dir: string, senders: readonly TrackedSender[], options: TrackingOptions): Promise<{ files: string[]; expected: TrackingExpected }> {
  const rnd = prng(options.seed ?? 1);
  const modern = options.version !== '2010';
  const fields = trackingFields(options.version);
  const expected: TrackingExpected = { receives: 0, events: 0, lines: 0 };
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const guid = (): string => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  let internalId = 10_000_000;
  const days = Math.max(...senders.map((s) => s.perDay.length), ...(options.submissions ?? []).map((s) => s.perDay.length), 0);
  const firstDay = Date.parse(`${options.start}T00:00:00.000Z`);

  const writers = new Map<string, StreamWriter>();
  const files: string[] = [];
  const writerFor = (stream: string): StreamWriter => {
    let w = writers.get(stream);
    if (w === undefined) {
      const [server = 'EX', prefix = 'MSGTRK'] = stream.split('/');
      mkdirSync(join(dir, server), { recursive: true });
      w = new StreamWriter(join(dir, server), prefix, options, files, expected);
      writers.set(stream, w);
    }
    return w;
  };

  for (let day = 0; day < days; day++) {
    const lines: Line[] = [];
    const emit = (ms: number, stream: string, rec: Rec): void => {
      const full: Rec = { 'date-time': new Date(ms).toISOString(), ...rec };
      if (modern) { full['schema-version'] = VERSION[options.version]; full['transport-traffic-type'] = 'Email'; full['log-id'] = guid(); }
      lines.push({ ms, stream, text: `${fields.map((f) => csv(full[f] ?? '')).join(',')}\r\n` });
      expected.events++;
    };
    const dayStart = firstDay + day * 86_400_000 + 7 * 3_600_000;
    // Device traffic.
    for (const s of senders) {
      const count = s.perDay[day] ?? 0;
      for (let m = 0; m < count; m++) {
        const t0 = dayStart + Math.floor(rnd() * 10 * 3_600_000);
        const nmid = modern ? guid() : '';
        const messageId = `<${hex(16)}@${s.hostName ?? s.device}>`;
        const rcpts = s.recipients.map((r) => r.address);
        const base: Rec = {
          'message-id': messageId, 'network-message-id': nmid, 'recipient-address': rcpts.join(';'), 'recipient-count': String(rcpts.length),
          'total-bytes': String(2000 + Math.floor(rnd() * 90_000)), 'message-subject': s.subject ?? `Scan ${m}, page 1 "A4"`,
          'sender-address': s.mailFrom, 'return-path': s.mailFrom, directionality: 'Originating',
        };
        const hubStream = `${s.hub.name}/MSGTRK`;
        const proxied = modern;
        const id1 = String(internalId++);
        emit(t0, hubStream, {
          ...base, 'client-ip': proxied ? s.entry.ip : s.device, 'client-hostname': proxied ? `${s.entry.name}.corp.example` : s.hostName ?? '',
          'server-ip': s.hub.ip, 'server-hostname': s.hub.name, 'source-context': `08DE${hex(12).toUpperCase()};${new Date(t0 - 40).toISOString()};0`,
          'connector-id': s.loggedConnector, source: 'SMTP', 'event-id': 'RECEIVE', 'internal-message-id': id1, 'message-info': '08I:',
          'original-client-ip': proxied ? s.device : '', 'original-server-ip': proxied ? s.entry.ip : '', 'custom-data': `S:FirstForestHop=${s.entry.name}.corp.example`,
        });
        expected.receives++;
        emit(t0 + 3, hubStream, { ...base, 'server-hostname': s.hub.name, 'source-context': 'Transport Rule Agent', source: 'AGENT', 'event-id': 'AGENTINFO', 'internal-message-id': id1, 'custom-data': 'S:TRA=ETR|ruleId=00000000-0000-0000-0000-000000000000' });
        if (modern) emit(t0 + 6, hubStream, { ...base, 'server-hostname': s.hub.name, source: 'SMTP', 'event-id': 'HAREDIRECT', 'internal-message-id': id1, 'source-context': `"${s.hub.name}.corp.example = 250 2.6.0 Queued mail for redundancy"` });
        let deliverHub = s.hub;
        let deliverId = id1;
        if (s.alsoTo !== undefined) {
          emit(t0 + 9, hubStream, { ...base, 'server-ip': s.alsoTo.ip, 'server-hostname': s.alsoTo.name, 'connector-id': 'Intra-Organization SMTP Send Connector', source: 'SMTP', 'event-id': 'SEND', 'internal-message-id': id1, 'recipient-status': '250 2.1.5 Recipient OK' });
          deliverId = String(internalId++);
          emit(t0 + 12, `${s.alsoTo.name}/MSGTRK`, {
            ...base, 'client-ip': s.hub.ip, 'client-hostname': `${s.hub.name}.corp.example`, 'server-ip': s.alsoTo.ip, 'server-hostname': s.alsoTo.name,
            'source-context': `08DE${hex(12).toUpperCase()};${new Date(t0 + 11).toISOString()};0`, 'connector-id': `${s.alsoTo.name}\\Default ${s.alsoTo.name}`,
            source: 'SMTP', 'event-id': 'RECEIVE', 'internal-message-id': deliverId,
            // The original client travels with the message (UNSURE: assumed, the worst case for counting).
            'original-client-ip': modern ? s.device : '', 'original-server-ip': modern ? s.entry.ip : '',
          });
          expected.receives++;
          deliverHub = s.alsoTo;
        }
        for (const [i, r] of s.recipients.entries()) {
          const at = t0 + 20 + i;
          const rb = { ...base, 'recipient-address': r.address, 'recipient-count': '1', 'internal-message-id': deliverId };
          if (r.fail === true) emit(at, `${deliverHub.name}/MSGTRK`, { ...rb, 'server-hostname': deliverHub.name, source: 'SMTP', 'event-id': 'FAIL', 'recipient-status': '550 5.1.1 RESOLVER.ADR.RecipientNotFound; not found' });
          else if (r.external === true) emit(at, `${deliverHub.name}/MSGTRK`, { ...rb, 'server-ip': '203.0.113.25', 'server-hostname': 'smarthost.provider.example', 'connector-id': 'To Internet', source: 'SMTP', 'event-id': 'SEND', 'recipient-status': '250 2.0.0 OK' });
          else emit(at, `${deliverHub.name}/${modern ? 'MSGTRKMD' : 'MSGTRK'}`, { ...rb, 'server-ip': deliverHub.ip, 'server-hostname': deliverHub.name, source: 'STOREDRIVER', 'event-id': 'DELIVER', 'recipient-status': '', 'message-info': new Date(t0).toISOString() });
        }
      }
    }
    // Mail that users send from their mailboxes: never a device.
    for (const sub of options.submissions ?? []) {
      const count = sub.perDay[day] ?? 0;
      for (let m = 0; m < count; m++) {
        const t0 = dayStart + Math.floor(rnd() * 10 * 3_600_000);
        const nmid = modern ? guid() : '';
        const outlook = sub.outlookClients[m % sub.outlookClients.length] ?? '';
        const base: Rec = {
          'message-id': `<${hex(32)}@${sub.mailbox.name}.corp.example>`, 'network-message-id': nmid, 'recipient-address': 'colleague@contoso-mfg.example',
          'recipient-count': '1', 'total-bytes': '5120', 'message-subject': 'Re: meeting', 'sender-address': 'user@contoso-mfg.example',
          'return-path': 'user@contoso-mfg.example', directionality: 'Originating',
        };
        const sd = modern ? `${sub.mailbox.name}/MSGTRKMS` : `${sub.mailbox.name}/MSGTRK`;
        const id = String(internalId++);
        emit(t0, sd, { ...base, 'client-ip': sub.mailbox.ip, 'client-hostname': sub.mailbox.name, 'server-ip': sub.mailbox.ip, 'server-hostname': sub.mailbox.name,
          'source-context': '"MDB:1, Mailbox:2, Event:3, MessageClass:IPM.Note, ClientType:MOMT"', source: 'STOREDRIVER', 'event-id': 'RECEIVE', 'internal-message-id': id,
          'original-client-ip': modern ? outlook : '' });
        emit(t0 + 2, sd, { ...base, 'server-hostname': sub.mailbox.name, source: 'STOREDRIVER', 'event-id': 'SUBMIT', 'internal-message-id': id });
        if (modern) {
          // The Mailbox Transport Submission service hands it to the hub over SMTP.
          emit(t0 + 5, `${sub.mailbox.name}/MSGTRK`, { ...base, 'client-ip': sub.mailbox.ip, 'client-hostname': `${sub.mailbox.name}.corp.example`, 'server-ip': sub.mailbox.ip,
            'server-hostname': sub.mailbox.name, 'connector-id': `${sub.mailbox.name}\\Default ${sub.mailbox.name}`, source: 'SMTP', 'event-id': 'RECEIVE',
            'internal-message-id': String(internalId++), 'original-client-ip': outlook, 'source-context': `08DE${hex(12).toUpperCase()};${new Date(t0).toISOString()};0` });
          expected.receives++;
        }
        emit(t0 + 9, `${sub.mailbox.name}/${modern ? 'MSGTRKMD' : 'MSGTRK'}`, { ...base, 'server-ip': sub.mailbox.ip, 'server-hostname': sub.mailbox.name, source: 'STOREDRIVER', 'event-id': 'DELIVER', 'internal-message-id': id });
      }
    }
    lines.sort((a, b) => a.ms - b.ms || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    for (const l of lines) await writerFor(l.stream).write(l.text, l.ms);
  }
  for (const w of writers.values()) await w.close();
  return { files, expected };
}

/** One log stream (server and file prefix): rolls by size, names files by the day they start. */
class StreamWriter {
  private out: WriteStream | null = null;
  private gz: Gzip | null = null;
  private bytes = 0;
  private n = 0;
  private day = '';
  private buffered: string[] = [];
  constructor(private readonly dir: string, private readonly prefix: string, private readonly options: TrackingOptions,
    private readonly files: string[], private readonly expected: TrackingExpected) {}

  async write(text: string, ms: number): Promise<void> {
    const day = new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
    if (this.out === null || this.bytes >= this.options.fileBytes || day !== this.day) await this.open(day, ms);
    this.buffered.push(text);
    this.bytes += text.length;
    this.expected.lines++;
    if (this.buffered.length >= 2048) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const target = this.gz ?? this.out;
    const text = this.buffered.join('');
    this.buffered = [];
    if (target !== null && !target.write(text)) await once(target, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.gz !== null) { this.gz.end(); await once(this.out as WriteStream, 'finish'); } else if (this.out !== null) { this.out.end(); await once(this.out, 'finish'); }
    this.out = null; this.gz = null;
  }

  private async open(day: string, ms: number): Promise<void> {
    await this.close();
    this.n = day === this.day ? this.n + 1 : 1;
    this.day = day;
    const total = this.files.length + 1;
    const zip = (this.options.gzipEvery ?? 0) > 0 && total % (this.options.gzipEvery ?? 1) === 0;
    const path = join(this.dir, `${this.prefix}${day}-${this.n}.LOG${zip ? '.gz' : ''}`);
    this.files.push(path);
    this.out = createWriteStream(path);
    if (zip) { this.gz = createGzip({ level: 6 }); this.gz.pipe(this.out); }
    const header = trackingHeader(this.options.version, new Date(ms).toISOString());
    this.buffered.push(header);
    this.bytes = header.length;
    this.expected.lines += 5;
  }
}

/**
 * The SMTP receive protocol logs of the same traffic, as the server each device connected to
 * writes them (one session per message, every recipient accepted): `SERVER/RECVyyyymmdd-1.LOG`.
 * `reached` names the connector the device really reached.
 */
export async function writeProtocolLogsFor(dir: string, senders: ReadonlyArray<TrackedSender & { reached: string }>, options: { start: string; version: TrackingVersion; seed?: number }): Promise<string[]> {
  const files: string[] = [];
  const days = Math.max(0, ...senders.map((s) => s.perDay.length));
  const servers = [...new Set(senders.map((s) => s.entry.name))].sort();
  for (const server of servers) {
    for (let day = 0; day < days; day++) {
      const start = new Date(Date.parse(`${options.start}T09:00:00.000Z`) + day * 86_400_000).toISOString();
      const profiles = senders.filter((s) => s.entry.name === server && (s.perDay[day] ?? 0) > 0).map((s) => ({
        connector: s.reached, localEndpoint: `${s.entry.ip}:25`, remoteIp: s.device, helo: s.hostName ?? `[${s.device}]`, account: null, tls: false,
        mailFrom: s.mailFrom, recipients: s.recipients.map((r) => ({ address: r.address, accept: true })), sessions: s.perDay[day] ?? 0, messagesPerSession: 1,
      }));
      if (profiles.length === 0) continue;
      mkdirSync(join(dir, server), { recursive: true });
      const path = join(dir, server, `RECV${start.slice(0, 10).replaceAll('-', '')}-1.LOG`);
      const out = createWriteStream(path);
      out.write(logHeader(start, options.version));
      for (const line of generateLogLines(profiles, { seed: (options.seed ?? 1) + day, start, concurrency: 4, flavor: options.version }, emptyExpected())) {
        if (!out.write(line)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      files.push(path);
    }
  }
  return files;
}
