// One SMTP session as Exchange runs it (reference §6): a state machine whose every step is a
// pure decision returning Exchange's reply. Replay drives it directly; the sandbox drives the
// same object from smtp-server's hooks, so what the wire says is what replay says.
import type { ExchangeServer, ReceiveConnector, Reply, ScenarioUser } from '../model.js';
import { domainOfAddress, isAcceptedDomain, isInternalDomain } from './accepted-domains.js';
import { extraBool, extraString } from './extra.js';
import { type PolicyIndex, type Selection, isListening, selectConnectorDetailed, serverOf } from './index.js';
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
}

export interface EhloResult { reply: Reply; extensions: string[] }

const EPOCH = new Date(0);
// Flavour per server object (or per unknown server name): the version regex runs once.
const flavorCache = new Map<ExchangeServer | string, { flavor: Flavor; note: string | null }>();
const EHLO_KEYS: Record<Flavor, [string, string]> = {
  '2010': ['ehlo:2010', 'ehlo-tls:2010'], '2013': ['ehlo:2013', 'ehlo-tls:2013'],
  '2016': ['ehlo:2016', 'ehlo-tls:2016'], '2019': ['ehlo:2019', 'ehlo-tls:2019'],
};
const ADDRESS_RE = /^[^\s<>@]+@[^\s<>@]+$/;

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
  private remote: string;
  private greeted = false;
  private tls: boolean;
  private startTlsIssued = false;
  private authUser: ScenarioUser | null = null;
  private mailFrom: string | null = null;
  private accepted: string[] = [];
  private inData = false;
  private closedValue = false;

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
    this.remote = options.remoteAddress;
    this.select(options.remoteAddress);
  }

  private select(remoteAddress: string): void {
    const endpoint = { server: this.options.server, port: this.options.port, localAddress: this.options.localAddress ?? null };
    this.remote = remoteAddress;
    this.rightsCache = null;
    this.selectionValue = selectConnectorDetailed(this.policy, endpoint, remoteAddress);
    this.listeningValue = this.selectionValue !== null || isListening(this.policy, endpoint, remoteAddress);
  }

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
    if (account === undefined || account.password !== password) return COMMON_REPLIES.authUnsuccessful;
    this.authUser = account;
    this.rightsCache = null;
    // §6.5: an account that lacks Submit on this connector fails AUTH with the same 535.
    if (!this.has(SMTP_SUBMIT)) {
      this.authUser = null;
      this.rightsCache = null;
      return COMMON_REPLIES.authUnsuccessful;
    }
    return COMMON_REPLIES.authSuccessful;
  }

  /** MAIL FROM in the order of reference §6.4. The sender is not checked against permissions here. */
  mail(from: string, params: { size?: number; body?: string } = {}): Reply {
    const c = this.connector;
    if (c === null) return this.refused();
    if (!this.greeted) return COMMON_REPLIES.sendHelloFirst;
    if (this.mailFrom !== null) return COMMON_REPLIES.senderAlreadySpecified;
    const address = stripBrackets(from);
    if (address !== '' && !ADDRESS_RE.test(address)) return COMMON_REPLIES.invalidSenderAddress;
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
    this.mailFrom = address;
    this.accepted = [];
    return COMMON_REPLIES.senderOk;
  }

  private bypassesLimits(): boolean {
    return this.has(BYPASS_MESSAGE_SIZE_LIMIT) || this.has(ACCEPT_HEADERS_ORGANIZATION);
  }

  private overSize(size: number): boolean {
    const max = this.connector?.maxMessageSize ?? null;
    return max !== null && size > max && !this.bypassesLimits();
  }

  /** RCPT TO (§6.4): too many recipients is checked before the relay check. */
  rcpt(to: string): Reply {
    const c = this.connector;
    if (c === null) return this.refused();
    if (this.mailFrom === null) return COMMON_REPLIES.needMail;
    const address = stripBrackets(to);
    if (!ADDRESS_RE.test(address)) return COMMON_REPLIES.invalidRecipientAddress;
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
    if (this.overSize(sizeBytes)) { this.resetTransaction(); return COMMON_REPLIES.messageTooBig; }
    // UNSURE(reference): BareLinefeedRejectionEnabled came with a late service pack and its
    // place among the end-of-message checks is not documented; we check it after the size.
    if (content.bareLinefeeds === true && extraBool(c.extra, 'BareLinefeedRejectionEnabled', false)) {
      this.resetTransaction();
      return COMMON_REPLIES.bareLinefeeds;
    }
    if (c.transportRole !== 'FrontendTransport') {
      for (const raw of [from, content.headerFrom ?? '']) {
        const sender = stripBrackets(raw);
        if (sender === '') continue;
        const denied = this.sendAsDenied(sender);
        if (denied !== null) { this.resetTransaction(); return denied; }
      }
    }
    const hostname = this.serverInfo?.fqdn ?? c.fqdn ?? this.options.server;
    this.resetTransaction();
    return queuedReply(this.flavor, messageId, queuedId ?? stableId(messageId), hostname);
  }

  /**
   * The sender rule of hub/2010 connectors (§6.4): an internal sender domain needs
   * Accept-Authoritative-Domain-Sender, another domain Accept-Any-Sender. An authenticated
   * account may always send as its own addresses (its Send-As; the scenario's `addresses`).
   */
  private sendAsDenied(sender: string): Reply | null {
    if (this.authUser !== null && this.authUser.addresses.some((a) => a.toLowerCase() === sender.toLowerCase())) return null;
    const internal = isInternalDomain(this.policy, domainOfAddress(sender));
    if (this.has(internal ? ACCEPT_AUTHORITATIVE_DOMAIN_SENDER : ACCEPT_ANY_SENDER)) return null;
    const replies = FLAVOR_REPLIES[this.flavor];
    return this.authUser === null ? replies.anonymousSendAsDenied : replies.sendAsDenied;
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
}
