// Server NAME's receive connectors as a Postfix configuration that makes the same accept/reject
// decision per client address and recipient. The policy engine partitions each port's address
// space by winning connector (reference §4.2); each interval becomes cidr entries that name a
// restriction class, and each class is the connector's effective rights in Postfix terms.
// Facts used: shared reference emitters-notes.md (Postfix section).
import type { ReceiveConnector } from '../../model.js';
import { ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT, canRelayAnonymously, connectorsOf, hasRight, isExternallySecured, portsOf, serverOf, winningIntervals, type PolicyIndex } from '../../policy/index.js';
import { formatBinding, isPublicInterval, isWildcardAddress } from '../../net/index.js';
import { UsageError } from '../../errors.js';
import { template } from '../templates.js';
import { intervalToCidrs } from './cidr.js';
import { postfixComment, postfixHostname, relayDomainKeys } from './values.js';
import { extraBool } from '../../policy/extra.js';

/** Where mail for the accepted domains goes (`--relayhost HOST[:PORT]`). */
export interface Relayhost { host: string; port: number | null }

export interface PostfixOptions {
  server: string;
  /** The next hop for the accepted domains (the new Exchange, Exchange Online); null: not given. */
  relayhost?: Relayhost | null;
  /** Address every smtpd listens on (a test instance beside production); null: all interfaces. */
  listen: string | null;
  /** Exchange port P listens on P + portOffset. */
  portOffset: number;
}

export interface PostfixFile { name: string; content: string }
export interface PostfixOutput { files: PostfixFile[]; untranslated: string[] }

/** What a client that reached a connector may do, in the terms Postfix can express. */
interface ConnectorBehaviour {
  anonymousRelay: boolean;
  anonymousSubmit: boolean;
  authenticatedRelay: boolean;
  authenticatedSubmit: boolean;
  requireTls: boolean;
}

export const NO_CONNECTOR_ACTION = '421 4.3.2 Service not available';

export function connectorBehaviour(policy: PolicyIndex, c: ReceiveConnector): ConnectorBehaviour {
  const externallySecured = isExternallySecured(c);
  // SASL in Postfix stands for Exchange's AUTH; only Basic (LOGIN) has a portable equivalent,
  // Integrated (NTLM/Kerberos) is listed as untranslated by the caller.
  const authOffered = c.authMechanism.includes('BasicAuth') || c.authMechanism.includes('Integrated');
  return {
    anonymousRelay: canRelayAnonymously(policy, c) || externallySecured,
    anonymousSubmit: externallySecured || hasRight(policy, c, 'anonymous', SMTP_SUBMIT),
    authenticatedRelay: authOffered && hasRight(policy, c, 'authenticatedUser', ACCEPT_ANY_RECIPIENT)
      && hasRight(policy, c, 'authenticatedUser', SMTP_SUBMIT),
    authenticatedSubmit: authOffered && hasRight(policy, c, 'authenticatedUser', SMTP_SUBMIT),
    requireTls: c.requireTLS,
  };
}

/** The restriction list of one behaviour; `everyDomainAccepted` when a `*` relay domain exists. */
export function restrictionsFor(b: ConnectorBehaviour, everyDomainAccepted: boolean): string[] {
  const list: string[] = [];
  if (b.requireTls) list.push('reject_plaintext_session');
  if (b.anonymousRelay) { list.push('permit'); return list; }
  if (b.authenticatedRelay) list.push('permit_sasl_authenticated');
  const acceptedOnly = everyDomainAccepted ? [] : ['reject_unauth_destination'];
  if (b.anonymousSubmit) list.push(...acceptedOnly, 'permit');
  else if (b.authenticatedSubmit && !b.authenticatedRelay) list.push(...acceptedOnly, 'permit_sasl_authenticated', 'reject');
  else list.push('reject');
  return list;
}

function className(b: ConnectorBehaviour): string {
  const parts = ['exrelay'];
  if (b.anonymousRelay) parts.push('relay_any');
  else {
    if (b.authenticatedRelay) parts.push('auth_relay');
    if (b.anonymousSubmit) parts.push('anon_accepted_domains');
    else if (b.authenticatedSubmit && !b.authenticatedRelay) parts.push('auth_accepted_domains');
    else if (!b.authenticatedRelay) parts.push('no_submit');
    else parts.push('anon_refused');
  }
  if (b.requireTls) parts.push('tls');
  return parts.join('_');
}

interface ServiceView {
  port: number;
  listenPort: number;
  listenSpec: string;
  table: string;
  connectors: string[];
  options: string[];
}

