// One SMTP session as Exchange runs it (reference §6): a state machine whose every step is a
// pure decision returning Exchange's reply. Replay drives it directly; the sandbox drives the
// same object from smtp-server's hooks, so what the wire says is what replay says.
import type { ExchangeServer, ReceiveConnector, Reply, ScenarioUser } from '../model.js';
import { domainOfAddress, isAcceptedDomain, isInternalDomain } from './accepted-domains.js';
import { extraBool, extraString } from './extra.js';
import { LimitState, connectorLimits, enforced } from './limits.js';
import { type PolicyIndex, type Selection, connectorsOf, isListening, selectConnector, selectConnectorDetailed, serverOf } from './index.js';
import {
  ACCEPT_ANY_RECIPIENT, ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER, ACCEPT_HEADERS_ORGANIZATION,
  BYPASS_MESSAGE_SIZE_LIMIT, SMTP_SUBMIT,
} from './permission-groups.js';
import {
  COMMON_REPLIES, FLAVOR_REPLIES, type Flavor, UNCONFIRMED_REPLIES, bannerReply, flavorWithNote, queuedReply,
} from './replies.js';
import { type Principal, allowedRights } from './rights.js';

export interface SessionOptions {
  server: string;
  port: number;
  localAddress?: string | null;
  remoteAddress: string;
  /** Overrides the flavour taken from the server's version. */
  flavor?: Flavor;
  /** Accounts AUTH accepts (scenario `users`). */
  users: readonly ScenarioUser[];
  /** The connection is TLS from the start (an implicit-TLS listener). */
  implicitTls?: boolean;
  /** Time shown in the banner; default the epoch, so replay output is reproducible. */
  now?: Date;
  /** What sessions share for MessageRateLimit (the sandbox: one for its lifetime); default this session's own. */
  limitState?: LimitState;
  /** Milliseconds now, for message rates; default `now` (fixed: replay's messages all fall in one minute). */
  clock?: () => number;
}

export interface EhloResult { reply: Reply; extensions: string[] }

const EPOCH = new Date(0);
// Flavour per server object (or per unknown server name): the version regex runs once.
const flavorCache = new Map<ExchangeServer | string, { flavor: Flavor; note: string | null }>();
const EHLO_KEYS: Record<Flavor, [string, string]> = {
  '2010': ['ehlo:2010', 'ehlo-tls:2010'], '2013': ['ehlo:2013', 'ehlo-tls:2013'],
  '2016': ['ehlo:2016', 'ehlo-tls:2016'], '2019': ['ehlo:2019', 'ehlo-tls:2019'],
  se: ['ehlo:2019', 'ehlo-tls:2019'],
};
// A local part is a dot-atom or a quoted string (which may hold spaces and `@`).
const ADDRESS_RE = /^(?:"(?:[^"\\\r\n]|\\.)*"|[^\s<>@"]+)@[^\s<>@"]+$/;
/** ESMTP parameters Exchange knows on MAIL and RCPT (reference §6.4); others are 501 5.5.4 Unrecognized parameter. */
const MAIL_PARAMETERS = new Set(['SIZE', 'BODY', 'AUTH', 'RET', 'ENVID', 'SMTPUTF8']);
const RCPT_PARAMETERS = new Set(['NOTIFY', 'ORCPT']);

/** MAIL FROM parameters as the client gave them. */
export interface MailParameters { size?: number; body?: string; names?: readonly string[] }
/** RCPT TO parameters as the client gave them (keywords only: their values are not judged). */
export interface RcptParameters { names?: readonly string[] }

const unknownParameter = (names: readonly string[] | undefined, known: Set<string>): boolean =>
  names !== undefined && names.some((n) => !known.has(n.toUpperCase()));

function stripBrackets(address: string): string {
  const a = address.trim();
  return a.startsWith('<') && a.endsWith('>') ? a.slice(1, -1).trim() : a;
}

/** A stable number from text (FNV-1a), for reproducible InternalIds. */
function stableId(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h * 1000 + (text.length % 1000));
}

function usersIndex(users: readonly ScenarioUser[]): Map<string, ScenarioUser> {
  const map = new Map<string, ScenarioUser>();
  for (const u of users) {
    const name = u.user.toLowerCase();
    if (!map.has(name)) map.set(name, u);
    const slash = name.lastIndexOf('\\');
    if (slash >= 0 && !map.has(name.slice(slash + 1))) map.set(name.slice(slash + 1), u);
    for (const a of u.addresses) if (!map.has(a.toLowerCase())) map.set(a.toLowerCase(), u);
  }
  return map;
}
const usersCache = new WeakMap<readonly ScenarioUser[], Map<string, ScenarioUser>>();

