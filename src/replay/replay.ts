// Replay: drives an SmtpSession exactly as a client would (the same dialogue the sandbox
// answers), one scenario at a time, in-process and without sockets.
import type {
  RecipientReply, ReplayComparison, ReplayResult, Reply, Scenario, ScenarioUser, SmtpStage, StageReply,
} from '../model.js';
import type { PolicyIndex } from '../policy/index.js';
import type { Flavor } from '../policy/replies.js';
import { type MessageContent, type SessionOptions, SmtpSession, headerFacts } from '../policy/session.js';

export interface ReplayOptions {
  /** Run against this server whatever the scenario's `server` says (`--server`). */
  server?: string;
  /** Answer as this Exchange version instead of the server's own. */
  flavor?: Flavor;
  /** The banner's time. */
  now?: Date;
}

const stage = (s: SmtpStage, reply: Reply): StageReply => ({ stage: s, code: reply.code, enhanced: reply.enhanced, text: reply.text });

/** A stable 32-bit hash (FNV-1a) for generated Message-IDs and InternalIds. */
function hashNumber(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
const HEX = '0123456789abcdef';
/** 8 hex digits (Number#toString(16) is slow for values above 2^31, and this runs per scenario). */
function hex8(n: number): string {
  let out = '';
  for (let shift = 28; shift >= 0; shift -= 4) out += HEX[(n >>> shift) & 15] ?? '0';
  return out;
}

function headerValue(data: string, name: string): string | null {
  const end = data.search(/\r?\n\r?\n/);
  const head = (end < 0 ? data : data.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return m === null ? null : (m[1] ?? '').trim();
}

function addressIn(value: string): string | null {
  const angle = /<([^<>]*)>/.exec(value);
  if (angle !== null) return angle[1] ?? null;
  const bare = /[^\s,;]+@[^\s,;]+/.exec(value);
  return bare === null ? null : bare[0];
}

const UTF8 = new TextEncoder();

/** The generated message (see generatedMessage) for a scenario. */
export function generatedMessage(scenario: Scenario, messageId: string): string {
  // The scenario's extra header lines, From/To/Subject/Message-ID headers and a one-line body.
  return `${extraHeaders(scenario)}From: <${scenario.mailFrom}>\r\nTo: ${scenario.rcptTo.map((r) => `<${r}>`).join(', ')}\r\n`
    + `Subject: exrelay replay: ${scenario.name}\r\nMessage-ID: ${messageId}\r\n\r\nexrelay replay test message\r\n`;
}

/** The scenario's `headers`, each line ending CRLF ('' without any). */
export function extraHeaders(scenario: Scenario): string {
  return scenario.headers === undefined || scenario.headers.length === 0 ? '' : `${scenario.headers.join('\r\n')}\r\n`;
}

/** UTF-8 byte length, without encoding when the text is ASCII. */
function byteLength(t: string): number {
  for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) > 0x7f) return UTF8.encode(t).length;
  return t.length;
}

/** Byte length of generatedMessage without building it (replay runs millions of scenarios). */
function generatedMessageSize(scenario: Scenario, messageId: string): number {
  let to = 0;
  for (const r of scenario.rcptTo) to += byteLength(r) + 2;
  to += Math.max(0, scenario.rcptTo.length - 1) * 2;
  return byteLength(extraHeaders(scenario)) + 'From: <>\r\n'.length + byteLength(scenario.mailFrom) + 'To: \r\n'.length + to
    + 'Subject: exrelay replay: \r\n'.length + byteLength(scenario.name) + 'Message-ID: \r\n\r\n'.length + byteLength(messageId)
    + 'exrelay replay test message\r\n'.length;
}

/** The message a scenario sends: its `data`, or a small generated one padded to `messageSize`. */
export function scenarioMessage(scenario: Scenario): { size: number; messageId: string; headerFrom: string | null; internalId: string; headerBytes: number; receivedHeaders: number } {
  const h = hashNumber(scenario.name);
  // A reproducible InternalId per scenario (Exchange's is a queue counter): 1 + 9-10 digits.
  const internalId = `1${(h >>> 3) + 100_000_000}`;
  if (scenario.data !== undefined) {
    const id = headerValue(scenario.data, 'Message-ID');
    const from = headerValue(scenario.data, 'From');
    const body = extraHeaders(scenario) + scenario.data.replace(/\r?\n/g, '\r\n');
    return {
      size: Math.max(UTF8.encode(body).length, scenario.messageSize ?? 0),
      messageId: id ?? `<${hex8(h)}@${scenario.helo}>`,
      headerFrom: from === null ? null : addressIn(from),
      internalId,
      ...headerFacts(body),
    };
  }
  const messageId = `<${hex8(h)}@${scenario.helo}>`;
  const unpadded = generatedMessageSize(scenario, messageId);
  const size = Math.max(unpadded, scenario.messageSize ?? 0);
  // The header section ends before the empty line; padding goes into the body.
  const headerBytes = unpadded - '\r\n\r\nexrelay replay test message\r\n'.length;
  const receivedHeaders = (scenario.headers ?? []).filter((line) => /^received:/i.test(line)).length;
  return { size, messageId, headerFrom: scenario.mailFrom === '' ? null : scenario.mailFrom, internalId, headerBytes, receivedHeaders };
}

