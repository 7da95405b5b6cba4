// The sandbox: listeners for every binding port of one server, smtp-server's machinery per
// listener, and the hooks that hand each step to the connection (connection.ts), which asks
// the policy engine. No code path here or below opens an outbound connection: no delivery, no
// DNS (reverse lookups are off), nothing but the listening sockets.
import type net from 'node:net';
import type { SecureContext } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { parseTlsCertificateName } from '../certificates.js';
import { UsageError } from '../errors.js';
import type { ReceiveConnector, ScenarioUser, Snapshot } from '../model.js';
import { buildPolicy, connectorsOf, portsOf, serverNames, serverOf, type PolicyIndex } from '../policy/index.js';
import { LimitState } from '../policy/limits.js';
import { flavorOf } from '../policy/replies.js';
import { roleConflicts, roleConflictWarning } from '../policy/session.js';
import { allowedRights, isExternallySecured } from '../policy/rights.js';
import { CaptureStore } from './capture.js';
import { isTrustedPeer } from './client-address.js';
import { connectionAddressText } from '../net/index.js';
import { ExchangeConnection, type LinkInfo, type SandboxContext } from './connection.js';
import type { DialogueFactory, Flavor } from './dialogue.js';
import { policyDialogues } from './engine.js';
import { bindListeners, closeListeners, planListeners, type BoundListener, type ListenerPlan } from './listeners.js';
import { buildNumber } from './message.js';
import { ProtocolLog, sessionPermissionNames } from './protocol-log.js';
import { readProxyHeader } from './proxy-protocol.js';
import { CertificateStore, subjectAttributes, type CertificateLikeness, type PemPair, type TlsVersion } from './tls.js';

export interface SandboxOptions {
  snapshot: Snapshot;
  server: string;
  host: string;
  /** Listen port for an Exchange port (CLI: port + offset; tests: 0). */
  portFor: (exchangePort: number) => number;
  clientIp: string | null;
  /** `--local-address`: the server address clients are taken to have reached (bound connectors). */
  localAddress?: string | null;
  xclient: boolean;
  proxyProtocol: boolean;
  trustProxy: readonly string[];
  users: readonly ScenarioUser[];
  captureDir: string;
  /** `--capture-sync`: each message survives a power loss before its 250 (default: written and renamed, survives a crash). */
  captureSync?: boolean;
  protocolLogDir: string | null;
  flavor: Flavor | null;
  tarpit: boolean;
  certificate: PemPair | null;
  /** Highest TLS version offered (default TLS 1.2, as Exchange on Windows). */
  tlsMax?: TlsVersion;
  /** The generated certificate also takes the expiry of the imported one the connector names. */
  tlsLikeSource?: boolean;
  /** How long a trusted client may take to send its PROXY header (default 500 ms). */
  proxyGraceMs?: number;
  /** Engine sessions; default the policy engine's SmtpSession. */
  dialogues?: DialogueFactory;
}