interface MainView {
  server: string;
  myhostname: string | null;
  inetInterfaces: string;
  classes: Array<{ name: string; restrictions: string }>;
  untranslated: string[];
  risks: string[];
  hasRelayDomains: boolean;
  /** cleanup's limit (bytes, 0 = none): the largest port limit plus room for the headers Postfix adds. */
  messageSizeLimit: number;
  transport: boolean;
  relayhost: string | null;
  tlsCertificateNote: string | null;
}

/**
 * Room for what Postfix adds to a message before cleanup counts it (its Received: header and
 * similar): cleanup enforces main.cf's message_size_limit on the queue file, smtpd enforces the
 * per-port limit on what the client sends. Without it a message exactly at the Exchange limit
 * would pass smtpd and be refused by cleanup.
 */
const CLEANUP_HEADROOM = 64 * 1024;

/** Ports of setup's internal connectors on 2013+ (reference §1.4, §4.1): not client ports. */
const INTERNAL_PORTS = new Set([465, 717, 2525]);
const INTERNAL_BUILT_IN = /^(Default|Client Proxy|Outbound Proxy Frontend) /i;

/** `HOST`, `HOST:PORT`, `[IPv6]:PORT` of --relayhost. */
export function parseRelayhost(value: string): Relayhost {
  const v = value.trim();
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(v);
  const plain = /^([^:\s[\]]+)(?::(\d{1,5}))?$/.exec(v);
  const m = bracket ?? plain;
  const host = m === null ? null : bracket !== null ? (m[1] ?? '') : postfixHostname(m[1] ?? '');
  const port = m?.[2] === undefined ? null : Number(m[2]);
  if (m === null || host === null || host === '' || (port !== null && (port < 1 || port > 65535))) {
    throw new UsageError(`--relayhost ${value}: expected HOST or HOST:PORT (a host name or an IP address; IPv6 as [ADDR]:PORT)`);
  }
  return { host: bracket !== null ? `ipv6:${host}` : host, port };
}

/** The nexthop as Postfix writes it: `[host]:port` (brackets: no MX lookup, the host itself). */
function nexthop(r: Relayhost): string {
  return `[${r.host}]${r.port === null ? '' : `:${r.port}`}`;
}