export class SmtpSession {
  readonly policy: PolicyIndex;
  readonly options: SessionOptions;
  readonly flavor: Flavor;
  /** Why the flavour is a default (server version missing or unknown), else null. */
  readonly flavorNote: string | null;
  readonly serverInfo: ExchangeServer | undefined;
  private selectionValue: Selection | null = null;
  private listeningValue = false;
  private conflictValue: RoleConflict | null = null;
  private remote: string;
  private greeted = false;
  private tls: boolean;
  private startTlsIssued = false;
  private authUser: ScenarioUser | null = null;
  private mailFrom: string | null = null;
  private accepted: string[] = [];
  private inData = false;
  private closedValue = false;
  private logonFailures = 0;
  private protocolErrors = 0;
  private readonly limitState: LimitState;

  constructor(policy: PolicyIndex, options: SessionOptions) {
    this.policy = policy;
    this.options = options;
    this.serverInfo = serverOf(policy, options.server);
    const info = this.serverInfo;
    let fromVersion = flavorCache.get(info ?? options.server);
    if (fromVersion === undefined) {
      fromVersion = flavorWithNote(info);
      flavorCache.set(info ?? options.server, fromVersion);
    }
    this.flavor = options.flavor ?? fromVersion.flavor;
    this.flavorNote = options.flavor === undefined ? fromVersion.note : null;
    this.tls = options.implicitTls === true;
    this.limitState = options.limitState ?? new LimitState();
    this.remote = options.remoteAddress;
    this.select(options.remoteAddress);
  }

  private select(remoteAddress: string): void {
    const endpoint = { server: this.options.server, port: this.options.port, localAddress: this.options.localAddress ?? null };
    this.remote = remoteAddress;
    this.rightsCache = null;
    this.selectionValue = selectConnectorDetailed(this.policy, endpoint, remoteAddress);
    this.listeningValue = this.selectionValue !== null || isListening(this.policy, endpoint, remoteAddress);
    // §4.4 rule 2: a port that both transport services bind answers 421 4.3.2 whoever connects.
    this.conflictValue = roleConflictAt(this.policy, this.options.server, this.options.port, remoteAddress, this.options.localAddress ?? null);
    if (this.conflictValue !== null) { this.selectionValue = null; this.listeningValue = true; }
  }

  /** The role conflict that makes this port answer 421 4.3.2 (§4.4 rule 2), or null. */
  get roleConflict(): RoleConflict | null { return this.conflictValue; }

  /** The selected connector (reference §4.2), or null: 421 4.3.2 at connect. */
  get connector(): ReceiveConnector | null { return this.selectionValue?.connector ?? null; }
  /** How the connector was selected (range, binding), for evidence. */
  get selection(): Selection | null { return this.selectionValue; }
  /** false: no enabled connector binds this port at all — the TCP connection is refused, no reply. */
  get listening(): boolean { return this.listeningValue; }
  /** The connection was closed by the server (after a 421 or the RequireTLS 451). */
  get closed(): boolean { return this.closedValue; }
  get tlsActive(): boolean { return this.tls; }
  get authenticatedAs(): string | null { return this.authUser?.user ?? null; }
  get remoteAddress(): string { return this.remote; }

  /** The principal whose rights apply now (reference §2.4 step 1). */
  get principal(): Principal {
    const c = this.connector;
    // An ExternalAuthoritative connector makes the session Externally Secured Servers from connect time.
    if (c !== null && c.authMechanism.includes('ExternalAuthoritative')) return 'externallySecured';
    return this.authUser === null ? 'anonymous' : { user: this.authUser.user };
  }

  private rightsCache: Set<string> | null = null;

  private rights(): Set<string> {
    if (this.rightsCache !== null) return this.rightsCache;
    this.rightsCache = this.computeRights();
    return this.rightsCache;
  }

  private computeRights(): Set<string> {
    const c = this.connector;
    if (c === null) return new Set();
    const who = this.principal;
    if (!this.policy.knows(c)) return allowedRights(this.policy, c, who);
    const key = typeof who === 'object' ? `user:${who.user.toLowerCase()}` : who;
    const memo = this.policy.memoMap(c);
    let set = memo.get(key) as Set<string> | undefined;
    if (set === undefined) { set = allowedRights(this.policy, c, who); memo.set(key, set); }
    return set;
  }

  private has(right: string): boolean { return this.rights().has(right); }

  private get fqdn(): string {
    return this.connector?.fqdn ?? this.serverInfo?.fqdn ?? this.options.server;
  }

  private refused(): Reply {
    this.closedValue = true;
    return COMMON_REPLIES.serviceNotAvailable;
  }