export interface Sandbox {
  readonly serverName: string;
  readonly listeners: readonly ListenerPlan[];
  readonly captureDir: string;
  /** Messages a killed earlier run left unfinished (never acknowledged), removed on start. */
  readonly unfinishedRemoved: number;
  /** Open connections now (for tests). */
  readonly connectionCount: number;
  /** What the operator should know before trusting the answers (printed at start). */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

/** Connector and server facts a sandbox needs, checked before anything listens. */
function resolveServer(policy: PolicyIndex, name: string): { name: string; ports: number[]; connectors: ReceiveConnector[] } {
  const known = serverNames(policy);
  const hit = known.find((n) => n.toLowerCase() === name.toLowerCase());
  if (hit === undefined) {
    throw new UsageError(`unknown server "${name}"${known.length === 0 ? ' (the inputs name no server)' : ` (known: ${known.join(', ')})`}`);
  }
  const ports = portsOf(policy, hit);
  if (ports.length === 0) throw new UsageError(`server "${hit}" has no enabled receive connector with a binding: nothing to listen on`);
  return { name: hit, ports, connectors: connectorsOf(policy, hit) };
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const policy = buildPolicy(options.snapshot);
  const target = resolveServer(policy, options.server);
  const info = serverOf(policy, target.name);
  const flavor = options.flavor ?? flavorOf(info);
  const localAddress = options.localAddress === undefined || options.localAddress === null ? null : connectionAddressText(options.localAddress);
  const warnings: string[] = [...new Set(roleConflicts(policy, target.name).map(roleConflictWarning))];
  warnings.push(...integratedAuthWarnings(target.connectors));
  warnings.push(...unreachableBindings(target.connectors, localAddress, options.xclient || options.proxyProtocol));
  const serverFqdn = info?.fqdn ?? target.connectors.find((c) => c.fqdn !== null)?.fqdn ?? target.name;
  const certificates = new CertificateStore(options.certificate, options.tlsMax ?? 'TLSv1.2');
  const log = options.protocolLogDir === null ? null : new ProtocolLog(options.protocolLogDir, flavor === '2010' ? '14.0.0.0' : '15.0.0.0');
  let capture: CaptureStore;
  try {
    capture = await CaptureStore.open(options.captureDir, { sync: options.captureSync === true });
  } catch (error) {
    await log?.close();
    throw error;
  }
  const dialogues = options.dialogues ?? policyDialogues(policy);
  const users = [...options.users];
  const connections = new Map<string, ExchangeConnection>();
  const inFlight = new Set<Promise<unknown>>();
  const limitState = new LimitState();
  const openByConnector = new Map<ReceiveConnector, number>();
  const openBySource = new Map<string, number>();
  const bump = <K>(map: Map<K, number>, key: K, by: number): void => {
    const n = (map.get(key) ?? 0) + by;
    if (n <= 0) map.delete(key); else map.set(key, n);
  };
  const sockets = new Set<net.Socket>();
  let closing = false;

  const ctx: SandboxContext = {
    serverName: target.name,
    serverFqdn,
    serverAddress: info?.ipAddresses[0] ?? null,
    build: buildNumber(info?.version),
    xclient: options.xclient,
    clientIp: options.clientIp === null ? null : connectionAddressText(options.clientIp),
    localAddress,
    tarpit: options.tarpit,
    capture,
    log,
    newDialogue: (port, remoteAddress, local) => dialogues({
      server: target.name, port, localAddress: local, remoteAddress, users, now: new Date(), limitState, clock: Date.now,
      ...(options.flavor === null ? {} : { flavor: options.flavor }),
    }),
    contextFor: (connector): Promise<SecureContext> => certificates.contextFor(connector?.fqdn ?? serverFqdn,
      likenessOf(options.snapshot, target.name, connector, options.tlsLikeSource === true)),
    permissionNames: (connector, user) => sessionPermissionNames(allowedRights(policy, connector,
      isExternallySecured(connector) ? 'externallySecured' : user === null ? 'anonymous' : { user })),
    register: (c) => { connections.set(c.id, c); },
    unregister: (c) => { connections.delete(c.id); },
    occupy: (connector, address) => {
      const sourceKey = `${connector.identity}\n${address}`;
      const before = { onConnector: openByConnector.get(connector) ?? 0, fromSource: openBySource.get(sourceKey) ?? 0 };
      bump(openByConnector, connector, 1);
      bump(openBySource, sourceKey, 1);
      let released = false;
      return {
        ...before,
        release: () => {
          if (released) return;
          released = true;
          bump(openByConnector, connector, -1);
          bump(openBySource, sourceKey, -1);
        },
      };
    },
    track: (work) => {
      inFlight.add(work);
      const done = (): void => { inFlight.delete(work); };
      work.then(done, done);
    },
  };

  const find = (id: string): ExchangeConnection | undefined => connections.get(id);
  const smtpServers = new Map<number, SMTPServer>();
  for (const port of target.ports) {
    const smtp = new SMTPServer({
      logger: false,
      // Reverse DNS would be an outbound query; Exchange does not need it to answer either.
      disableReverseLookup: true,
      authOptional: true,
      // Verbs Exchange does not have are unknown, as on Exchange (500 5.3.3).
      disabledCommands: ['XFORWARD', 'WIZ', 'SHELL', 'KILL'],
      hideENHANCEDSTATUSCODES: true,
      // No key/cert here: STARTTLS always gets the connector's context (see connection.ts), and
      // with logger:false smtp-server does not warn about its built-in one.
      // Exchange's ConnectionInactivityTimeout default (5 minutes).
      socketTimeout: 5 * 60 * 1000,
      onConnect: (session, callback) => {
        const c = find(session.id);
        if (c === undefined) { callback(); return; }
        c.handleConnect(callback);
      },
      onSecure: (socket, session, callback) => { find(session.id)?.handleSecure(socket); callback(); },
      onMailFrom: (address, session, callback) => {
        const c = find(session.id);
        if (c === undefined) { callback(new Error('no session')); return; }
        c.handleMailFrom(address, callback);
      },
      onRcptTo: (address, session, callback) => {
        const c = find(session.id);
        if (c === undefined) { callback(new Error('no session')); return; }
        c.handleRcptTo(address, callback);
      },
      onData: (stream, session, callback) => {
        const c = find(session.id);
        if (c === undefined) { stream.resume(); stream.on('end', () => callback(new Error('no session'))); return; }
        c.handleData(stream, callback);
      },
      onClose: (session) => { find(session.id)?.handleClose(); },
    });
    // Connection-level errors (a client resetting mid-message) are the client's business.
    smtp.on('error', () => undefined);
    // smtp-server picks the connector's certificate through upgrade()'s default context, and
    // its SNI lookup would replace it by the default again: keep the connection's choice.
    smtp._resolveSNI = (_servername, cb) => { cb(null); };
    smtpServers.set(port, smtp);
  }

  const graceMs = options.proxyGraceMs ?? 500;
  const accept = (socket: net.Socket, plan: ListenerPlan): void => {
    for (const old of sockets) if (old.destroyed) sockets.delete(old);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (closing) { socket.destroy(); return; }
    const smtp = smtpServers.get(plan.exchangePort);
    if (smtp === undefined) { socket.destroy(); return; }
    const peer = connectionAddressText(socket.remoteAddress ?? '');
    const trusted = isTrustedPeer(peer, options.trustProxy);
    const link: LinkInfo = {
      exchangePort: plan.exchangePort, peer, peerPort: socket.remotePort ?? 0, trusted, proxySource: null, proxyDestination: null,
      localAddress: connectionAddressText(socket.localAddress ?? plan.host), localPort: socket.localPort ?? plan.port,
    };
    const begin = (): void => {
      const connection = new ExchangeConnection(smtp, socket, { remoteAddress: link.proxySource ?? peer, remotePort: link.peerPort }, ctx, link);
      smtp.connections.add(connection);
      connection.on('error', () => undefined);
      connection.init();
    };
    if (!(options.proxyProtocol && trusted)) { begin(); return; }
    void readProxyHeader(socket, graceMs).then((read) => {
      if (read.status === 'invalid') {
        socket.end('421 4.3.2 Service not available\r\n');
        setTimeout(() => socket.destroy(), 1000).unref();
        return;
      }
      if (read.status === 'ok' && read.header.source !== null) {
        link.proxySource = read.header.source.address;
        link.peerPort = read.header.source.port;
        link.proxyDestination = read.header.destination?.address ?? null;
      }
      if (read.rest.length > 0) socket.unshift(read.rest);
      begin();
    });
  };

  const plans = planListeners(target.ports, options.host, options.portFor);
  let bound: BoundListener[];
  try {
    bound = await bindListeners(plans, target.name, accept);
  } catch (error) {
    await log?.close();
    await capture.close();
    throw error;
  }

  return {
    serverName: target.name,
    listeners: bound.map(({ exchangePort, host, port }) => ({ exchangePort, host, port })),
    captureDir: capture.dir,
    unfinishedRemoved: capture.unfinishedRemoved,
    get connectionCount() { return connections.size; },
    warnings,
    async close() {
      if (closing) return;
      closing = true;
      const stopped = closeListeners(bound);
      // A message being saved gets its 250 before the session is closed.
      await within(Promise.allSettled([...inFlight]), 5000);
      for (const c of [...connections.values()]) c.shutdown();
      for (const smtp of smtpServers.values()) for (const c of smtp.connections) if (!connections.has(c.id)) c.close();
      // STARTTLS strips the raw socket's listeners (smtp-server's upgrade), so its 'close' is
      // not seen here: "destroyed" is the test, not membership of the set.
      await waitUntil(() => [...sockets].every((socket) => socket.destroyed), 3000);
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await stopped;
      await capture.close();
      await log?.close();
    },
  };
}

// Shutdown waits use referenced timers (an unreferenced one would let the process end with
// close() still pending) and clear them as soon as the wait is over.
function within(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void work.finally(() => { clearTimeout(timer); resolve(); });
  });
}

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Connectors bound to a specific address are candidates only for clients that reached that
 * address (reference §4.2). Without `--local-address` naming it, plain clients never select
 * them: say so at start, naming each one.
 */
