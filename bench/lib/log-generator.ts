// Generates realistic SMTP receive protocol logs (reference §10) with known counts: many
// sessions open at once and interleaved line by line, EHLO/STARTTLS/AUTH, pipelined MAIL/RCPT,
// accepted and rejected recipients, DATA or BDAT, files rolled by size mid-session, optional
// gzip. Used by the tests (known answers) and by bench/logs.bench.ts (volume).
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { prng } from './prng.js';

export interface SenderProfile {
  /** `SERVER\Connector Name` as Exchange logs it */
  connector: string;
  /** server address and port the client connected to */
  localEndpoint: string;
  remoteIp: string;
  helo: string;
  /** authenticated account (AUTH LOGIN succeeds) or null */
  account: string | null;
  tls: boolean;
  mailFrom: string;
  /** recipients of every message, and whether the server accepts each */
  recipients: Array<{ address: string; accept: boolean }>;
  sessions: number;
  messagesPerSession: number;
  bdat?: boolean;
}

export interface GeneratorOptions {
  seed?: number;
  /** first record's time */
  start?: string;
  /** sessions open at the same time (their lines interleave) */
  concurrency?: number;
  /** 2010 logs each EHLO reply line as its own record */
  flavor?: '2010' | '2013' | '2016' | '2019';
}

export interface ExpectedSender {
  connector: string; remoteIp: string; sessions: number; messages: number; tlsSessions: number;
  accounts: string[]; mailFromDomains: Record<string, number>; rcptDomains: Record<string, number>; rejectedRecipients: number;
}

export interface Expected { sessions: number; messages: number; lines: number; senders: Map<string, ExpectedSender> }


const EHLO_2013 = 'SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS X-ANONYMOUSTLS AUTH NTLM LOGIN X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING XRDST';
const EHLO_2010 = ['SIZE', 'PIPELINING', 'DSN', 'ENHANCEDSTATUSCODES', 'STARTTLS', 'AUTH NTLM LOGIN', '8BITMIME', 'BINARYMIME', 'CHUNKING'];
const ANON_PERMS = 'SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders';
const AUTH_PERMS = 'SMTPSubmit SMTPAcceptAnyRecipient SMTPBypassMessageSizeLimit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender BypassAntiSpam';
const TLS_INFO = '"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 384 bits"';

type Rec = [event: string, data: string, context: string];

const domain = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
const csv = (text: string): string => (text.includes(',') || text.includes('"') ? `"${text.replaceAll('"', '""')}"` : text);

/** The records of one session, in order (sequence numbers are their indexes). */
function sessionRecords(p: SenderProfile, flavor: string, sessionId: string, when: string, rnd: () => number): Rec[] {
  const host = `${p.connector.split('\\')[0] ?? 'EX01'}.corp.example`;
  const out: Rec[] = [['+', '', ''], ['*', ANON_PERMS, 'Set Session Permissions'],
    ['>', csv(`220 ${host} Microsoft ESMTP MAIL Service ready at Mon, 30 Nov 2026 10:00:00 +0000`), '']];
  const ehlo = (): void => {
    out.push(['<', `EHLO ${p.helo}`, '']);
    if (flavor === '2010') {
      out.push(['>', `250-${host} Hello [${p.remoteIp}]`, '']);
      EHLO_2010.forEach((x, i) => out.push(['>', `${i === EHLO_2010.length - 1 ? '250 ' : '250-'}${x}`, '']));
    } else {
      out.push(['>', `250  ${host} Hello [${p.remoteIp}] ${EHLO_2013}`, '']);
    }
  };
  ehlo();
  if (p.tls) {
    out.push(['<', 'STARTTLS', ''], ['>', '220 2.0.0 SMTP server ready', ''], ['*', '', TLS_INFO]);
    ehlo();
  }
  if (p.account !== null) {
    out.push(['<', 'AUTH LOGIN', ''], ['>', '334 <authentication response>', ''], ['>', '334 <authentication response>', ''],
      ['*', AUTH_PERMS, 'Set Session Permissions'], ['*', p.account, 'authenticated'], ['>', '235 2.7.0 Authentication successful', '']);
  }
  const accepted = p.recipients.filter((r) => r.accept).length;
  for (let m = 0; m < p.messagesPerSession; m++) {
    const size = 1000 + Math.floor(rnd() * 50000);
    out.push(['<', `MAIL FROM:<${p.mailFrom}> SIZE=${size}`, ''], ['*', `${sessionId};${when};${m + 1}`, 'receiving message']);
    // Pipelined: all RCPTs first, then their replies (Exchange logs them in this order).
    for (const r of p.recipients) out.push(['<', `RCPT TO:<${r.address}>`, '']);
    out.push(['>', '250 2.1.0 Sender OK', '']);
    for (const r of p.recipients) {
      out.push(r.accept ? ['>', '250 2.1.5 Recipient OK', ''] : ['>', '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain', '']);
    }
    if (accepted === 0) { out.push(['<', 'RSET', ''], ['>', '250 2.0.0 Resetting', '']); continue; }
    const queued = csv(`250 2.6.0 <${sessionId}${m}@${host}> [InternalId=${Math.floor(rnd() * 1e12)}, Hostname=${host}] ${size} bytes in 0.120, 81.3 KB/sec Queued Mail for Delivery`);
    if (p.bdat === true) {
      out.push(['<', `BDAT ${size} LAST`, ''], ['>', queued, '']);
    } else {
      out.push(['<', 'DATA', ''], ['>', '354 Start mail input; end with <CRLF>.<CRLF>', ''], ['>', queued, '']);
    }
  }
  out.push(['<', 'QUIT', ''], ['>', '221 2.0.0 Service closing transmission channel', ''], ['-', '', 'Local']);
  return out;
}