  private resetTransaction(): void {
    this.mailFrom = null;
    this.accepted = [];
    this.inData = false;
    this.bdatBytes = 0;
  }

  /** 220 banner, or `421 4.3.2 Service not available` when no connector matches (§6.1). */
  connect(): Reply {
    const c = this.connector;
    if (c === null) return this.refused();
    const now = this.options.now ?? EPOCH;
    const time = now.getTime();
    // One banner per connector and time (replay runs millions of sessions with one clock).
    const memo = this.policy.memoMap(c);
    const fqdn = this.fqdn;
    const cached = memo.get('banner') as { time: number; fqdn: string; reply: Reply } | undefined;
    if (cached !== undefined && cached.time === time && cached.fqdn === fqdn) return cached.reply;
    const reply = bannerReply(fqdn, c.banner, now);
    memo.set('banner', { time, fqdn, reply });
    return reply;
  }

  /** XCLIENT: the connector is selected again for the new address; the session starts over. */
  reselect(remoteAddress: string): Reply {
    this.select(remoteAddress);
    this.greeted = false;
    this.authUser = null;
    this.rightsCache = null;
    this.closedValue = false;
    this.resetTransaction();
    return this.connect();
  }

  /** AUTH mechanisms offered now (reference §3.3). PLAIN is never offered. */
  authMechanisms(): string[] {
    const c = this.connector;
    if (c === null) return [];
    const memo = this.policy.memoMap(c);
    const key = this.tls ? 'auth-tls' : 'auth';
    let list = memo.get(key) as string[] | undefined;
    if (list === undefined) { list = buildAuthMechanisms(c, this.tls); memo.set(key, list); }
    return list;
  }

  /** EHLO extensions in Exchange's order (reference §6.2). */
  extensions(): string[] {
    const c = this.connector;
    if (c === null) return [];
    if (!this.policy.knows(c)) return this.buildExtensions(c);
    const memo = this.policy.memoMap(c);
    const key = EHLO_KEYS[this.flavor][this.tls ? 1 : 0];
    let list = memo.get(key) as string[] | undefined;
    if (list === undefined) { list = this.buildExtensions(c); memo.set(key, list); }
    return list;
  }

  private buildExtensions(c: ReceiveConnector): string[] {
    const auth = c.authMechanism;
    const x: string[] = [];
    const size = (extraString(c.extra, 'SizeEnabled') ?? 'Enabled').trim().toLowerCase();
    if (size === 'enabled') x.push(c.maxMessageSize === null ? 'SIZE' : `SIZE ${c.maxMessageSize}`);
    else if (size === 'enabledwithoutvalue') x.push('SIZE');
    if (extraBool(c.extra, 'PipeliningEnabled', true)) x.push('PIPELINING');
    if (extraBool(c.extra, 'DeliveryStatusNotificationEnabled', true)) x.push('DSN');
    if (extraBool(c.extra, 'EnhancedStatusCodesEnabled', true)) x.push('ENHANCEDSTATUSCODES');
    // A usable certificate is assumed: every Exchange server has setup's self-signed one.
    if (auth.includes('Tls') && !this.tls) x.push('STARTTLS');
    if (auth.includes('ExchangeServer') && !this.tls && !extraBool(c.extra, 'SuppressXAnonymousTls', false)) x.push('X-ANONYMOUSTLS');
    const mechs = this.authMechanisms();
    if (mechs.length > 0) x.push(`AUTH ${mechs.join(' ')}`);
    if (auth.includes('ExchangeServer')) x.push('X-EXPS GSSAPI NTLM');
    if (extraBool(c.extra, 'EightBitMimeEnabled', true)) x.push('8BITMIME');
    if (extraBool(c.extra, 'BinaryMimeEnabled', true)) x.push('BINARYMIME');
    if (extraBool(c.extra, 'ChunkingEnabled', true)) x.push('CHUNKING');
    const hub = c.transportRole !== 'FrontendTransport';
    if (hub) x.push('XEXCH50');
    if (FLAVOR_REPLIES[this.flavor].advertisesSmtpUtf8 && extraBool(c.extra, 'SmtpUtf8Enabled', false)) x.push('SMTPUTF8');
    if (extraBool(c.extra, 'LongAddressesEnabled', false)) x.push('XLONGADDR');
    if (extraBool(c.extra, 'OrarEnabled', false)) x.push('XORAR');
    if (auth.includes('ExchangeServer') && c.transportRole === 'FrontendTransport') x.push('XRDST');
    return x;
  }

