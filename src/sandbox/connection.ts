// One sandbox SMTP connection: smtp-server's SMTPConnection with Exchange's dialogue.
// smtp-server keeps doing what it is good at (socket life, command parsing, pipelining,
// STARTTLS, dot-unstuffing, XCLIENT parsing); every decision and every reply text comes from
// the policy engine's session (Dialogue). The hooks (onConnect, onMailFrom, onRcptTo, onData,
// onSecure, onClose; wired in server.ts) call into this class; commands that smtp-server gives
// no hook for (EHLO/HELO, STARTTLS, AUTH, BDAT, HELP) are handlers here. Every line written
// goes through `send`, where the reply seam (replies.ts) puts Exchange's texts on the wire,
// the tarpit queue delays error replies, and the protocol log records it.
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPServer, SMTPServerAddress, SMTPServerDataStream } from 'smtp-server';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import type { ReceiveConnector, Reply } from '../model.js';
import type { CaptureStore, CaptureWriter } from './capture.js';
import type { AddressOrigin } from './client-address.js';
import { effectiveClientAddress } from './client-address.js';
import { connectionAddressText, formatBinding } from '../net/index.js';
import { UNCONFIRMED_REPLIES } from '../policy/replies.js';
import { parseAddressCommand } from './address-command.js';
import type { Dialogue, MailParameters, MessageContent } from './dialogue.js';
import { HeaderScan, findHeaderFrom, findMessageId, formatTimeSpan, receivedHeader, timeSpanMs } from './message.js';
import { LogSession, type ProtocolLog } from './protocol-log.js';
import { ReplySeam, replyText, toSmtpError, type WireReply } from './replies.js';

/** What the whole sandbox shares with each connection (built by server.ts). */
export interface SandboxContext {
  serverName: string;
  serverFqdn: string;
  serverAddress: string | null;
  build: string | null;
  xclient: boolean;
  clientIp: string | null;
  /** `--local-address`: the server address clients are taken to have reached (null: unknown). */
  localAddress: string | null;
  tarpit: boolean;
  capture: CaptureStore;
  log: ProtocolLog | null;
  /** A fresh engine session for an Exchange port, the address the client is seen as and the server address it reached (null: unknown). */
  newDialogue(port: number, remoteAddress: string, localAddress: string | null): Dialogue;
  contextFor(connector: ReceiveConnector | null): Promise<SecureContext>;
  /** Exchange's Permission flag names for the log's `Set Session Permissions` record. */
  permissionNames(connector: ReceiveConnector, user: string | null): string;
  register(connection: ExchangeConnection): void;
  unregister(connection: ExchangeConnection): void;
  /** Commits in flight, so shutdown lets a message that is being saved get its 250. */
  track(work: Promise<unknown>): void;
  /**
   * Counts this connection against its connector (MaxInboundConnection) and client address
   * (MaxInboundConnectionPerSource); returns how many were open before it and a release.
   */
  occupy(connector: ReceiveConnector, address: string): { onConnector: number; fromSource: number; release: () => void };
}

/** How the socket reached the sandbox (from listeners.ts / server.ts). */
export interface LinkInfo {
  exchangePort: number;
  peer: string;
  peerPort: number;
  trusted: boolean;
  proxySource: string | null;
  /** The PROXY header's destination address (the server address the client reached), when trusted. */
  proxyDestination: string | null;
  localAddress: string;
  localPort: number;
}

type Callback = () => void;
interface QueuedReply { wire: WireReply; closeAfter: boolean }

/** Default TarpitInterval of a receive connector (reference §6.5). */
export const DEFAULT_TARPIT_MS = 5000;

/** Replies after which Exchange closes the connection itself. */
export function closesConnection(reply: { code: number; lines: readonly string[] }): boolean {
  if (reply.code === 421) return true;
  const first = reply.lines[0] ?? '';
  return reply.code === 451 && (first.startsWith('5.7.3 ') || first.startsWith('4.7.0 Timeout'));
}

/** smtp-server's parser plus BDAT: a chunk of exactly N raw bytes, no dot-unstuffing. */
export class ExchangeStream extends SMTPStream {
  private chunkRemaining = -1;

  startChunkMode(size: number): SMTPServerDataStream {
    const stream = this.startDataMode(null);
    this.chunkRemaining = size;
    this._atDataStart = false;
    return stream;
  }

  override _feedDataStream(chunk: Buffer, done: (err?: Error | null) => void): void {
    if (this.chunkRemaining < 0) { super._feedDataStream(chunk, done); return; }
    const take = Math.min(chunk.length, this.chunkRemaining);
    const part = chunk.subarray(0, take);
    const rest = chunk.subarray(take);
    this.chunkRemaining -= take;
    this._countDataBytes(take);
    if (this.chunkRemaining > 0) {
      const stream = this._dataStream;
      if (stream !== null && stream.writable && part.length > 0 && !stream.write(part)) { stream.once('drain', () => done()); return; }
      done();
      return;
    }
    this.chunkRemaining = -1;
    this._endDataMode(part.length > 0 ? part : false, rest, done);
  }
}

/** Bytes of a message's start held back before writing, to see its header section whole. */
const HEAD_WINDOW = 65536;

interface BdatTransfer { writer: CaptureWriter | null; prefixed: boolean; head: Buffer[]; headBytes: number; error: Reply | null; total: number; started: Date; linefeeds: BareLinefeedScan; headers: HeaderScan }