export const LOG_HEADER_FIELDS = 'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';

export function logHeader(date: string, flavor = '2016'): string {
  return `#Software: Microsoft Exchange Server\n#Version: ${flavor === '2010' ? '14.0.0.0' : '15.0.0.0'}\n#Log-type: SMTP Receive Protocol Log\n#Date: ${date}\n#Fields: ${LOG_HEADER_FIELDS}\n`;
}

/**
 * Yields log lines (each ending in "\n", no header) for every session of every profile, with
 * `concurrency` sessions interleaved. `expected` is filled in as sessions are emitted.
 */
export function* generateLogLines(profiles: readonly SenderProfile[], options: GeneratorOptions, expected: Expected): Generator<string> {
  const rnd = prng(options.seed ?? 1);
  const flavor = options.flavor ?? '2016';
  let clock = Date.parse(options.start ?? '2026-11-02T08:00:00.000Z');
  const concurrency = Math.max(1, options.concurrency ?? 8);
  // The sessions to run, in a shuffled order so senders mix.
  const schedule: number[] = [];
  profiles.forEach((p, i) => { for (let s = 0; s < p.sessions; s++) schedule.push(i); });
  for (let i = schedule.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [schedule[i], schedule[j]] = [schedule[j] as number, schedule[i] as number];
  }
  let nextSession = 0;
  let counter = 0;
  let port = 40000;
  interface Active { profile: SenderProfile; id: string; remote: string; recs: Rec[]; at: number }
  const active: Active[] = [];
  const start = (): void => {
    const idx = schedule[nextSession++];
    if (idx === undefined) return;
    const p = profiles[idx] as SenderProfile;
    const id = `08DE${(0x10000000 + (((options.seed ?? 1) & 0xff) << 20) + counter++).toString(16).toUpperCase()}${(idx & 0xffff).toString(16).toUpperCase().padStart(4, '0')}`;
    port = port >= 65000 ? 40000 : port + 1;
    active.push({ profile: p, id, remote: `${p.remoteIp}:${port}`, recs: sessionRecords(p, flavor, id, new Date(clock).toISOString(), rnd), at: 0 });
    tally(expected, p);
  };
  while (active.length < concurrency && nextSession < schedule.length) start();
  while (active.length > 0) {
    const k = Math.floor(rnd() * active.length);
    const s = active[k] as Active;
    const [event, data, context] = s.recs[s.at] as Rec;
    clock += 1 + Math.floor(rnd() * 7);
    expected.lines++;
    yield `${new Date(clock).toISOString()},${s.profile.connector},${s.id},${s.at},${s.profile.localEndpoint},${s.remote},${event},${data},${context}\n`;
    s.at++;
    if (s.at === s.recs.length) {
      active.splice(k, 1);
      start();
    }
  }
}

export function emptyExpected(): Expected {
  return { sessions: 0, messages: 0, lines: 0, senders: new Map() };
}