  /** EHLO (extended) or HELO: `250 <fqdn> Hello [<client-ip>]` and the extensions (§6.2). */
  ehlo(helo: string, extended: boolean): EhloResult {
    if (this.connector === null) return { reply: this.refused(), extensions: [] };
    const trimmed = helo.trim();
    if (trimmed === '' || /\s/.test(trimmed)) return { reply: COMMON_REPLIES.invalidDomainName, extensions: [] };
    this.greeted = true;
    this.resetTransaction();
    const reply: Reply = { code: 250, enhanced: null, text: `${this.fqdn} Hello [${this.remote}]` };
    return { reply, extensions: extended ? this.extensions() : [] };
  }

  /** STARTTLS: `220 2.0.0 SMTP server ready`; the client must EHLO again (§6.3). */
  startTls(): Reply {
    const c = this.connector;
    if (c === null) return this.refused();
    if (this.tls || this.startTlsIssued) return COMMON_REPLIES.secondStartTls;
    if (!c.authMechanism.includes('Tls')) return UNCONFIRMED_REPLIES.startTlsNotOffered;
    if (!this.greeted) return COMMON_REPLIES.sendHelloFirst;
    this.startTlsIssued = true;
    this.greeted = false;
    this.resetTransaction();
    return COMMON_REPLIES.startTlsReady;
  }

  /** The TLS handshake after `220 2.0.0` completed. */
  tlsEstablished(): void {
    this.tls = true;
  }

  /**
   * AUTH with the account's credentials (the 334 exchange of LOGIN is the client's business).
   * 235 2.7.0, 504 5.7.4 for a mechanism not offered now (LOGIN before TLS with
   * BasicAuthRequireTLS, PLAIN), 535 5.7.3 for bad credentials or an account without Submit.
   */
  auth(mechanism: string, user: string | null, password: string | null): Reply {
    const c = this.connector;
    if (c === null) return this.refused();
    if (!this.greeted) return COMMON_REPLIES.sendHelloFirst;
    if (this.authUser !== null) return COMMON_REPLIES.authAlreadySpecified;
    if (this.mailFrom !== null) return COMMON_REPLIES.badSequence;
    if (!this.authMechanisms().includes(mechanism.trim().toUpperCase())) return COMMON_REPLIES.unrecognizedAuthType;
    // Only LOGIN can be checked against the users file. NTLM and GSSAPI stay advertised where
    // Exchange advertises them and get Exchange's transient-failure reply (§6.5), so a client
    // falls back to LOGIN instead of giving up — the same answer in replay and on the wire.
    if (mechanism.trim().toUpperCase() !== 'LOGIN') return COMMON_REPLIES.temporaryAuthFailure;
    if (user === null || password === null) return COMMON_REPLIES.authUnsuccessful;
    let index = usersCache.get(this.options.users);
    if (index === undefined) { index = usersIndex(this.options.users); usersCache.set(this.options.users, index); }
    const account = index.get(user.trim().toLowerCase());
    if (account === undefined || account.password !== password) return this.logonFailed();
    this.authUser = account;
    this.rightsCache = null;
    // §6.5: an account that lacks Submit on this connector fails AUTH with the same 535.
    if (!this.has(SMTP_SUBMIT)) {
      this.authUser = null;
      this.rightsCache = null;
      return this.logonFailed();
    }
    return COMMON_REPLIES.authSuccessful;
  }

  /**
   * A failed logon: 535 5.7.3, or once MaxLogonFailures failures are reached, Exchange's
   * `421 4.7.0 Too many errors…` and the connection closes (§6.4a). 0 never closes.
   * UNSURE(reference): whether the failure that reaches the limit is answered 421 itself or
   * one more 535 is allowed is not documented; we answer the limit-th failure with the 421.
   */
  private logonFailed(): Reply {
    this.logonFailures++;
    const max = this.connector === null ? undefined : connectorLimits(this.connector).maxLogonFailures;
    if (enforced(max) && max > 0 && this.logonFailures >= max) { this.closedValue = true; return COMMON_REPLIES.tooManyErrors; }
    return COMMON_REPLIES.authUnsuccessful;
  }

  /**
   * The transport is about to send `reply`: a protocol error counts against MaxProtocolErrors
   * (§6.4a), and the error that reaches the connector's value is replaced by `421 4.7.0 Too many
   * errors…` (the connection closes). The transport calls this for every reply, its own parser's
   * included, so the connector's value decides, not the library's.
   * UNSURE(reference): Exchange documents only the unknown verb (`500`) as a protocol error, so
   * only 500 counts. Counting syntax (501) and sequence (503) errors too closed nmap's
   * smtp-open-relay probe after five address forms, which scanners do not report of Exchange.
   */
  protocolReply(reply: Reply): Reply {
    if (reply.code !== 500) return reply;
    this.protocolErrors++;
    const max = this.connector === null ? undefined : connectorLimits(this.connector).maxProtocolErrors;
    if (enforced(max) && max > 0 && this.protocolErrors >= max) { this.closedValue = true; return COMMON_REPLIES.tooManyErrors; }
    return reply;
  }

