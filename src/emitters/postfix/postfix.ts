// Server NAME's receive connectors as a Postfix configuration that makes the same accept/reject
// decision per client address and recipient. The policy engine partitions each port's address
// space by winning connector (reference §4.2); each interval becomes cidr entries that name a
// restriction class, and each class is the connector's effective rights in Postfix terms.
// Facts used: shared reference emitters-notes.md (Postfix section).
import type { ReceiveConnector } from '../../model.js';
import { ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT, canRelayAnonymously, connectorsOf, hasRight, isExternallySecured, portsOf, serverOf, winningIntervals, type PolicyIndex } from '../../policy/index.js';
import { formatBinding, isWildcardAddress } from '../../net/index.js';
import { template } from '../templates.js';
import { intervalToCidrs } from './cidr.js';
import { postfixComment, postfixHostname, relayDomainKey } from './values.js';

export interface PostfixOptions {
  server: string;
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
  hasRelayDomains: boolean;
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
    const key = relayDomainKey(d.domainName);
    if (key === null) {
      untranslated.push(`accepted domain "${postfixComment(d.domainName)}" is not a domain name Postfix can match; left out`);
      continue;
    }
    relayDomainLines.push(`# ${d.domainType}${d.default ? ' (default)' : ''}`, `${key} OK`);
  }

  const classes = new Map<string, string>();
  const services: ServiceView[] = [];
  const files: PostfixFile[] = [];
  for (const port of portsOf(policy, options.server)) {
    const onPort = connectors.filter((c) => c.bindings.some((b) => b.port === port));
    if (onPort.length === 0) continue;
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
    const opts = [
      `syslog_name=postfix/exrelay-${port}`,
      `smtpd_relay_restrictions=check_client_access,cidr:$config_directory/${tableName},reject`,
      'smtpd_recipient_restrictions=',
      `message_size_limit=${size === null ? 0 : size}`,
      `smtpd_recipient_limit=${rcptLimit === null ? 1000000 : rcptLimit}`,
      `smtpd_sasl_auth_enable=${offersAuth ? '$exrelay_sasl_enable' : 'no'}`,
    ];
    if (authNeedsTls) opts.push('smtpd_tls_auth_only=yes');
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
  untranslated.push('tarpit, message rate limits, banners and anti-spam bypass are not translated');

  const server = serverOf(policy, options.server);
  files.push({
    name: 'main.cf',
    content: renderMain({
      server: serverName,
      myhostname: postfixHostname(server?.fqdn ?? null),
      inetInterfaces: options.listen === null ? 'all' : options.listen,
      classes: [...classes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, restrictions]) => ({ name, restrictions })),
      untranslated: untranslated.map(postfixComment),
      hasRelayDomains: true,
    }),
  });
  files.push({ name: 'master.cf', content: renderMaster({ server: serverName, services }) });
  files.push({ name: 'relay_domains', content: `# Exchange accepted domains (relay check: a recipient here needs no relay right)\n${relayDomainLines.join('\n')}\n` });
  files.sort((a, b) => a.name.localeCompare(b.name));
  return { files, untranslated };
}