/** The value of an `extra` property of a connector, as text. */
function extraText(c: ReceiveConnector, name: string): string | null {
  const key = Object.keys(c.extra ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : c.extra?.[key];
  return v === undefined || v === null || typeof v === 'object' ? null : String(v).trim();
}

interface MasterView { server: string; services: ServiceView[] }

const renderMain = template<MainView>('postfix/main.cf.hbs', { text: true });
const renderMaster = template<MasterView>('postfix/master.cf.hbs', { text: true });

export function emitPostfix(policy: PolicyIndex, options: PostfixOptions): PostfixOutput {
  const untranslated: string[] = [];
  const connectors = connectorsOf(policy, options.server).filter((c) => c.enabled);
  const serverName = postfixComment(options.server);

  const relayDomainLines: string[] = [];
  let everyDomainAccepted = false;
  for (const d of policy.snapshot.acceptedDomains) {
    if (d.domainName.trim() === '*') {
      everyDomainAccepted = true;
      untranslated.push(`accepted domain "*" (${d.domainType}): every recipient domain counts as accepted, so every client that may submit may relay — kept as is`);
      continue;
    }
    const keys = relayDomainKeys(d.domainName, extraBool(d.extra, 'MatchSubDomains', false));
    if (keys.length === 0) {
      untranslated.push(`accepted domain "${postfixComment(d.domainName)}" is not a domain name Postfix can match; left out`);
      continue;
    }
    relayDomainLines.push(`# ${d.domainType}${d.default ? ' (default)' : ''}`, ...keys.map((key) => `${key} OK`));
  }

  const classes = new Map<string, string>();
  const services: ServiceView[] = [];
  const files: PostfixFile[] = [];
  const risks: string[] = [];
  const portSizes: Array<number | null> = [];
  let offersTlsSomewhere = false;
  for (const port of portsOf(policy, options.server)) {
    const onPort = connectors.filter((c) => c.bindings.some((b) => b.port === port));
    if (onPort.length === 0) continue;
    if (INTERNAL_PORTS.has(port) && onPort.every((c) => INTERNAL_BUILT_IN.test(c.name))) {
      untranslated.push(`port ${port} (${onPort.map((c) => postfixComment(c.identity)).join(', ')}): Exchange's own server-to-server port, not one clients use; no listener`);
      continue;
    }
    const exactBound = onPort.filter((c) => c.bindings.some((b) => b.port === port && !isWildcardAddress(b.address)));
    for (const c of exactBound) {
      untranslated.push(`${postfixComment(c.identity)}: bound to a specific address on port ${port}; Postfix listens once per port here, so the decision shown is the one for a client that connects to an address no connector binds specifically`);
    }
    const won = winningIntervals(policy, { server: options.server, port, localAddress: null });
    const tableName = `clients_${port}.cidr`;
    const lines: string[] = [
      `# Exchange port ${port} on ${serverName}: client address -> restriction class of the connector that`,
      '# Exchange selects for it (smallest matching remote range wins). First match wins; the',
      '# intervals below do not overlap, the last lines answer clients no connector takes.',
    ];
    let lastConnector: ReceiveConnector | null = null;
    for (const w of won) {
      const behaviour = connectorBehaviour(policy, w.connector);
      const name = className(behaviour);
      classes.set(name, restrictionsFor(behaviour, everyDomainAccepted).join(', '));
      if (w.connector !== lastConnector) {
        lines.push('', `# ${postfixComment(w.connector.identity)}`);
        lastConnector = w.connector;
      }
      if (behaviour.anonymousRelay && isPublicInterval({ family: w.family, first: w.first, last: w.last })) {
        const risk = `port ${port}: ${postfixComment(w.connector.identity)} lets public addresses (${postfixComment(w.range.expression)}) relay anonymously — an open relay, carried over as Exchange has it; close it unless it is meant`;
        if (!risks.includes(risk)) risks.push(risk);
        lines.push('#   RISK: anonymous relay for public addresses (an open relay); carried over as Exchange has it');
      }
      lines.push(`#   range ${postfixComment(w.range.expression)}`);
      for (const cidr of intervalToCidrs(w.family, w.first, w.last)) lines.push(`${cidr} ${name}`);
    }
    lines.push('', '# No connector: Exchange answers 421 and closes.', `0.0.0.0/0 ${NO_CONNECTOR_ACTION}`, `::/0 ${NO_CONNECTOR_ACTION}`, '');
    files.push({ name: tableName, content: lines.join('\n') });

    const listenPort = port + options.portOffset;
    const sizes = onPort.map((c) => c.maxMessageSize);
    const recipientLimits = onPort.map((c) => c.maxRecipientsPerMessage);
    const maxOf = (values: Array<number | null>): number | null => (values.some((v) => v === null) ? null : Math.max(...(values as number[])));
    if (new Set(sizes).size > 1) untranslated.push(`port ${port}: connectors have different MaxMessageSize; Postfix applies one limit per port (the largest)`);
    if (new Set(recipientLimits).size > 1) untranslated.push(`port ${port}: connectors have different MaxRecipientsPerMessage; Postfix applies one limit per port (the largest)`);
    const size = maxOf(sizes);
    const rcptLimit = maxOf(recipientLimits);
    const offersAuth = onPort.some((c) => c.authMechanism.includes('BasicAuth') || c.authMechanism.includes('Integrated'));
    const authNeedsTls = onPort.some((c) => c.authMechanism.includes('BasicAuthRequireTLS'));
    if (onPort.some((c) => c.authMechanism.includes('Integrated') && !c.authMechanism.includes('BasicAuth'))) {
      untranslated.push(`port ${port}: Integrated (NTLM/Kerberos) authentication has no portable Postfix SASL equivalent; configure the SASL backend for the mechanisms the clients use`);
    }
    const fqdn = postfixHostname(onPort[0]?.fqdn);
    portSizes.push(size);
    // STARTTLS where Exchange offered it (AuthMechanism Tls, reference §3.3).
    const offersTls = onPort.some((c) => c.authMechanism.includes('Tls'));
    if (offersTls) offersTlsSomewhere = true;
    else if (onPort.some((c) => c.authMechanism.includes('BasicAuth'))) {
      risks.push(`port ${port}: Exchange offered AUTH without STARTTLS here (credentials in clear text); so does this configuration once SASL is enabled`);
    }
    const opts = [
      `syslog_name=postfix/exrelay-${port}`,
      `smtpd_relay_restrictions=check_client_access,cidr:$config_directory/${tableName},reject`,
      'smtpd_recipient_restrictions=',
      `message_size_limit=${size === null ? 0 : size}`,
      `smtpd_recipient_limit=${rcptLimit === null ? 1000000 : rcptLimit}`,
      `smtpd_sasl_auth_enable=${offersAuth ? '$exrelay_sasl_enable' : 'no'}`,
      `smtpd_tls_security_level=${offersTls ? 'may' : 'none'}`,
    ];
    if (authNeedsTls && offersTls) opts.push('smtpd_tls_auth_only=yes');
    opts.push(...rateLimits(onPort, port, untranslated));
    if (fqdn !== null) opts.push(`myhostname=${fqdn}`);
    services.push({
      port,
      listenPort,
      listenSpec: options.listen === null ? String(listenPort) : formatBinding({ address: options.listen, port: listenPort }),
      table: tableName,
      connectors: onPort.map((c) => postfixComment(c.identity)),
      options: opts,
    });
  }

  if (connectors.some((c) => c.transportRole === 'HubTransport' || c.transportRole === null)) {
    untranslated.push('sender (send-as) checks that Exchange makes after DATA on hub and 2010 connectors are not translated: Postfix decides per recipient only');
  }
  untranslated.push('tarpit, rate limits per user (MessageRateSource User), banners and anti-spam bypass are not translated');
  untranslated.push('recipients are not checked against the directory (Exchange does): see relay_recipient_maps in main.cf, or this relay accepts unknown users of the accepted domains and the next hop bounces them (backscatter)');
  const relayhost = options.relayhost ?? null;
  const transportLines: string[] = [];
  if (relayhost === null) {
    untranslated.push('no --relayhost: mail for the accepted domains goes wherever their MX points; once this host is the MX that is a loop. Give --relayhost (the new Exchange or Exchange Online) and emit again');
  } else {
    for (const d of policy.snapshot.acceptedDomains) {
      const keys = d.domainName.trim() === '*' ? [] : relayDomainKeys(d.domainName, extraBool(d.extra, 'MatchSubDomains', false));
      for (const key of keys) transportLines.push(`${key} smtp:${nexthop(relayhost)}`);
    }
  }

  const server = serverOf(policy, options.server);
  const overall = portSizes.some((x) => x === null) ? null : Math.max(0, ...(portSizes as number[]));
  files.push({
    name: 'main.cf',
    content: renderMain({
      server: serverName,
      myhostname: postfixHostname(server?.fqdn ?? null),
      inetInterfaces: options.listen === null ? 'all' : options.listen,
      classes: [...classes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, restrictions]) => ({ name, restrictions })),
      untranslated: untranslated.map(postfixComment),
      risks: risks.map(postfixComment),
      hasRelayDomains: true,
      messageSizeLimit: overall === null || overall === 0 ? 0 : overall + CLEANUP_HEADROOM,
      transport: relayhost !== null,
      relayhost: relayhost === null ? null : nexthop(relayhost),
      tlsCertificateNote: offersTlsSomewhere ? postfixComment(certificateNote(connectors)) : null,
    }),
  });
  if (relayhost !== null) {
    files.push({ name: 'transport', content: `# Mail for the Exchange accepted domains goes to ${nexthop(relayhost)} (--relayhost), never by MX.\n${transportLines.join('\n')}\n` });
  }
  files.push({ name: 'master.cf', content: renderMaster({ server: serverName, services }) });
  files.push({ name: 'relay_domains', content: `# Exchange accepted domains (relay check: a recipient here needs no relay right)\n${relayDomainLines.join('\n')}\n` });
  files.sort((a, b) => a.name.localeCompare(b.name));
  return { files, untranslated };
}