  /**
   * Admission against MaxInboundConnection and MaxInboundConnectionPerSource (§6.4a, §6.5),
   * given the connections this connector already serves (in total and from this client's
   * address): null when admitted, else the 421 4.3.2 that closes the connection.
   */
  admit(openOnConnector: number, openFromSource: number): Reply | null {
    const c = this.connector;
    if (c === null) return null;
    const limits = connectorLimits(c);
    if (enforced(limits.maxInboundConnection) && openOnConnector >= limits.maxInboundConnection) {
      this.closedValue = true;
      return COMMON_REPLIES.tooManyConnections;
    }
    if (enforced(limits.maxInboundConnectionPerSource) && openFromSource >= limits.maxInboundConnectionPerSource) {
      this.closedValue = true;
      return UNCONFIRMED_REPLIES.perSourceLimit;
    }
    return null;
  }

  /** MessageRateLimit keys of this session (§6.4a): per client address, per authenticated user, or both. */
  private rateKeys(): string[] {
    const c = this.connector;
    if (c === null) return [];
    const { messageRateLimit, messageRateSource } = connectorLimits(c);
    if (!enforced(messageRateLimit)) return [];
    const keys: string[] = [];
    if (messageRateSource === 'IPAddress' || messageRateSource === 'All') keys.push(`${c.identity}\nip\n${this.remote}`);
    // UNSURE(reference): with source User, anonymous sessions are assumed not to be limited.
    if ((messageRateSource === 'User' || messageRateSource === 'All') && this.authUser !== null) keys.push(`${c.identity}\nuser\n${this.authUser.user.toLowerCase()}`);
    return keys;
  }

  private nowMs(): number {
    return this.options.clock?.() ?? (this.options.now ?? EPOCH).getTime();
  }

  private rateExceeded(): boolean {
    const c = this.connector;
    if (c === null) return false;
    const limit = connectorLimits(c).messageRateLimit;
    if (!enforced(limit)) return false;
    const now = this.nowMs();
    return this.rateKeys().some((key) => this.limitState.recent(key, now) >= limit);
  }

  /** MAIL FROM in the order of reference §6.4. The sender is not checked against permissions here. */
  mail(from: string, params: MailParameters = {}): Reply {
    const c = this.connector;
    if (c === null) return this.refused();
    if (!this.greeted) return COMMON_REPLIES.sendHelloFirst;
    if (this.mailFrom !== null) return COMMON_REPLIES.senderAlreadySpecified;
    const address = stripBrackets(from);
    if (address !== '' && !ADDRESS_RE.test(address)) return COMMON_REPLIES.invalidSenderAddress;
    if (unknownParameter(params.names, MAIL_PARAMETERS)) return COMMON_REPLIES.unrecognizedParameter;
    if (params.body !== undefined && !['7BIT', '8BITMIME', 'BINARYMIME'].includes(params.body.toUpperCase())) return COMMON_REPLIES.invalidArguments;
    if (params.size !== undefined && (!Number.isInteger(params.size) || params.size < 0)) return COMMON_REPLIES.invalidArguments;
    if (c.requireTLS && !this.tls) {
      this.closedValue = true;
      return COMMON_REPLIES.startTlsRequired;
    }
    if (!this.has(SMTP_SUBMIT)) {
      return this.authUser === null ? FLAVOR_REPLIES[this.flavor].anonymousNotAuthenticated : COMMON_REPLIES.submitDeniedAuthenticated;
    }
    if (params.size !== undefined && this.overSize(params.size)) return COMMON_REPLIES.messageTooBig;
    if (this.rateExceeded()) { this.closedValue = true; return COMMON_REPLIES.messageRateExceeded; }
    this.mailFrom = address;
    this.accepted = [];
    return COMMON_REPLIES.senderOk;
  }

  private bypassesLimits(): boolean {
    return this.has(BYPASS_MESSAGE_SIZE_LIMIT) || this.has(ACCEPT_HEADERS_ORGANIZATION);
  }

  /** Whether `bytes` of message would exceed MaxMessageSize for this session (the transport asks before reading a BDAT chunk). */
  exceedsMessageSize(bytes: number): boolean { return this.overSize(bytes); }

  private overSize(size: number): boolean {
    const max = this.connector?.maxMessageSize ?? null;
    return max !== null && size > max && !this.bypassesLimits();
  }