function advertisesSize(extensions: readonly string[]): boolean {
  for (const x of extensions) if (x === 'SIZE' || x.startsWith('SIZE ')) return true;
  return false;
}

function makeResult(scenario: Scenario, session: SmtpSession, outcome: ReplayResult['outcome'], replies: StageReply[], recipients: RecipientReply[]): ReplayResult {
  return { name: scenario.name, connector: session.connector?.identity ?? null, outcome, replies, recipients };
}

/**
 * Runs one scenario. `server` must already be resolved (see the replay command: scenario
 * `server`, `--server`, or the snapshot's only server).
 */
export function runScenario(policy: PolicyIndex, scenario: Scenario, users: readonly ScenarioUser[], options: ReplayOptions & { server: string }): ReplayResult {
  const sessionOptions: SessionOptions = {
    server: options.server, port: scenario.port, localAddress: scenario.localAddress ?? null, remoteAddress: scenario.clientIp, users,
  };
  if (options.flavor !== undefined) sessionOptions.flavor = options.flavor;
  if (options.now !== undefined) sessionOptions.now = options.now;
  const session = new SmtpSession(policy, sessionOptions);
  const replies: StageReply[] = [];
  const recipients: RecipientReply[] = [];
  // Nothing listens on that port: the TCP connection is refused, no reply at all.
  if (!session.listening) return makeResult(scenario, session, 'refused', replies, recipients);
  const banner = session.connect();
  replies.push(stage('connect', banner));
  if (banner.code !== 220) return makeResult(scenario, session, 'refused', replies, recipients);

  let ehlo = session.ehlo(scenario.helo, true);
  replies.push(stage('ehlo', ehlo.reply));
  if (ehlo.reply.code !== 250) return makeResult(scenario, session, 'rejected', replies, recipients);

  if (scenario.tls) {
    const tls = session.startTls();
    replies.push(stage('starttls', tls));
    // A client that asked for TLS does not go on in clear text.
    if (tls.code !== 220) return makeResult(scenario, session, 'rejected', replies, recipients);
    session.tlsEstablished();
    ehlo = session.ehlo(scenario.helo, true);
    replies.push(stage('ehlo', ehlo.reply));
    if (ehlo.reply.code !== 250) return makeResult(scenario, session, 'rejected', replies, recipients);
  }

  if (scenario.auth !== null) {
    const auth = session.auth(scenario.auth.mechanism, scenario.auth.user, scenario.auth.password);
    replies.push(stage('auth', auth));
    if (auth.code !== 235) return makeResult(scenario, session, 'rejected', replies, recipients);
  }

  const message = scenarioMessage(scenario);
  // Clients announce the size when the server advertises SIZE (RFC 1870).
  const sendsSize = (scenario.messageSize !== undefined || scenario.data !== undefined) && advertisesSize(ehlo.extensions);
  const content: MessageContent = {
    headerFrom: message.headerFrom, queuedId: message.internalId, headerBytes: message.headerBytes, receivedHeaders: message.receivedHeaders,
  };
  // `repeat`: the same transaction again in the same session (MessageRateLimit); the session
  // goes on only while every message is queued.
  const times = scenario.repeat ?? 1;
  for (let n = 0; n < times; n++) {
    const mail = session.mail(scenario.mailFrom, sendsSize ? { size: message.size } : {});
    replies.push(stage('mail', mail));
    if (mail.code !== 250) return makeResult(scenario, session, 'rejected', replies, recipients);

    for (const to of scenario.rcptTo) {
      const reply = session.rcpt(to);
      replies.push(stage('rcpt', reply));
      if (n === 0) recipients.push({ address: to, code: reply.code, enhanced: reply.enhanced, text: reply.text });
      if (session.closed) return makeResult(scenario, session, 'rejected', replies, recipients);
    }
    if (session.acceptedRecipients.length === 0) return makeResult(scenario, session, 'rejected', replies, recipients);

    let final: Reply;
    if (scenario.bdat === true && ehlo.extensions.includes('CHUNKING')) {
      final = session.bdat(message.size, true, message.messageId, content);
      replies.push(stage('message', final));
    } else {
      const data = session.data();
      replies.push(stage('data', data));
      if (data.code !== 354) return makeResult(scenario, session, 'rejected', replies, recipients);
      final = session.message(message.size, message.messageId, message.internalId, content);
      replies.push(stage('message', final));
    }
    if (final.code !== 250) return makeResult(scenario, session, 'rejected', replies, recipients);
  }
  return makeResult(scenario, session, 'accepted', replies, recipients);
}