function tally(e: Expected, p: SenderProfile): void {
  const key = `${p.connector}\u0000${p.remoteIp}`;
  let s = e.senders.get(key);
  if (s === undefined) {
    s = { connector: p.connector, remoteIp: p.remoteIp, sessions: 0, messages: 0, tlsSessions: 0, accounts: [], mailFromDomains: {}, rcptDomains: {}, rejectedRecipients: 0 };
    e.senders.set(key, s);
  }
  const accepted = p.recipients.filter((r) => r.accept);
  const messages = accepted.length > 0 ? p.messagesPerSession : 0;
  e.sessions++;
  e.messages += messages;
  s.sessions++;
  s.messages += messages;
  if (p.tls) s.tlsSessions++;
  if (p.account !== null && !s.accounts.includes(p.account)) s.accounts.push(p.account);
  const from = domain(p.mailFrom);
  s.mailFromDomains[from] = (s.mailFromDomains[from] ?? 0) + p.messagesPerSession;
  for (const r of accepted) s.rcptDomains[domain(r.address)] = (s.rcptDomains[domain(r.address)] ?? 0) + p.messagesPerSession;
  s.rejectedRecipients += (p.recipients.length - accepted.length) * p.messagesPerSession;
}

export interface WriteOptions extends GeneratorOptions {
  /** roll to a new file after this many bytes (sessions continue in the next file) */
  fileBytes: number;
  /** gzip every n-th file (0: none) */
  gzipEvery?: number;
  /** stop after this many bytes in total (profiles are repeated as needed); default: one pass */
  totalBytes?: number;
  /**
   * damage about one line in this many (0: none), the ways real copies are damaged: a prose
   * line, a blank line, a record hard-wrapped onto an indented line, a record cut short. The
   * expected counts no longer hold then (the bench uses it for volume only).
   */
  damageEvery?: number;
}

/** `line` as a damaged copy would hold it (see WriteOptions.damageEvery). */
function damaged(line: string, how: number): string {
  switch (how % 4) {
    case 0: return `---- copied from the server, part ${how} ----\n${line}`;
    case 1: return `\n${line}`;
    case 2: { // wrapped after the event field: the rest continues on an indented line
      let comma = -1;
      for (let i = 0; i < 7; i++) comma = line.indexOf(',', comma + 1);
      return comma < 0 ? line : `${line.slice(0, comma + 1)}\n        ${line.slice(comma + 1)}`;
    }
    default: return `${line.slice(0, Math.min(line.length - 1, 30))}\n`;
  }
}

/** Writes RECVyyyymmdd-n.log files into `dir`; returns the files and the expected counts. */
export async function writeGeneratedLogs(dir: string, profiles: readonly SenderProfile[], options: WriteOptions): Promise<{ files: string[]; expected: Expected; bytes: number }> {
  const expected = emptyExpected();
  const files: string[] = [];
  let out: WriteStream | null = null;
  let gz: Gzip | null = null;
  let fileBytes = 0;
  let total = 0;
  let buffered: string[] = [];
  let bufferedBytes = 0;
  const flush = async (): Promise<void> => {
    if (buffered.length === 0) return;
    const text = buffered.join('');
    buffered = [];
    bufferedBytes = 0;
    const target = gz ?? out;
    if (target !== null && !target.write(text)) await once(target, 'drain');
  };
  const close = async (): Promise<void> => {
    await flush();
    if (gz !== null) { gz.end(); await once(out as WriteStream, 'finish'); } else if (out !== null) { out.end(); await once(out, 'finish'); }
    out = null; gz = null;
  };
  const openNext = async (date: string): Promise<void> => {
    await close();
    const n = files.length + 1;
    const zip = (options.gzipEvery ?? 0) > 0 && n % (options.gzipEvery ?? 1) === 0;
    const path = join(dir, `RECV20261102-${n}.log${zip ? '.gz' : ''}`);
    files.push(path);
    out = createWriteStream(path);
    if (zip) { gz = createGzip({ level: 1 }); gz.pipe(out); }
    const header = logHeader(date, options.flavor);
    buffered.push(header);
    bufferedBytes += header.length;
    fileBytes = header.length;
    expected.lines += 5;
  };
  let pass = 0;
  let lineNo = 0;
  const damageEvery = options.damageEvery ?? 0;
  do {
    for (let line of generateLogLines(profiles, { ...options, seed: (options.seed ?? 1) + pass, start: new Date(Date.parse(options.start ?? '2026-11-02T08:00:00.000Z') + pass * 86_400_000).toISOString() }, expected)) {
      if (out === null || fileBytes >= options.fileBytes) await openNext(line.slice(0, 24));
      lineNo++;
      if (damageEvery > 0 && lineNo % damageEvery === 0) line = damaged(line, lineNo / damageEvery);
      buffered.push(line);
      bufferedBytes += line.length;
      fileBytes += line.length;
      total += line.length;
      if (bufferedBytes > 1 << 20) await flush();
      if (options.totalBytes !== undefined && total >= options.totalBytes) break;
    }
    pass++;
  } while (options.totalBytes !== undefined && total < options.totalBytes);
  await close();
  return { files, expected, bytes: total };
}
