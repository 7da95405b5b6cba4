// Replays one session's logged dialogue: SMTP answers commands in order (pipelined or not),
// so replies are matched to the oldest command still waiting for one. Pure.
import { parseAddress } from '../net/index.js';
import { Ev, eventCode, eventKind, eventSeq, hasArg, type EvKind, type LogEvent, type SessionPartial, type SessionSummary, type Transaction } from './types.js';

export function splitEndpoint(endpoint: string): { ip: string; port: number | null } {
  const text = endpoint.trim();
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    const port = close >= 0 && text[close + 1] === ':' ? Number(text.slice(close + 2)) : NaN;
    return { ip: text.slice(1, close < 0 ? text.length : close), port: Number.isInteger(port) ? port : null };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { ip: text, port: null };
  let port = 0;
  let hasPort = colon + 1 < text.length && text.length - colon - 1 <= 5;
  for (let i = colon + 1; hasPort && i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) hasPort = false; else port = port * 10 + d;
  }
  hasPort &&= port <= 65535;
  if (text.indexOf(':') !== colon) {
    // UNSURE(reference): §10 shows only IPv4 endpoints. An IPv6 endpoint without brackets ends
    // in `:port` when what is left is still an address; otherwise the whole text is the address.
    const head = text.slice(0, colon);
    if (hasPort && parseAddress(head) !== null) return { ip: head, port };
    return { ip: text, port: null };
  }
  return { ip: text.slice(0, colon), port: hasPort ? port : null };
}

// A server has a few endpoints, seen in every session: split each once.
const localEndpoints = new Map<string, { ip: string; port: number | null }>();
function localEndpointOf(endpoint: string): { ip: string; port: number | null } {
  let split = localEndpoints.get(endpoint);
  if (split === undefined) {
    split = splitEndpoint(endpoint);
    if (localEndpoints.size >= 256) localEndpoints.clear();
    localEndpoints.set(endpoint, split);
  }
  return split;
}

/** `SERVER\Connector Name` → `SERVER`; an id without a backslash names no server. */
export function serverOfConnector(connector: string): string {
  const slash = connector.indexOf('\\');
  return slash < 0 ? '' : connector.slice(0, slash);
}

export function mergePartials(a: SessionPartial, b: SessionPartial): SessionPartial {
  // The partial that holds the lower sequence numbers came first.
  const [first, second] = firstSeq(a) <= firstSeq(b) ? [a, b] : [b, a];
  return {
    key: a.key,
    connector: first.connector !== '' ? first.connector : second.connector,
    localEndpoint: first.localEndpoint,
    remoteEndpoint: first.remoteEndpoint,
    firstMs: minMs(a.firstMs, b.firstMs),
    lastMs: maxMs(a.lastMs, b.lastMs),
    slot: a.slot,
    sidHi: a.sidHi,
    sidLo: a.sidLo,
    records: a.records + b.records,
    maxSeq: Math.max(a.maxSeq, b.maxSeq),
    flags: a.flags | b.flags,
    touched: Math.max(a.touched, b.touched),
    origin: -1,
    events: first.events.concat(second.events),
    args: first.args.concat(second.args),
  };
}

const minMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));
const maxMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));

/** The packed events as objects (short-lived: made only while a session is replayed). */
export function unpackEvents(p: SessionPartial): LogEvent[] {
  const out: LogEvent[] = [];
  const ev = p.events;
  let a = 0;
  for (const packed of ev) {
    const kind = eventKind(packed);
    let code = eventCode(packed);
    let arg: string | null = null;
    if (hasArg(kind)) arg = p.args[a++] ?? null;
    else if (kind === Ev.Reply && code >= 1000) { arg = code >= 2000 ? 'recipient' : 'sender'; code %= 1000; }
    out.push({ seq: eventSeq(packed), kind, code, arg });
  }
  return out;
}

function firstSeq(p: SessionPartial): number {
  return p.events.length === 0 ? Number.MAX_SAFE_INTEGER : eventSeq(p.events[0] as number);
}

/**
 * The commands still waiting for their reply, oldest first (`waiting.head` up to `tail`): parallel
 * arrays reused from one session to the next instead of an object per command, because this
 * runs for every session of the logs. Summaries are made one at a time (nothing here awaits).
 */
const waiting = {
  kind: [] as number[],
  arg: [] as Array<string | null>,
  /** a BDAT … LAST */
  bdatLast: [] as boolean[],
  /**
   * The index of the AUTH at the head that was answered 334 (the client's next lines are its
   * credentials), -1 when there is none. One number rather than a flag per command: the head
   * only moves forward, so the flag of any other command is never read again; and the test is
   * one comparison made for every other line, not a load the optimizing compiler first sees
   * late in the input (which undid its work).
   */
  credentialsAt: -1,
  head: 0,
  tail: 0,
};

function enqueue(kind: number, arg: string | null, bdatLast: boolean): void {
  const at = waiting.tail++;
  waiting.kind[at] = kind;
  waiting.arg[at] = arg;
  waiting.bdatLast[at] = bdatLast;
}