function unreachableBindings(connectors: readonly ReceiveConnector[], localAddress: string | null, perSession: boolean): string[] {
  const out: string[] = [];
  for (const c of connectors) {
    if (!c.enabled) continue;
    for (const b of c.bindings) {
      if (b.address === '0.0.0.0' || b.address === '::') continue;
      if (localAddress !== null && connectionAddressText(b.address) === localAddress) continue;
      const where = b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
      out.push(`connector "${c.identity}" is bound to ${where}: no client reaches it unless it is taken to have reached ${b.address} `
        + `(--local-address ${b.address}${perSession ? ', or per session XCLIENT DESTADDR / the PROXY destination' : ''})`);
    }
  }
  return out;
}

/**
 * NTLM and GSSAPI are advertised exactly where Exchange advertises them (Integrated), but the
 * sandbox has no domain to check them against: they are answered 454 4.7.0 (replay answers the
 * same), so clients fall back to LOGIN. Say so at start.
 */
function integratedAuthWarnings(connectors: readonly ReceiveConnector[]): string[] {
  const offering = connectors.filter((c) => c.enabled && c.authMechanism.includes('Integrated'));
  if (offering.length === 0) return [];
  return [`${offering.map((c) => `"${c.identity}"`).join(', ')} offer${offering.length === 1 ? 's' : ''} Integrated authentication: AUTH NTLM/GSSAPI are advertised as Exchange does, `
    + 'but the sandbox has no domain to check them against and answers them "454 4.7.0 Temporary authentication failure" (replay answers the same); clients that fall back to LOGIN are checked against --users'];
}