  /** RCPT TO (§6.4): too many recipients is checked before the relay check. */
  rcpt(to: string, params: RcptParameters = {}): Reply {
    const c = this.connector;
    if (c === null) return this.refused();
    if (this.mailFrom === null) return COMMON_REPLIES.needMail;
    const address = stripBrackets(to);
    if (!ADDRESS_RE.test(address)) return COMMON_REPLIES.invalidRecipientAddress;
    if (unknownParameter(params.names, RCPT_PARAMETERS)) return COMMON_REPLIES.unrecognizedParameter;
    const max = c.maxRecipientsPerMessage;
    if (max !== null && this.accepted.length + 1 > max && !this.has(BYPASS_MESSAGE_SIZE_LIMIT)) return COMMON_REPLIES.tooManyRecipients;
    if (!this.has(ACCEPT_ANY_RECIPIENT) && !isAcceptedDomain(this.policy, domainOfAddress(address))) return FLAVOR_REPLIES[this.flavor].relayDenied;
    this.accepted.push(address);
    return COMMON_REPLIES.recipientOk;
  }

  /** Recipients accepted in the current transaction. */
  get acceptedRecipients(): readonly string[] { return this.accepted; }

  private transactionReady(): Reply | null {
    if (this.mailFrom === null) return COMMON_REPLIES.needMail;
    if (this.accepted.length === 0) return COMMON_REPLIES.needRcpt;
    return null;
  }

  /** DATA: 354, or 503 without MAIL / RCPT (§6.4). */
  data(): Reply {
    if (this.connector === null) return this.refused();
    const refusal = this.transactionReady();
    if (refusal !== null) return refusal;
    this.inData = true;
    return COMMON_REPLIES.startMailInput;
  }

  /**
   * BDAT (CHUNKING): the checks of DATA, then for the LAST chunk the end-of-message decision.
   * UNSURE(reference): the reply to a non-last chunk is not in the reference; we answer
   * `250 2.0.0 <n> bytes received`.
   */
  bdat(chunkSize: number, last: boolean, messageId: string, content: MessageContent = {}): Reply {
    if (this.connector === null) return this.refused();
    const refusal = this.transactionReady();
    if (refusal !== null) return refusal;
    this.inData = true;
    this.bdatBytes += chunkSize;
    // A chunk is counted against MaxMessageSize as it arrives, not only at LAST (§6.4a).
    if (this.overSize(this.bdatBytes)) {
      this.bdatBytes = 0;
      this.resetTransaction();
      return COMMON_REPLIES.messageTooBig;
    }
    if (!last) return { code: 250, enhanced: '2.0.0', text: `${chunkSize} bytes received` };
    const total = this.bdatBytes;
    this.bdatBytes = 0;
    return this.message(total, messageId, content.queuedId, content);
  }
  private bdatBytes = 0;

  /**
   * End of message (§6.4 DATA 2): size limit, bare linefeeds where the connector rejects them,
   * then the sender (send-as) check on hub and 2010 connectors — 2013+ Front End connectors do
   * not enforce it (§6.4 DATA 3) — then
   * `250 2.6.0 <id> [InternalId=…, Hostname=…] Queued mail for delivery`.
   */
  message(sizeBytes: number, messageId: string, queuedId?: string, content: MessageContent = {}): Reply {
    if (this.connector === null) return this.refused();
    if (!this.inData) return this.transactionReady() ?? COMMON_REPLIES.badSequence;
    const c = this.connector;
    const from = this.mailFrom ?? '';
    const limits = connectorLimits(c);
    if (content.headerBytes !== undefined && enforced(limits.maxHeaderSize) && content.headerBytes > limits.maxHeaderSize && !this.bypassesLimits()) {
      this.resetTransaction();
      return COMMON_REPLIES.headerTooBig;
    }
    if (this.overSize(sizeBytes)) { this.resetTransaction(); return COMMON_REPLIES.messageTooBig; }
    // UNSURE(reference): counted are the Received: headers the client sent (not the one this
    // server adds), rejected when there are more than MaxHopCount.
    if (content.receivedHeaders !== undefined && enforced(limits.maxHopCount) && content.receivedHeaders > limits.maxHopCount) {
      this.resetTransaction();
      return COMMON_REPLIES.hopCountExceeded;
    }
    // UNSURE(reference): BareLinefeedRejectionEnabled came with a late service pack and its
    // place among the end-of-message checks is not documented; we check it after the size.
    if (content.bareLinefeeds === true && extraBool(c.extra, 'BareLinefeedRejectionEnabled', false)) {
      this.resetTransaction();
      return COMMON_REPLIES.bareLinefeeds;
    }
    // Hub and 2010 connectors check the sender themselves; a 2013+ Front End connector checks
    // nobody, but proxies an authenticated session to the hub connector, which checks it with
    // the account's rights there (§6.4 DATA 3).
    const checkedOn = c.transportRole !== 'FrontendTransport' ? c : this.authUser !== null ? this.proxiedHubConnector() : null;
    if (checkedOn !== null) {
      for (const raw of [from, content.headerFrom ?? '']) {
        const sender = stripBrackets(raw);
        if (sender === '') continue;
        const denied = this.sendAsDenied(checkedOn, sender);
        if (denied !== null) { this.resetTransaction(); return denied; }
      }
    }
    const hostname = this.serverInfo?.fqdn ?? c.fqdn ?? this.options.server;
    this.resetTransaction();
    const now = this.nowMs();
    for (const key of this.rateKeys()) this.limitState.record(key, now);
    return queuedReply(this.flavor, messageId, queuedId ?? stableId(messageId), hostname);
  }