/** Finds a line feed not preceded by a carriage return, across the chunks of one message. */
export class BareLinefeedScan {
  found = false;
  private lastByte = -1;

  scan(chunk: Buffer): void {
    if (this.found || chunk.length === 0) return;
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) {
      const before = at === 0 ? this.lastByte : chunk[at - 1];
      if (before !== 0x0d) { this.found = true; return; }
    }
    this.lastByte = chunk[chunk.length - 1] ?? -1;
  }
}

export class ExchangeConnection extends SMTPConnection {
  readonly seam = new ReplySeam();
  readonly link: LinkInfo;
  private readonly ctx: SandboxContext;
  private dialogue: Dialogue | null = null;
  /** Trusted client whose own address selects no connector: greeted neutrally, may send XCLIENT. */
  private neutral = false;
  private xclientAddress: string | null = null;
  private xclientDestination: string | null = null;
  private inXclient = false;
  private authUser: string | null = null;
  private authMechanism: string | null = null;
  private advertisedAuth: string[] = [];
  private helo: string | null = null;
  private tlsInfo: { protocol: string | null; cipher: string | null } | null = null;
  private queue: QueuedReply[] | null = null;
  private closeAfterFlush = false;
  private readonly flushWaiters: Callback[] = [];
  private logSession: LogSession | null = null;
  private bdat: BdatTransfer | null = null;
  private disconnectLogged = false;
  private closedByServer = false;
  private releaseSlot: (() => void) | null = null;

  constructor(server: SMTPServer, socket: Socket | TLSSocket, options: SMTPConnectionOptions, ctx: SandboxContext, link: LinkInfo) {
    super(server, socket, options);
    this.ctx = ctx;
    this.link = link;
    this.name = ctx.serverFqdn;
    ctx.register(this);
    if (ctx.log !== null) {
      this.logSession = new LogSession(ctx.log, '', '', formatBinding({ address: link.peer, port: link.peerPort }));
      this.logSession.local = this.logLocalEndpoint();
    }
  }

  /**
   * smtp-server holds every greeting back 100 ms to catch clients that talk first; Exchange
   * greets at once, and a device that talks first is answered like any other command.
   */
  override init(): void {
    this._setListeners(() => this.connectionReady());
  }

  get connector(): ReceiveConnector | null { return this.dialogue?.connector ?? null; }

  /**
   * The server address the client reached, as Exchange would see it (contract): XCLIENT
   * DESTADDR, the PROXY destination, `--local-address`; null when unknown (then only
   * wildcard-bound connectors are candidates, as in replay without `localAddress`).
   */
  get exchangeLocalAddress(): string | null {
    return this.xclientDestination ?? this.link.proxyDestination ?? this.ctx.localAddress;
  }

  /**
   * The protocol log's local endpoint: Exchange's own port (not the sandbox's) and the local
   * address used — unknown is written as the wildcard of the client's family, which replay
   * reads as "an address no connector binds specifically", exactly what the sandbox used.
   */
  private logLocalEndpoint(): string {
    const family6 = this.effective.address.includes(':');
    return formatBinding({ address: this.exchangeLocalAddress ?? (family6 ? '::' : '0.0.0.0'), port: this.link.exchangePort });
  }

  get effective(): { address: string; origin: AddressOrigin } {
    return effectiveClientAddress({ xclient: this.xclientAddress, proxy: this.link.proxySource, clientIp: this.ctx.clientIp, peer: this.link.peer });
  }

  override _createParser(): SMTPStream {
    const parser = new ExchangeStream({ maxCommandLength: this._server.options.maxCommandLength });
    parser.oncommand = (command, callback) => this._onCommand(command, callback);
    // The library's parser stops for good after an over-long line: Exchange's syntax reply
    // (with its enhanced code), then the connection closes.
    parser.on('error', (err: Error) => {
      if (/too long/i.test(err.message)) {
        this.writeNow({ wire: { code: 500, lines: [replyText(UNCONFIRMED_REPLIES.commandTooLong)] }, closeAfter: true });
        return;
      }
      this.send(421, `Error: ${err.message}`);
    });
    return parser;
  }