const dnKey = (dn: string): string => dn.toLowerCase().replace(/\s*,\s*/g, ',').replace(/\s*=\s*/g, '=').trim();

/**
 * The imported certificate the connector names in TlsCertificateName (same issuer and subject,
 * on this server or of no stated server), as a likeness for the generated certificate: its
 * subject and DNS names (and, with `--tls-like-source`, its expiry), so clients that check names
 * or pin a subject see what production presents. null when the connector names none or the
 * exports hold no such certificate.
 */
function likenessOf(snapshot: Snapshot, server: string, connector: ReceiveConnector | null, withExpiry: boolean): CertificateLikeness | null {
  const name = connector?.tlsCertificateName ?? null;
  const named = name === null ? null : parseTlsCertificateName(name);
  if (named === null) return null;
  const cert = snapshot.certificates.find((c) => (c.server === null || c.server.toLowerCase() === server.toLowerCase())
    && dnKey(c.subject) === dnKey(named.subject) && dnKey(c.issuer) === dnKey(named.issuer));
  if (cert === undefined) return null;
  const subject = subjectAttributes(cert.subject);
  if (subject.length === 0) return null;
  const notAfter = withExpiry ? new Date(cert.notAfter) : null;
  return { subject, dnsNames: [...cert.dnsNames], notAfter: notAfter !== null && !Number.isNaN(notAfter.getTime()) ? notAfter : null };
}