  /**
   * The hub connector an authenticated Front End session is proxied to (§6.4 DATA 3): Client
   * Frontend (587) → Client Proxy (465), Default Frontend (25) → the hub Default (2525). The
   * proxy connects from the Front End server itself, so the hub selects for the server's
   * address. null when the export has no hub connector that would take it (then nothing is
   * concluded: no hub rule is applied).
   * UNSURE(reference): for custom Front End connectors the reference names no target; we use
   * 465 for connectors on port 587 and 2525 for every other port, as for the built-ins.
   */
  private proxiedHubConnector(): ReceiveConnector | null {
    const c = this.connector;
    if (c === null || c.transportRole !== 'FrontendTransport') return null;
    const memo = this.policy.memoMap(c);
    const cached = memo.get('proxied-hub') as ReceiveConnector | null | undefined;
    if (cached !== undefined) return cached;
    const hubPort = this.options.port === 587 ? 465 : 2525;
    const from = this.serverInfo?.ipAddresses[0] ?? '127.0.0.1';
    const hub = selectConnector(this.policy, { server: this.options.server, port: hubPort, localAddress: null }, from);
    const found = hub !== null && hub.transportRole === 'HubTransport' ? hub : null;
    memo.set('proxied-hub', found);
    return found;
  }

  /**
   * The sender rule of hub/2010 connectors (§6.4), on `on`: an anonymous session needs
   * Accept-Authoritative-Domain-Sender for an internal sender domain and Accept-Any-Sender for
   * another. An authenticated account may send as its own addresses (its Send-As: the users
   * file's `addresses`), and as anyone when it holds Accept-Any-Sender on that connector (the
   * documented way to let a service account send as other addresses, granted on the hub
   * connector — Client Proxy or Default), or Accept-Authoritative-Domain-Sender for an
   * internal domain.
   */
  private sendAsDenied(on: ReceiveConnector, sender: string): Reply | null {
    const internal = isInternalDomain(this.policy, domainOfAddress(sender));
    const replies = FLAVOR_REPLIES[this.flavor];
    if (this.authUser === null) {
      const rights = on === this.connector ? this.rights() : allowedRights(this.policy, on, this.principal);
      return rights.has(internal ? ACCEPT_AUTHORITATIVE_DOMAIN_SENDER : ACCEPT_ANY_SENDER) ? null : replies.anonymousSendAsDenied;
    }
    if (this.authUser.addresses.some((a) => a.toLowerCase() === sender.toLowerCase())) return null;
    const rights = on === this.connector ? this.rights() : this.rightsOn(on);
    if (rights.has(ACCEPT_ANY_SENDER) || (internal && rights.has(ACCEPT_AUTHORITATIVE_DOMAIN_SENDER))) return null;
    return replies.sendAsDenied;
  }

  /** The session principal's rights on another connector (the proxied hub), memoised like rights(). */
  private rightsOn(connector: ReceiveConnector): Set<string> {
    const who = this.principal;
    const key = typeof who === 'object' ? `user:${who.user.toLowerCase()}` : who;
    const memo = this.policy.memoMap(connector);
    let set = memo.get(key) as Set<string> | undefined;
    if (set === undefined) { set = allowedRights(this.policy, connector, who); memo.set(key, set); }
    return set;
  }

  rset(): Reply { this.resetTransaction(); return COMMON_REPLIES.resetting; }
  noop(): Reply { return COMMON_REPLIES.noop; }
  quit(): Reply { this.closedValue = true; return COMMON_REPLIES.quit; }
}