  // ---- writing: seam, tarpit, log -------------------------------------------------------

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    let wire = this.seam.rewrite(code, data, context);
    // The connector's MaxProtocolErrors decides when errors close the session, not the
    // library's own count of unknown verbs (10).
    if (code === 500) this._unrecognizedCommands = 0;
    const dialogue = this.dialogue;
    if (dialogue?.protocolReply !== undefined && dialogue.connector !== null && !this.neutral) {
      const first = wire.lines[0] ?? '';
      const m = /^(\d\.\d{1,3}\.\d{1,3}) (.*)$/.exec(first);
      const judged = dialogue.protocolReply({ code: wire.code, enhanced: m === null ? null : (m[1] ?? null), text: m === null ? first : (m[2] ?? '') });
      if (judged.code !== wire.code) { wire = { code: judged.code, lines: [replyText(judged)] }; code = judged.code; }
    }
    // The library closes after any 421 it sends; a translated reply keeps that intent.
    const entry: QueuedReply = { wire, closeAfter: code === 421 || closesConnection(wire) || (wire.code >= 400 && this.dialogue?.closed === true) };
    if (this.queue !== null) { this.queue.push(entry); return; }
    const delay = this.tarpitDelay(wire);
    if (delay > 0) {
      this.logSession?.record('*', `Tarpit for '${formatTimeSpan(delay)}'`);
      this.queue = [entry];
      const timer = setTimeout(() => this.flush(), delay);
      timer.unref();
      return;
    }
    this.writeNow(entry);
  }

  private tarpitDelay(wire: WireReply): number {
    const connector = this.connector;
    if (!this.ctx.tarpit || connector === null || wire.code < 400 || wire.code === 421) return 0;
    const extra = connector.extra ?? {};
    const auth = wire.code === 535 || wire.code === 504;
    const raw = auth && extra.AuthTarpitInterval !== undefined ? extra.AuthTarpitInterval : extra.TarpitInterval;
    return timeSpanOrDefault(raw);
  }

  private writeNow(entry: QueuedReply): void {
    const { wire } = entry;
    // AUTH prompts are logged as Exchange logs them, without the exchange's content.
    if (wire.code === 334) this.logSession?.record('>', '334 <authentication response>');
    else this.logSession?.reply(wire.code, wire.lines);
    // A message's final 250 goes out only once the session's records are in the file.
    if (wire.code === 250 && (wire.lines[0] ?? '').startsWith('2.6.0 ')) this.ctx.log?.flush();
    const payload = wire.lines.length === 1 ? (wire.lines[0] ?? '') : wire.lines;
    if (entry.closeAfter) this.closedByServer = true;
    super.send(wire.code, payload, false); // closes by itself on 421
    if (entry.closeAfter && wire.code !== 421) this.close();
  }

  private flush(): void {
    const queued = this.queue ?? [];
    this.queue = null;
    for (const entry of queued) this.writeNow(entry);
    if (this.closeAfterFlush) { this.closeAfterFlush = false; this.close(); }
    for (const waiter of this.flushWaiters.splice(0)) waiter();
  }

  private afterFlush(fn: Callback): void {
    if (this.queue === null) fn(); else this.flushWaiters.push(fn);
  }

  override close(): void {
    if (this.queue !== null) { this.closeAfterFlush = true; return; }
    this.closedByServer = true;
    super.close();
  }

  private sendReply(reply: Reply): void {
    this.send(reply.code, replyText(reply), false);
  }

  // ---- reading: log what the client says ---------------------------------------------------

  override _onCommand(command: Buffer, callback?: () => void): void {
    if (this.logSession !== null && !this._upgrading) {
      // Credentials never reach the log: continuation lines of AUTH are not recorded, and
      // an initial response after the mechanism is cut off (Exchange logs `334 <authentication response>`).
      if (this._nextHandler === false) {
        const line = command.toString('latin1');
        const verb = line.split(' ')[0]?.toUpperCase();
        this.logSession.record('<', verb === 'AUTH' ? line.split(' ').slice(0, 2).join(' ') : line);
      }
    }
    super._onCommand(command, callback);
  }

  // ---- connect and greeting ---------------------------------------------------------------

  /** onConnect hook: select the connector for the effective address. */
  handleConnect(callback: (err?: Error | null) => void): void {
    const address = this.effective.address;
    const dialogue = this.ctx.newDialogue(this.link.exchangePort, address, this.exchangeLocalAddress);
    const reply = dialogue.connect();
    if (reply.code === 220) {
      this.dialogue = dialogue;
      this.logConnector();
      const refusal = this.occupySlot();
      if (refusal !== null) {
        this.writeNow({ wire: { code: refusal.code, lines: [replyText(refusal)] }, closeAfter: true });
        callback(Object.assign(new Error('refused'), { responseCode: 0 }));
        return;
      }
      callback();
      return;
    }
    if (this.mayUseXclient()) {
      // Contract: a trusted client is never refused before it can send XCLIENT.
      this.neutral = true;
      this.logSession?.record('+');
      callback();
      return;
    }
    this.logSession?.record('+');
    if (dialogue.listening === false) {
      // Nothing would listen for this client on Exchange (e.g. an IPv6 client of an IPv4-only
      // binding): the connection is dropped without a word, as a refused TCP connection would be.
      this.closedByServer = true;
      this._socket.destroy();
    } else {
      this.writeNow({ wire: { code: reply.code, lines: [replyText(reply)] }, closeAfter: true });
    }
    callback(Object.assign(new Error('refused'), { responseCode: 0 }));
  }

  /** MaxInboundConnection / MaxInboundConnectionPerSource: this connection's place, or the 421 that refuses it. */
  private occupySlot(): Reply | null {
    this.releaseSlot?.();
    this.releaseSlot = null;
    const dialogue = this.dialogue;
    const connector = this.connector;
    if (dialogue === null || connector === null) return null;
    const slot = this.ctx.occupy(connector, this.effective.address);
    this.releaseSlot = slot.release;
    const refusal = dialogue.admit?.(slot.onConnector, slot.fromSource) ?? null;
    if (refusal !== null) { slot.release(); this.releaseSlot = null; }
    return refusal;
  }

  private logConnector(): void {
    const session = this.logSession;
    const connector = this.connector;
    if (session === null) return;
    session.connector = connector?.identity ?? '';
    session.record('+');
    if (connector !== null) session.record('*', this.ctx.permissionNames(connector, this.authUser), 'Set Session Permissions');
  }

  override _refuse(): void {
    // handleConnect already wrote Exchange's refusal (421 4.3.2) and asked for the close.
  }

  override _sendGreeting(): void {
    if (this.inXclient) { this.greetAfterXclient(); return; }
    if (this.neutral) {
      this.writeNow({ wire: { code: 220, lines: [this.neutralGreeting()] }, closeAfter: false });
      return;
    }
    const dialogue = this.dialogue;
    if (dialogue === null) return;
    this.sendReply(dialogue.connect());
  }

  private neutralGreeting(): string {
    return `${this.ctx.serverFqdn} exrelay sandbox for ${this.ctx.serverName} port ${this.link.exchangePort}: no connector takes [${this.effective.address}]; send XCLIENT ADDR=<address>`;
  }

  private mayUseXclient(): boolean {
    return this.ctx.xclient && this.link.trusted && this.xclientAddress === null;
  }

  override _proxyCommandAllowed(command: string): boolean {
    return command === 'XCLIENT' && this.mayUseXclient();
  }

  override handler_XCLIENT(command: Buffer, callback: Callback): void {
    if (!this.mayUseXclient()) { this.send(500, 'Error: command not recognized'); callback(); return; }
    // DESTADDR (Postfix's XCLIENT attribute for the server address) is the sandbox's to read:
    // it picks connectors bound to that address. The library knows only the client attributes.
    const words = command.toString('latin1').trim().split(/\s+/);
    const kept: string[] = [];
    let destination: string | null = null;
    for (const word of words) {
      const m = /^DESTADDR=(.*)$/i.exec(word);
      if (m === null) { kept.push(word); continue; }
      const value = connectionAddressText((m[1] ?? '').replace(/^IPV6:/i, ''));
      if (!/^[0-9a-f.:]+$/i.test(value) || (!value.includes('.') && !value.includes(':'))) { this.send(501, '5.5.4 Invalid arguments', false); callback(); return; }
      destination = value;
    }
    if (destination !== null) this.xclientDestination = destination;
    this.inXclient = true;
    super.handler_XCLIENT(Buffer.from(kept.length > 1 ? kept.join(' ') : `${kept[0] ?? 'XCLIENT'} NAME=[TEMPUNAVAIL]`, 'latin1'), () => { this.inXclient = false; callback(); });
  }

  /** XCLIENT ADDR re-selects the connector: the new connector's banner, or 421 4.3.2. */
  private greetAfterXclient(): void {
    const addr = this._xClient.get('ADDR');
    if (typeof addr === 'string' && addr !== '') this.xclientAddress = connectionAddressText(addr);
    else if (this.neutral) {
      // XCLIENT without ADDR (NAME, HELO...) says nothing about whom to select for.
      this.writeNow({ wire: { code: 220, lines: [this.neutralGreeting()] }, closeAfter: false });
      return;
    }
    this.authUser = null;
    this.helo = null;
    const address = this.effective.address;

    // A new dialogue: the local address may have changed too (DESTADDR).
    const dialogue = this.ctx.newDialogue(this.link.exchangePort, address, this.exchangeLocalAddress);
    const reply = dialogue.connect();
    this.dialogue = dialogue;
    this.neutral = false;
    if (this.logSession !== null) {
      this.logSession.connector = this.connector?.identity ?? '';
      this.logSession.local = this.logLocalEndpoint();
      this.logSession.record('*', `XCLIENT ADDR=${address}`, 'Remote address changed');
      const connector = this.connector;
      if (reply.code === 220 && connector !== null) this.logSession.record('*', this.ctx.permissionNames(connector, null), 'Set Session Permissions');
    }
    const refusal = reply.code === 220 ? this.occupySlot() : null;
    this.sendReply(refusal ?? reply);
    if (reply.code !== 220 || refusal !== null) this.dialogue = null;
  }

  // ---- EHLO / HELO ---------------------------------------------------------------------------

  override handler_EHLO(command: Buffer, callback: Callback): void { this.hello(command, true, callback); }
  override handler_HELO(command: Buffer, callback: Callback): void { this.hello(command, false, callback); }

  private hello(command: Buffer, extended: boolean, callback: Callback): void {
    const parts = command.toString('latin1').trim().split(/\s+/);
    const hostname = parts[1] ?? '';
    // Reference §6.5: a bad EHLO argument is `501 5.5.4 Invalid domain name` (the engine's rule
    // for a missing or spaced argument); control characters and over-long names are refused
    // here too, before they can reach a Received header or the log.
    if (parts.length !== 2 || [...hostname].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) || hostname.length > 255) {
      this.send(501, '5.5.4 Invalid domain name', false);
      callback();
      return;
    }
    this.openingCommand = extended ? 'EHLO' : 'HELO';
    if (this.neutral || this.dialogue === null) {
      this.hostNameAppearsAs = hostname.toLowerCase();
      this._resetSession();
      const first = `${this.ctx.serverFqdn} Hello [${this.effective.address}]`;
      this.send(250, extended ? [first, 'XCLIENT NAME ADDR PORT PROTO HELO LOGIN'] : first, false);
      callback();
      return;
    }
    const { reply, extensions } = this.dialogue.ehlo(hostname, extended);
    if (reply.code !== 250) { this.sendReply(reply); callback(); return; }
    this.helo = hostname;
    this.hostNameAppearsAs = hostname.toLowerCase();
    this._resetSession();
    this.resetTransfer();
    const lines = [replyText(reply), ...(extended ? extensions : [])];
    if (extended && this.mayUseXclient()) lines.push('XCLIENT NAME ADDR PORT PROTO HELO LOGIN');
    this.advertisedAuth = extended ? (extensions.find((e) => /^AUTH /i.test(e)) ?? '').split(/\s+/).slice(1).map((m) => m.toUpperCase()) : [];
    this.send(250, lines.length === 1 ? (lines[0] ?? '') : lines, false);
    callback();
  }

  // ---- STARTTLS ---------------------------------------------------------------------------

  override handler_STARTTLS(command: Buffer, callback: Callback): void {
    if (this.neutral || this.dialogue === null) { this.send(500, 'Error: command not recognized'); callback(); return; }
    if (command.toString('latin1').trim().split(/\s+/).length > 1) { this.send(501, '5.5.4 Invalid arguments', false); callback(); return; }
    const reply = this.dialogue.startTls();
    if (reply.code !== 220) { this.sendReply(reply); callback(); return; }
    const fail = (): void => { this.sendReply({ code: 454, enhanced: '4.7.0', text: 'TLS not available due to temporary reason' }); callback(); };
    // The 220 goes out only once the certificate is ready: the client starts its handshake
    // right after it, and the upgrade must take over the socket in that same turn.
    this.ctx.contextFor(this.connector).then((context) => {
      this.sendReply(reply);
      this.afterFlush(() => {
        // smtp-server builds the TLS socket from the server's default context inside
        // upgrade(); the connector's certificate is put there for that one synchronous call.
        const contexts = this._server.secureContext;
        const previous = contexts.get('*');
        contexts.set('*', context);
        try { this.upgrade(callback); } finally { if (previous !== undefined) contexts.set('*', previous); }
      });
    }, fail);
  }

  /** onSecure hook (after STARTTLS): the session must EHLO again (RFC 3207). */
  handleSecure(socket: Socket | TLSSocket): void {
    const tlsSocket = socket as TLSSocket;
    const cipher = typeof tlsSocket.getCipher === 'function' ? tlsSocket.getCipher() : null;
    const protocol = typeof tlsSocket.getProtocol === 'function' ? tlsSocket.getProtocol() : null;
    this.tlsInfo = { protocol, cipher: cipher?.standardName ?? cipher?.name ?? null };
    this.authUser = null;
    this.helo = null;
    this.dialogue?.tlsEstablished();
    this.logSession?.record('*', '', `TLS protocol ${protocol ?? 'unknown'} negotiation succeeded using ${this.tlsInfo.cipher ?? 'unknown'}`);
  }

  // ---- AUTH -------------------------------------------------------------------------------

  override handler_AUTH(command: Buffer, callback: Callback): void {
    const args = command.toString('latin1').trim().split(/\s+/);
    const mechanism = (args[1] ?? '').toUpperCase();
    const dialogue = this.dialogue;
    if (this.neutral || dialogue === null) { this.send(503, 'Error: send HELO/EHLO first'); callback(); return; }
    if (mechanism === '') { this.send(501, '5.5.4 Invalid arguments', false); callback(); return; }
    // The engine judges the command before any credentials: sequence (503), mechanism not
    // offered now (504). Only "535, no credentials" means the exchange may go on.
    const opening = dialogue.auth(mechanism, null, null);
    // NTLM/GSSAPI come back as the engine's 454 here, exactly as replay answers them.
    if (opening.code !== 535) { this.authFailed(opening, mechanism); callback(); return; }
    const initial = args[2];
    if (initial !== undefined) { this.authUsername(initial, callback); return; }
    this._nextHandler = (line, next) => this.authUsername(line.toString('latin1'), next);
    this.send(334, 'VXNlcm5hbWU6', false);
    callback();
  }

  private authUsername(encoded: string, callback: Callback): void {
    if (encoded.trim() === '*') { this.send(501, '5.0.0 Authentication canceled', false); callback(); return; }
    const user = Buffer.from(encoded.trim(), 'base64').toString('utf8');
    this._nextHandler = (line, next) => this.authPassword(user, line.toString('latin1'), next);
    this.send(334, 'UGFzc3dvcmQ6', false);
    callback();
  }

  private authPassword(user: string, encoded: string, callback: Callback): void {
    if (encoded.trim() === '*') { this.send(501, '5.0.0 Authentication canceled', false); callback(); return; }
    const password = Buffer.from(encoded.trim(), 'base64').toString('utf8');
    const dialogue = this.dialogue;
    if (dialogue === null) { callback(); return; }
    const reply = dialogue.auth('LOGIN', user, password);
    if (reply.code === 235) {
      this.authUser = dialogue.authenticatedAs ?? user;
      this.authMechanism = 'LOGIN';
      this.session.user = this.authUser;
      const connector = this.connector;
      if (this.logSession !== null && connector !== null) {
        this.logSession.record('*', this.ctx.permissionNames(connector, this.authUser), 'Set Session Permissions');
        this.logSession.record('*', this.authUser, 'authenticated');
      }
      this.sendReply(reply);
    } else {
      this.authFailed(reply, 'LOGIN');
    }
    callback();
  }

  private authFailed(reply: Reply, mechanism: string): void {
    if (reply.code === 535) this.logSession?.record('*', '', `Inbound AUTH ${mechanism} failed because of LogonDenied`);
    this.sendReply(reply);
  }

  // ---- MAIL / RCPT (hooks) ------------------------------------------------------------------

  /**
   * MAIL FROM / RCPT TO as Exchange reads them (reference §6.4 MAIL 2): the address with or
   * without angle brackets (`MAIL FROM: user@contoso.com`, as printers send it), a quoted local
   * part that may hold spaces or `@` (`<"john doe"@contoso.com>`), then ESMTP parameters.
   * Whether a parameter is known is the engine's decision (501 5.5.4 Unrecognized parameter).
   */
  override _parseAddressCommand(rawName: string, rawCommand: Buffer | string): ReturnType<SMTPConnection['_parseAddressCommand']> {
    const parsed = parseAddressCommand(rawName, rawCommand.toString());
    if (parsed === null) return false;
    return parsed.duplicate === null ? { address: parsed.address, args: parsed.args } : { address: parsed.address, args: parsed.args, duplicate: parsed.duplicate };
  }

  override _validateMailParams(parsed: Parameters<SMTPConnection['_validateMailParams']>[0]) {
    // Exchange advertises BINARYMIME with CHUNKING; smtp-server knows only 7BIT/8BITMIME.
    const args = parsed.args;
    if (args !== false && typeof args.BODY === 'string' && args.BODY.toUpperCase() === 'BINARYMIME') {
      const { BODY: _body, ...rest } = args;
      return super._validateMailParams({ ...parsed, args: rest });
    }
    return super._validateMailParams(parsed);
  }

  handleMailFrom(address: SMTPServerAddress, callback: (err?: Error | null) => void): void {
    const dialogue = this.dialogue;
    if (this.neutral || dialogue === null) { this.refuseNeutral(callback); return; }
    const args = address.args === false ? {} : address.args;
    const params: MailParameters = { names: Object.keys(args) };
    if (typeof args.SIZE === 'string') params.size = Number(args.SIZE);
    if (typeof args.BODY === 'string') params.body = args.BODY.toUpperCase();
    const reply = dialogue.mail(address.address, params);
    if (reply.code === 250) {
      this.logSession?.record('*', `${this.logSession.id};${new Date().toISOString()};1`, 'receiving message');
      this.seam.expect('MAIL_FROM_OK', reply);
      callback();
    } else {
      callback(toSmtpError(reply));
    }
  }

  handleRcptTo(address: SMTPServerAddress, callback: (err?: Error | null) => void): void {
    const dialogue = this.dialogue;
    if (this.neutral || dialogue === null) { this.refuseNeutral(callback); return; }
    const reply = dialogue.rcpt(address.address, { names: address.args === false ? [] : Object.keys(address.args) });
    if (reply.code === 250 || reply.code === 251) { this.seam.expect('RCPT_TO_OK', reply); callback(); } else callback(toSmtpError(reply));
  }

  /** Without XCLIENT, a neutral session is what Exchange would give this address: no service. */
  private refuseNeutral(callback: (err?: Error | null) => void): void {
    callback(Object.assign(new Error('4.3.2 Service not available'), { responseCode: 421 }));
  }

  override handler_RSET(command: Buffer, callback: Callback): void {
    this.resetTransfer();
    const dialogue = this.dialogue;
    if (dialogue === null) { super.handler_RSET(command, callback); return; }
    this._resetSession();
    this.sendReply(dialogue.rset());
    callback();
  }

  override handler_NOOP(command: Buffer, callback: Callback): void {
    const dialogue = this.dialogue;
    if (dialogue === null) { super.handler_NOOP(command, callback); return; }
    this.sendReply(dialogue.noop());
    callback();
  }

  override handler_QUIT(command: Buffer, callback: Callback): void {
    const dialogue = this.dialogue;
    if (dialogue === null) { super.handler_QUIT(command, callback); return; }
    this.sendReply(dialogue.quit());
    this.close();
    callback();
  }

  private requireDialogue(): Dialogue {
    if (this.dialogue === null) throw new Error('no connector selected for this session');
    return this.dialogue;
  }

  // ---- DATA ---------------------------------------------------------------------------------

  override handler_DATA(command: Buffer, callback: Callback): void {
    const dialogue = this.dialogue;
    if (this.neutral || dialogue === null) { this.send(503, 'Error: need MAIL command'); callback(); return; }
    if (this.bdat !== null) { this.send(503, '5.5.1 Bad sequence of commands', false); callback(); return; }
    const reply = dialogue.data();
    if (reply.code !== 354) { this.sendReply(reply); callback(); return; }
    this.seam.expect('DATA_START', reply);
    super.handler_DATA(command, callback);
  }

  /** onData hook: stream the message into the capture store, then ask the engine. */
  handleData(stream: SMTPServerDataStream, callback: (err?: Error | null, message?: string) => void): void {
    const started = new Date();
    const work = (async () => {
      const writer = this.ctx.capture.begin();
      try {
        const head: Buffer[] = [];
        let headBytes = 0;
        let prefixed = false;
        const linefeeds = new BareLinefeedScan();
        const headers = new HeaderScan();
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          linefeeds.scan(chunk);
          headers.scan(chunk);
          if (prefixed) { await writer.write(chunk); continue; }
          // The header section is held back (at most HEAD_WINDOW bytes) until it is known
          // whether the server must add a Message-ID.
          head.push(chunk);
          headBytes += chunk.length;
          if (headers.complete || headBytes >= HEAD_WINDOW) { prefixed = true; await this.writePrefix(writer, head, started); }
        }
        if (!prefixed) await this.writePrefix(writer, head, started);
        const size = stream.byteLength;
        return await this.finishMessage(writer, size, Buffer.concat(head), linefeeds.found, headers, 'DATA', started,
          (messageId, content) => this.requireDialogue().message(size, messageId, content.queuedId, content));
      } catch (error) {
        await writer.abort();
        throw error;
      }
    })();
    this.ctx.track(work);
    work.then(
      (outcome) => (outcome.ok ? callback(null, outcome.text) : callback(toSmtpError(outcome.reply))),
      () => callback(toSmtpError({ code: 451, enhanced: '4.7.0', text: 'Temporary server error. Please try again later' })),
    );
  }

  /** The Message-ID the server uses for a message whose header section has none. */
  private generatedMessageId(writer: CaptureWriter): string {
    return `<${writer.id}@${this.ctx.serverFqdn}>`;
  }

  /**
   * What the capture holds before the client's bytes: the Received header the server adds and,
   * when the client's header section has no Message-ID, the one the server makes (Exchange adds
   * one too); then the held-back header section itself.
   */
  private async writePrefix(writer: CaptureWriter, head: readonly Buffer[], started: Date): Promise<void> {
    await writer.write(this.receivedHeader(started));
    if (findMessageId(Buffer.concat(head)) === null) await writer.write(`Message-ID: ${this.generatedMessageId(writer)}\r\n`);
    for (const chunk of head) await writer.write(chunk);
  }

  /** Asks the engine for the end-of-message reply; a 250 is sent only once the capture is on disk. */
  private async finishMessage(writer: CaptureWriter, size: number, head: Buffer, bareLinefeeds: boolean, headers: HeaderScan, transfer: 'DATA' | 'BDAT', started: Date,
    decide: (messageId: string, content: MessageContent) => Reply): Promise<{ ok: true; text: string } | { ok: false; reply: Reply }> {
    const connector = this.connector;
    if (connector === null) { await writer.abort(); return { ok: false, reply: { code: 503, enhanced: '5.5.1', text: 'Bad sequence of commands' } }; }
    const messageId = findMessageId(head) ?? this.generatedMessageId(writer);
    const reply = decide(messageId, {
      headerFrom: findHeaderFrom(head), queuedId: writer.id, bareLinefeeds, headerBytes: headers.headerBytes, receivedHeaders: headers.receivedHeaders,
    });
    if (reply.code !== 250) { await writer.abort(); return { ok: false, reply }; }
    const envelope = this.session.envelope;
    const mailFrom = envelope.mailFrom === false ? '' : envelope.mailFrom.address;
    await writer.commit({
      id: writer.id,
      connector: connector.identity,
      server: this.ctx.serverName,
      port: this.link.exchangePort,
      clientAddress: this.effective.address,
      clientAddressOrigin: this.effective.origin,
      peerAddress: this.link.peer,
      helo: this.helo,
      messageId,
      authenticatedUser: this.authUser,
      tls: this.session.secure,
      mailFrom,
      rcptTo: envelope.rcptTo.map((r) => r.address),
      size,
      transfer,
      time: started.toISOString(),
      tlsProtocol: this.session.secure ? (this.tlsInfo?.protocol ?? null) : null,
      tlsCipher: this.session.secure ? (this.tlsInfo?.cipher ?? null) : null,
      authMechanism: this.authUser === null ? null : this.authMechanism,
      localEndpoint: this.logLocalEndpoint(),
      mailParameters: envelope.mailFrom === false || envelope.mailFrom.args === false ? {} : { ...envelope.mailFrom.args },
    });
    return { ok: true, text: replyText(reply) };
  }

  private receivedHeader(date: Date): string {
    const connector = this.connector;
    return receivedHeader({
      helo: this.helo,
      clientAddress: this.effective.address,
      serverFqdn: connector?.fqdn ?? this.ctx.serverFqdn,
      serverAddress: this.ctx.serverAddress ?? this.link.localAddress,
      tls: this.session.secure ? this.tlsInfo : null,
      build: this.ctx.build,
      frontend: connector?.transportRole === 'FrontendTransport',
      date,
    });
  }

  // ---- BDAT (RFC 3030) ------------------------------------------------------------------------

  handler_BDAT(command: Buffer, callback: Callback): void {
    const parts = command.toString('latin1').trim().split(/\s+/);
    const sizeText = parts[1] ?? '';
    const last = (parts[2] ?? '').toUpperCase() === 'LAST';
    if (!/^\d{1,15}$/.test(sizeText) || parts.length > 3 || (parts.length === 3 && !last)) {
      this.send(501, '5.5.4 Invalid arguments', false);
      callback();
      return;
    }
    const size = Number(sizeText);
    const parser = this._parser;
    if (parser === false || !(parser instanceof ExchangeStream)) { callback(); return; }
    if (this.bdat === null) this.bdat = { writer: null, prefixed: false, head: [], headBytes: 0, error: null, total: 0, started: new Date(), linefeeds: new BareLinefeedScan(), headers: new HeaderScan() };
    const transfer = this.bdat;
    if (size === 0) {
      // Nothing to read: the reply comes before the parser reads what was pipelined after.
      void this.afterChunk(transfer, 0, last).then(callback, callback);
      return;
    }
    // The chunk is read in full whatever the verdict, or its bytes would be taken as commands;
    // it streams into the capture as it arrives (never whole in memory). A chunk that would take
    // the message over MaxMessageSize is refused before a byte of it is kept (§6.4a).
    const stream = parser.startChunkMode(size);
    this._dataStream = stream;
    const refusal = this.dialogue?.exceedsMessageSize?.(transfer.total + size) === true;
    const resume = (): void => { if (this._parser !== false) this._parser.continue(); };
    void this.receiveChunk(transfer, stream, size, last, refusal).then(resume, resume);
    callback();
  }

  /** Streams one BDAT chunk into the message (or discards it when refused), then answers it. */
  private async receiveChunk(transfer: BdatTransfer, stream: SMTPServerDataStream, size: number, last: boolean, refused: boolean): Promise<void> {
    const dialogue = this.dialogue;
    const usable = !refused && !this.neutral && dialogue !== null;
    for await (const part of stream as AsyncIterable<Buffer>) {
      if (!usable || transfer.error !== null) continue;
      transfer.total += part.length;
      try {
        transfer.writer ??= this.ctx.capture.begin();
        transfer.linefeeds.scan(part);
        transfer.headers.scan(part);
        if (transfer.prefixed) {
          await transfer.writer.write(part);
        } else {
          transfer.head.push(part);
          transfer.headBytes += part.length;
          if (transfer.headers.complete || transfer.headBytes >= HEAD_WINDOW) {
            transfer.prefixed = true;
            await this.writePrefix(transfer.writer, transfer.head, transfer.started);
          }
        }
      } catch {
        transfer.error = { code: 451, enhanced: '4.7.0', text: 'Temporary server error. Please try again later' };
      }
    }
    this._dataStream = false;
    if (refused && dialogue !== null && !this.neutral) {
      // The engine counts the chunk against the limit and ends the transaction with its 552.
      this.bdat = null;
      await transfer.writer?.abort();
      this.sendReply(dialogue.bdat(size, last, ''));
      this._resetSession();
      return;
    }
    await this.afterChunk(transfer, size, last);
  }

  private async afterChunk(transfer: BdatTransfer, chunkSize: number, last: boolean): Promise<void> {
    const dialogue = this.dialogue;
    if (this.neutral || dialogue === null) { this.bdat = null; this.sendReply({ code: 503, enhanced: '5.5.2', text: 'Need mail command' }); return; }
    if (chunkSize === 0 && transfer.error === null) transfer.writer ??= this.ctx.capture.begin();
    if (last && transfer.error === null && transfer.writer !== null && !transfer.prefixed) {
      try {
        transfer.prefixed = true;
        await this.writePrefix(transfer.writer, transfer.head, transfer.started);
      } catch {
        transfer.error = { code: 451, enhanced: '4.7.0', text: 'Temporary server error. Please try again later' };
      }
    }
    if (!last) {
      const reply = transfer.error ?? dialogue.bdat(chunkSize, false, '');
      if (reply.code >= 400) { this.bdat = null; await transfer.writer?.abort(); }
      this.sendReply(reply);
      return;
    }
    this.bdat = null;
    const writer = transfer.writer;
    if (transfer.error !== null || writer === null) {
      await writer?.abort();
      this.sendReply(transfer.error ?? dialogue.bdat(chunkSize, true, ''));
    } else {
      const work = this.finishMessage(writer, transfer.total, Buffer.concat(transfer.head), transfer.linefeeds.found, transfer.headers, 'BDAT', transfer.started,
        (messageId, content) => dialogue.bdat(chunkSize, true, messageId, content));
      this.ctx.track(work);
      try {
        const outcome = await work;
        if (outcome.ok) this.send(250, outcome.text, false); else this.sendReply(outcome.reply);
      } catch {
        await writer.abort();
        this.sendReply({ code: 451, enhanced: '4.7.0', text: 'Temporary server error. Please try again later' });
      }
    }
    this._transactionCounter++;
    this._resetSession();
  }

  private resetTransfer(): void {
    const transfer = this.bdat;
    this.bdat = null;
    void transfer?.writer?.abort();
  }

  // ---- HELP, closing ----------------------------------------------------------------------------

  override handler_HELP(_command: Buffer, callback: Callback): void {
    this.send(214, ['This server supports the following commands:', 'HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT'], false);
    callback();
  }

  /** Shutdown: Exchange's service-stopping reply, then close. */
  shutdown(): void {
    if (this._closed || this._closing) return;
    this.send(421, '4.3.2 Service not available, closing transmission channel', false);
  }

  /** onClose hook. */
  handleClose(): void {
    this.resetTransfer();
    this.releaseSlot?.();
    this.releaseSlot = null;
    if (!this.disconnectLogged) {
      this.disconnectLogged = true;
      this.logSession?.record('-', '', this.closedByServer ? 'Local' : 'Remote');
    }
    this.ctx.unregister(this);
  }
}

function timeSpanOrDefault(raw: unknown): number {
  return raw === undefined || raw === null ? DEFAULT_TARPIT_MS : (timeSpanMs(raw) ?? DEFAULT_TARPIT_MS);
}