/** Which certificate Exchange presented, for the placeholder's comment. */
function certificateNote(connectors: readonly ReceiveConnector[]): string {
  const named = [...new Set(connectors.map((c) => c.tlsCertificateName).filter((n): n is string => n !== null && n.trim() !== ''))];
  const fqdns = [...new Set(connectors.filter((c) => c.authMechanism.includes('Tls')).map((c) => c.fqdn).filter((f): f is string => f !== null))];
  return named.length > 0 ? `Exchange presented ${named.join('; ')}` : `Exchange presented its certificate for ${fqdns.join(', ') || 'the server name'}`;
}

/**
 * Exchange's per-source limits as anvil limits, where all connectors of the port agree:
 * MessageRateLimit per IP address (MessageRateSource IPAddress; Postfix counts per client
 * address per anvil_rate_time_unit, 60 s = Exchange's minute) and MaxInboundConnectionPerSource.
 */
function rateLimits(onPort: readonly ReceiveConnector[], port: number, untranslated: string[]): string[] {
  const out: string[] = [];
  const agree = (name: string): string | null | undefined => {
    const values = new Set(onPort.map((c) => (extraText(c, name) ?? '?').toLowerCase()));
    return values.size === 1 ? [...values][0] : undefined;
  };
  const rate = agree('MessageRateLimit');
  const source = agree('MessageRateSource');
  if (rate !== undefined && rate !== null && /^\d+$/.test(rate)) {
    if (source === 'ipaddress' || source === 'all') out.push(`smtpd_client_message_rate_limit=${rate}`);
    else untranslated.push(`port ${port}: MessageRateLimit ${rate} per ${source ?? 'mixed sources'} has no per-user Postfix equivalent; not translated`);
  } else if (rate === undefined) {
    untranslated.push(`port ${port}: the connectors have different MessageRateLimit values; not translated`);
  }
  const perSource = agree('MaxInboundConnectionPerSource');
  if (perSource !== undefined && perSource !== null && /^\d+$/.test(perSource)) out.push(`smtpd_client_connection_count_limit=${perSource}`);
  return out;
}