/** The reply that decided the outcome: the refusal, the first rejection, or the queued line. */
export function decidingReply(result: ReplayResult): StageReply | null {
  if (result.outcome === 'accepted') return result.replies[result.replies.length - 1] ?? null;
  const last = result.replies[result.replies.length - 1];
  if (last === undefined) return null;
  if (last.code >= 400) return last;
  // Every recipient refused: the first refusal decided.
  return result.replies.find((r) => r.stage === 'rcpt' && r.code >= 400) ?? last;
}

/** The connector's name with its server taken out, so an old server and its replacement compare. */
export function connectorRoleName(identity: string | null): string | null {
  if (identity === null) return null;
  const slash = identity.indexOf('\\');
  const server = slash >= 0 ? identity.slice(0, slash) : '';
  let name = slash >= 0 ? identity.slice(slash + 1) : identity;
  if (server !== '' && name.toLowerCase().endsWith(` ${server.toLowerCase()}`)) name = name.slice(0, -(server.length + 1));
  return name.trim().toLowerCase();
}

/**
 * Built-in connectors renamed by the version change are the same connector (contract CLI.md,
 * replay): on port 25 `Default SRV` (2010) ≙ `Default Frontend SRV` (2013+), on 587
 * `Client SRV` ≙ `Client Frontend SRV`. Names as connectorRoleName gives them.
 */
export function sameBuiltIn(a: string | null, b: string | null, port: number | null): boolean {
  if (a === b) return true;
  const pair = [a, b].sort().join('|');
  if (pair === 'default|default frontend') return port === null || port === 25;
  if (pair === 'client|client frontend') return port === null || port === 587;
  return false;
}

/**
 * What changed between two runs of the same scenario: the outcome, the connector (by name,
 * server part removed, built-ins renamed by the version change paired), the stages the dialogue
 * went through, or the class (2xx/3xx/4xx/5xx) of any reply or recipient. Differences of wording
 * between Exchange versions (`550 5.7.1 Unable to relay` vs `550 5.7.54 SMTP; …`) and texts that
 * only carry host names, dates or ids are not changes: a migration gate flags behaviour, not phrasing.
 */
export function compareResults(before: ReplayResult, after: ReplayResult, scenario?: Scenario, options: { ignoreConnector?: boolean } = {}): ReplayComparison {
  const key = (r: ReplayResult) => JSON.stringify([
    r.outcome,
    r.replies.map((x) => [x.stage, Math.floor(x.code / 100)]),
    r.recipients.map((x) => [x.address.toLowerCase(), Math.floor(x.code / 100)]),
  ]);
  // Across a move to Exchange Online every connector changes by design: only behaviour counts.
  const sameConnector = options.ignoreConnector === true || sameBuiltIn(connectorRoleName(before.connector), connectorRoleName(after.connector), scenario?.port ?? null);
  return { name: before.name, before, after, changed: !sameConnector || key(before) !== key(after) };
}

export type ChangeKind = 'breaks' | 'newly accepted' | 'fixed' | 'changed';

/**
 * How a changed scenario reads for a migration: accepted before and not after **breaks**,
 * the other way round is **newly accepted**, and either is **fixed** when it reaches the
 * scenario's `expect`. A change that keeps the outcome (another connector, another reply class)
 * is just **changed**.
 */
export function changeKind(c: ReplayComparison, expect?: 'accepted' | 'rejected'): ChangeKind {
  const was = c.before.outcome === 'accepted';
  const is = c.after.outcome === 'accepted';
  if (was === is) return 'changed';
  if (expect !== undefined && (expect === 'accepted') === is) return 'fixed';
  return was ? 'breaks' : 'newly accepted';
}