export function summarizeSession(partial: SessionPartial): SessionSummary {
  const remote = splitEndpoint(partial.remoteEndpoint);
  const local = localEndpointOf(partial.localEndpoint);
  const summary: SessionSummary = {
    connector: partial.connector,
    server: serverOfConnector(partial.connector),
    remoteIp: remote.ip,
    localIp: local.ip,
    localPort: local.port,
    firstMs: partial.firstMs,
    lastMs: partial.lastMs,
    helo: null,
    tls: false,
    authenticatedAs: null,
    authMechanism: null,
    messages: 0,
    transactions: [],
  };
  const state: Dialogue = { tx: null, userName: null };
  waiting.head = 0;
  waiting.tail = 0;
  waiting.credentialsAt = -1;
  const ev = partial.events;
  if (isPackedSortedBySeq(ev)) {
    // The usual case: walk the packed numbers, no object per event (this runs once per session).
    let a = 0;
    for (const packed of ev) {
      const kind = eventKind(packed);
      let code = eventCode(packed);
      let arg: string | null = null;
      if (hasArg(kind)) arg = partial.args[a++] ?? null;
      else if (kind === Ev.Reply && code >= 1000) { arg = code >= 2000 ? 'recipient' : 'sender'; code %= 1000; }
      step(summary, state, kind, code, arg);
    }
  } else {
    const events = unpackEvents(partial);
    events.sort((x, y) => x.seq - y.seq); // stable: repeated numbers keep file order
    for (const e of events) step(summary, state, e.kind, e.code, e.arg);
  }
  return summary;
}

/** Where a session's dialogue stands while its events are replayed (and `waiting`). */
interface Dialogue { tx: Transaction | null; userName: string | null }

function step(summary: SessionSummary, state: Dialogue, kind: EvKind, code: number, arg: string | null): void {
  const q = waiting;
  switch (kind) {
    case Ev.TlsOk: summary.tls = true; break;
    case Ev.Authenticated:
      // The record itself says the logon succeeded, even when the 235 is not in the excerpt.
      summary.authenticatedAs = arg;
      break;
    case Ev.UserName: state.userName = arg; break;
    case Ev.ClientAddr: if (arg !== null && arg !== '') summary.remoteIp = arg; break;
    case Ev.Other: {
      // While AUTH waits for the client's next step, its lines are credentials, not commands.
      if (q.credentialsAt === q.head) break;
      enqueue(kind, arg, false);
      break;
    }
    case Ev.Reply: {
      // A reply that names its subject (x.1.0 sender, x.1.5 recipient) cannot answer an earlier
      // EHLO or AUTH whose reply the excerpt lost: those stay unanswered.
      if (arg !== null) while (q.head < q.tail && q.kind[q.head] !== Ev.Mail && q.kind[q.head] !== Ev.Rcpt) q.head++;
      if (q.head === q.tail) break; // the 220 banner, or a reply whose command is not in the log
      const head = q.head;
      if (code >= 300 && code < 400) { q.credentialsAt = q.kind[head] === Ev.Auth ? head : -1; break; } // 334 / 354: not final yet
      if (arg === 'sender' && q.kind[head] !== Ev.Mail) break; // answers a MAIL FROM the excerpt lost
      q.head++;
      // An x.1.5 reply to a MAIL FROM: the RCPT (and the MAIL reply) are missing, but reaching
      // RCPT means the sender was accepted.
      state.tx = applyReply(summary, head, arg === 'recipient' && q.kind[head] === Ev.Mail ? 250 : code, state.tx, state.userName);
      break;
    }
    default:
      enqueue(kind, arg, kind === Ev.Bdat && code === 1);
  }
}

/** The reply `code` to the waiting command at `at`. */
function applyReply(s: SessionSummary, at: number, code: number, tx: Transaction | null, userName: string | null): Transaction | null {
  const ok = code >= 200 && code < 300;
  const arg = waiting.arg[at] ?? null;
  switch (waiting.kind[at]) {
    case Ev.Ehlo:
      if (ok && arg !== null && arg !== '') s.helo = arg;
      return null; // EHLO resets the mail transaction
    case Ev.StartTls:
      if (code === 220) s.tls = true;
      return null;
    case Ev.Auth:
      if (ok) {
        s.authMechanism = arg;
        if (s.authenticatedAs === null) s.authenticatedAs = userName ?? '(unnamed account)';
      }
      return tx;
    case Ev.Mail: {
      const next: Transaction = { mailFrom: arg ?? '', mailCode: code, recipients: [], delivered: false };
      s.transactions.push(next);
      return next;
    }
    case Ev.Rcpt: {
      // Without its MAIL FROM in the log the recipient still counts; the sender stays unknown (code 0).
      const into = tx ?? { mailFrom: '', mailCode: 0, recipients: [], delivered: false };
      if (tx === null) s.transactions.push(into);
      into.recipients.push({ address: arg ?? '', code });
      return into;
    }
    case Ev.Data:
      if (code === 250) countMessage(s, tx);
      return null;
    case Ev.Bdat:
      if (waiting.bdatLast[at] !== true) return ok ? tx : null;
      if (code === 250) countMessage(s, tx);
      return null;
    case Ev.Rset:
      return null;
    default:
      return tx;
  }
}

// A message counts on the 250 to its DATA/BDAT even when the excerpt lost its MAIL FROM.
function countMessage(s: SessionSummary, tx: Transaction | null): void {
  s.messages++;
  if (tx !== null) tx.delivered = true;
}

function isPackedSortedBySeq(events: readonly number[]): boolean {
  // Packed events order by sequence number first; equal numbers keep file order either way.
  for (let i = 1; i < events.length; i++) if (eventSeq(events[i] as number) < eventSeq(events[i - 1] as number)) return false;
  return true;
}