function buildAuthMechanisms(c: ReceiveConnector, tls: boolean): string[] {
  const auth = c.authMechanism;
  const out: string[] = [];
  if (auth.includes('Integrated') && extraBool(c.extra, 'EnableAuthGSSAPI', false)) out.push('GSSAPI');
  if (auth.includes('Integrated')) out.push('NTLM');
  if (auth.includes('BasicAuth') && (!auth.includes('BasicAuthRequireTLS') || tls)) out.push('LOGIN');
  return out;
}

export interface MessageContent {
  /** The address of the From: header, when the message has one (checked with MAIL FROM on hub connectors). */
  headerFrom?: string | null;
  queuedId?: string;
  /**
   * The message as received holds a line feed without its carriage return. Only a transport
   * knows (replay sends scenario text with CRLF line ends, so it never sets this).
   */
  bareLinefeeds?: boolean;
  /** Bytes of the header section (up to the empty line), for MaxHeaderSize. */
  headerBytes?: number;
  /** Received: headers the client's message carries, for MaxHopCount. */
  receivedHeaders?: number;
}

/** Header facts of a message text (CRLF or LF line ends) for {@link MessageContent}. */
export function headerFacts(text: string): { headerBytes: number; receivedHeaders: number } {
  const m = /\r?\n\r?\n/.exec(text);
  const head = m === null ? text : text.slice(0, m.index);
  let receivedHeaders = 0;
  for (const line of head.split(/\r?\n/)) if (/^received:/i.test(line)) receivedHeaders++;
  return { headerBytes: Buffer.byteLength(head.replace(/\r?\n/g, '\r\n')), receivedHeaders };
}

/** Two enabled connectors of different transport roles bound to overlapping sockets (§4.4 rule 2). */
export interface RoleConflict {
  port: number;
  frontend: ReceiveConnector;
  hub: ReceiveConnector;
  /** `0.0.0.0`, `::` or a single address: the socket the two services both want. */
  frontendAddress: string;
  hubAddress: string;
}

const isWildcard = (address: string): boolean => address === '0.0.0.0' || address === '::';
const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

/**
 * Every role conflict of a server's enabled connectors (§4.4 rule 2): a FrontendTransport and a
 * HubTransport connector whose bindings overlap (same address and port, or the same port and
 * family with one side the wildcard). Exchange 2010 connectors have no role and never conflict.
 * Each conflict is also reported once in the policy's problems (replay prints them).
 */
export function roleConflicts(policy: PolicyIndex, server: string): RoleConflict[] {
  return policy.memo(`role-conflicts:${server.toLowerCase()}`, () => {
    const connectors = connectorsOf(policy, server).filter((c) => c.enabled);
    const frontends = connectors.filter((c) => c.transportRole === 'FrontendTransport');
    const hubs = connectors.filter((c) => c.transportRole === 'HubTransport');
    const out: RoleConflict[] = [];
    for (const frontend of frontends) {
      for (const hub of hubs) {
        for (const fb of frontend.bindings) {
          for (const hb of hub.bindings) {
            if (fb.port !== hb.port || familyOf(fb.address) !== familyOf(hb.address)) continue;
            if (fb.address !== hb.address && !isWildcard(fb.address) && !isWildcard(hb.address)) continue;
            out.push({ port: fb.port, frontend, hub, frontendAddress: fb.address, hubAddress: hb.address });
          }
        }
      }
    }
    const seen = new Set<string>();
    for (const c of out) {
      const text = roleConflictWarning(c);
      if (!seen.has(text)) { seen.add(text); policy.problems.push(text); }
    }
    return out;
  });
}

/** The warning for a role conflict, naming both connectors. */
export function roleConflictWarning(c: RoleConflict): string {
  return `port ${c.port} of server ${c.frontend.server}: the Front End connector "${c.frontend.identity}" and the hub (HubTransport) `
    + `connector "${c.hub.identity}" both bind it; one of the two transport services cannot listen there, so the port answers `
    + '"421 4.3.2 Service not available" (move the hub connector to another port, e.g. 2525, or make it FrontendTransport)';
}

/** The conflict that decides a session on (port, client family, local address), or null. */
function roleConflictAt(policy: PolicyIndex, server: string, port: number, remoteAddress: string, localAddress: string | null): RoleConflict | null {
  const conflicts = roleConflicts(policy, server);
  if (conflicts.length === 0) return null;
  const family = familyOf(remoteAddress.replace(/^::ffff:(?=\d+\.)/i, ''));
  for (const c of conflicts) {
    if (c.port !== port || familyOf(c.frontendAddress) !== family) continue;
    if (localAddress === null || isWildcard(localAddress)) return c;
    const reaches = (a: string): boolean => isWildcard(a) || a === localAddress;
    if (reaches(c.frontendAddress) || reaches(c.hubAddress)) return c;
  }
  return null;
}
