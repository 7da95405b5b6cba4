// Model builders for tests and fixtures. Every default is what Exchange itself would hold
// (shared reference §1.2, §1.4, §1.5, §2.1), so a test only spells out what it changes:
//   estate(connector({ identity: 'EX01\\Apps', authMechanism: ['BasicAuth'] }))
// The untouched default installations (`defaults.exchange2016()` …) are built here too and
// written to fixtures/defaults/*.json (a test keeps those files equal to these builders).
import ipaddr from 'ipaddr.js';
import {
  SNAPSHOT_SCHEMA,
  type AcceptedDomain, type AuthMechanism, type Certificate, type ExchangeServer, type IpRange,
  type PermissionGroup, type Permission, type ReceiveConnector, type Snapshot,
} from '../../src/model.js';

/** NetBIOS name of the test forest's domain (the `<DOMAIN>\…` principals of reference §2.1). */
export const DOMAIN = 'CORP';
export const ORG_DOMAIN = 'corp.example';

export const ANONYMOUS = 'NT AUTHORITY\\ANONYMOUS LOGON';
export const AUTHENTICATED_USERS = 'NT AUTHORITY\\Authenticated Users';
export const EXCHANGE_SERVERS = `${DOMAIN}\\Exchange Servers`;
export const HUB_TRANSPORT_SERVERS = 'MS Exchange\\Hub Transport Servers';
export const EDGE_TRANSPORT_SERVERS = 'MS Exchange\\Edge Transport Servers';
export const EXTERNALLY_SECURED_SERVERS = 'MS Exchange\\Externally Secured Servers';
export const LEGACY_INTEROP = `${DOMAIN}\\ExchangeLegacyInterop`;
export const PARTNER_SERVERS = 'MS Exchange\\Partner Servers';

export const R = {
  submit: 'ms-Exch-SMTP-Submit',
  anyRecipient: 'ms-Exch-SMTP-Accept-Any-Recipient',
  anySender: 'ms-Exch-SMTP-Accept-Any-Sender',
  authoritativeSender: 'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender',
  authFlag: 'ms-Exch-SMTP-Accept-Authentication-Flag',
  bypassAntiSpam: 'ms-Exch-Bypass-Anti-Spam',
  bypassSize: 'ms-Exch-Bypass-Message-Size-Limit',
  exch50: 'ms-Exch-SMTP-Accept-Exch50',
  routingHeaders: 'ms-Exch-Accept-Headers-Routing',
  forestHeaders: 'ms-Exch-Accept-Headers-Forest',
  organizationHeaders: 'ms-Exch-Accept-Headers-Organization',
} as const;

// Reference §2.1, row by row.
const ANONYMOUS_RIGHTS = [R.submit, R.anySender, R.authoritativeSender, R.routingHeaders];
const EXCHANGE_USERS_RIGHTS = [R.submit, R.anyRecipient, R.bypassAntiSpam, R.routingHeaders];
const SECURED_NINE = [R.submit, R.anyRecipient, R.authFlag, R.anySender, R.authoritativeSender, R.bypassAntiSpam, R.bypassSize, R.exch50, R.routingHeaders];
const EXCHANGE_SERVER_RIGHTS = [
  ...SECURED_NINE, R.forestHeaders, R.organizationHeaders,
  'ms-Exch-SMTP-Accept-XShadow', 'ms-Exch-SMTP-Accept-XProxyFrom', 'ms-Exch-SMTP-Accept-XSessionParams',
  'ms-Exch-SMTP-Accept-XAttr', 'ms-Exch-SMTP-Accept-XSysProbe',
  'ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache', 'ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties',
  'ms-Exch-SMTP-Send-XMessageContext-FastIndex',
];
const PARTNER_RIGHTS = [R.submit, R.routingHeaders];

// ---------------------------------------------------------------- addresses

/** `{expression, first, last}` for a single address, a CIDR or an `a-b` range (RFC 5952 ends). */
export function range(expression: string): IpRange {
  const dash = expression.indexOf('-');
  if (dash > 0) {
    return { expression, first: ipaddr.parse(expression.slice(0, dash).trim()).toString(), last: ipaddr.parse(expression.slice(dash + 1).trim()).toString() };
  }
  if (expression.includes('/')) {
    const [addr, len] = ipaddr.parseCIDR(expression);
    const first = addr.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(expression).toString()
      : networkV6(addr as ipaddr.IPv6, len, false);
    const last = addr.kind() === 'ipv4'
      ? ipaddr.IPv4.broadcastAddressFromCIDR(expression).toString()
      : networkV6(addr as ipaddr.IPv6, len, true);
    return { expression, first, last };
  }
  const single = ipaddr.parse(expression).toString();
  return { expression, first: single, last: single };
}

function networkV6(addr: ipaddr.IPv6, len: number, high: boolean): string {
  let value = 0n;
  for (const part of addr.parts) value = (value << 16n) | BigInt(part);
  const hostBits = 128n - BigInt(len);
  const mask = (1n << hostBits) - 1n;
  value = high ? value | mask : value & ~mask;
  const parts: number[] = [];
  for (let i = 7; i >= 0; i--) parts.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

export const ALL_IPV4: IpRange = { expression: '0.0.0.0-255.255.255.255', first: '0.0.0.0', last: '255.255.255.255' };
export const ALL_IPV6: IpRange = {
  expression: '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
};
/** Exchange prints the IPv6 range first (reference §1.2). */
export const ALL_ADDRESSES: IpRange[] = [ALL_IPV6, ALL_IPV4];

// ---------------------------------------------------------------- objects

export function server(over: Partial<ExchangeServer> = {}): ExchangeServer {
  const name = over.name ?? 'EX01';
  return {
    name,
    fqdn: `${name.toLowerCase()}.${ORG_DOMAIN}`,
    version: VERSIONS['2016'],
    roles: ['Mailbox'],
    ipAddresses: ['10.0.0.11'],
    ...over,
  };
}

/**
 * A receive connector as `New-ReceiveConnector -Custom -TransportRole FrontendTransport`
 * leaves it: port 25 on all addresses, all remote addresses, `Tls`, no permission groups.
 * `identity` and `server`/`name` are derived from each other when only one side is given.
 */
export function connector(over: Partial<ReceiveConnector> = {}): ReceiveConnector {
  let serverName = over.server;
  let name = over.name;
  if (over.identity !== undefined) {
    const slash = over.identity.indexOf('\\');
    serverName ??= slash > 0 ? over.identity.slice(0, slash) : 'EX01';
    name ??= slash > 0 ? over.identity.slice(slash + 1) : over.identity;
  }
  serverName ??= 'EX01';
  name ??= `Custom ${serverName}`;
  return {
    identity: `${serverName}\\${name}`,
    server: serverName,
    name,
    transportRole: 'FrontendTransport',
    enabled: true,
    bindings: [{ address: '0.0.0.0', port: 25 }, { address: '::', port: 25 }],
    remoteIPRanges: [...ALL_ADDRESSES],
    permissionGroups: [],
    authMechanism: ['Tls'],
    requireTLS: false,
    domainSecureEnabled: false,
    fqdn: `${serverName.toLowerCase()}.${ORG_DOMAIN}`,
    tlsCertificateName: null,
    banner: null,
    protocolLoggingLevel: 'None',
    maxMessageSize: 37748736,
    maxRecipientsPerMessage: 200,
    ...over,
  };
}

/** One AD entry; default: an explicit Allow of Accept-Any-Recipient for ANONYMOUS LOGON. */
export function permission(over: Partial<Permission> & { identity: string }): Permission {
  return { user: ANONYMOUS, deny: false, inherited: false, extendedRights: [R.anyRecipient], ...over };
}

export function acceptedDomain(over: Partial<AcceptedDomain> = {}): AcceptedDomain {
  return { domainName: ORG_DOMAIN, domainType: 'Authoritative', default: true, ...over };
}

/** The self-signed certificate setup creates (SMTP among its services), valid for five years. */
export function certificate(over: Partial<Certificate> = {}): Certificate {
  const serverName = over.server ?? 'EX01';
  return {
    thumbprint: thumbprintFor(serverName),
    subject: `CN=${serverName}`,
    issuer: `CN=${serverName}`,
    notAfter: '2031-06-01T00:00:00Z',
    dnsNames: [serverName, `${serverName.toLowerCase()}.${ORG_DOMAIN}`],
    services: ['IMAP', 'POP', 'IIS', 'SMTP'],
    server: serverName,
    ...over,
  };
}

function thumbprintFor(seed: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 40; round++) {
    for (const ch of `${seed}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).toUpperCase().padStart(8, '0');
  }
  return out.slice(0, 40);
}

/** The AD entries that PermissionGroups writes on a connector (reference §2.1), one per right as Get-ADPermission prints them. */
export function groupPermissions(c: Pick<ReceiveConnector, 'identity' | 'permissionGroups'>): Permission[] {
  const out: Permission[] = [];
  const allow = (user: string, rights: readonly string[]): void => {
    for (const right of rights) out.push({ identity: c.identity, user, deny: false, inherited: false, extendedRights: [right] });
  };
  const groups = new Set<PermissionGroup>(c.permissionGroups);
  if (groups.has('AnonymousUsers')) allow(ANONYMOUS, ANONYMOUS_RIGHTS);
  if (groups.has('ExchangeUsers')) allow(AUTHENTICATED_USERS, EXCHANGE_USERS_RIGHTS);
  if (groups.has('ExchangeServers')) {
    for (const p of [EXCHANGE_SERVERS, HUB_TRANSPORT_SERVERS, EDGE_TRANSPORT_SERVERS]) allow(p, EXCHANGE_SERVER_RIGHTS);
    allow(EXTERNALLY_SECURED_SERVERS, SECURED_NINE);
  }
  if (groups.has('ExchangeLegacyServers')) {
    allow(LEGACY_INTEROP, SECURED_NINE);
    // Setup's own Deny entries (reference §2.1): explicit-deny-present must not count them.
    for (const right of [R.forestHeaders, R.organizationHeaders]) {
      out.push({ identity: c.identity, user: LEGACY_INTEROP, deny: true, inherited: false, extendedRights: [right] });
    }
  }
  if (groups.has('Partners')) allow(PARTNER_SERVERS, PARTNER_RIGHTS);
  return out;
}

// ---------------------------------------------------------------- snapshots

export type EstateItem = ReceiveConnector | Permission | ExchangeServer | AcceptedDomain | Certificate | Snapshot | EstateItem[];

function isSnapshot(x: object): x is Snapshot { return 'schema' in x; }

/**
 * A snapshot from loose items (connectors, permissions, servers, accepted domains,
 * certificates, whole snapshots, or arrays of these). Whatever is not given is filled in the
 * way a real organisation has it: the 2016 server EX01, the accepted domain corp.example and a
 * valid SMTP certificate on every server. Group ACEs are not added (use `groupPermissions`),
 * so a case can stand for a filtered Get-ADPermission export.
 */
export function estate(...items: EstateItem[]): Snapshot {
  const snap: Snapshot = { schema: SNAPSHOT_SCHEMA, servers: [], connectors: [], permissions: [], acceptedDomains: [], certificates: [], warnings: [] };
  const add = (item: EstateItem): void => {
    if (Array.isArray(item)) { item.forEach(add); return; }
    if (isSnapshot(item)) {
      const copy = structuredClone(item);
      snap.servers.push(...copy.servers); snap.connectors.push(...copy.connectors); snap.permissions.push(...copy.permissions);
      snap.acceptedDomains.push(...copy.acceptedDomains); snap.certificates.push(...copy.certificates); snap.warnings.push(...copy.warnings);
    } else if ('bindings' in item) snap.connectors.push(item);
    else if ('extendedRights' in item) snap.permissions.push(item);
    else if ('ipAddresses' in item) snap.servers.push(item);
    else if ('domainType' in item) snap.acceptedDomains.push(item);
    else snap.certificates.push(item);
  };
  items.forEach(add);
  const names = new Set(snap.servers.map((s) => s.name.toLowerCase()));
  for (const c of snap.connectors) {
    if (!names.has(c.server.toLowerCase())) {
      names.add(c.server.toLowerCase());
      snap.servers.push(server({ name: c.server, ipAddresses: [`10.0.0.${10 + names.size}`] }));
    }
  }
  if (snap.servers.length === 0) snap.servers.push(server());
  if (snap.acceptedDomains.length === 0) snap.acceptedDomains.push(acceptedDomain());
  if (snap.certificates.length === 0) for (const s of snap.servers) snap.certificates.push(certificate({ server: s.name, dnsNames: [s.name, s.fqdn ?? s.name] }));
  return snap;
}

/** An anonymous relay connector (reference §2.5 method A) and its Accept-Any-Recipient entry. */
export function anonymousRelay(over: Partial<ReceiveConnector> & { remoteIPRanges: IpRange[] }): [ReceiveConnector, Permission] {
  const named = over.identity !== undefined || over.name !== undefined;
  const c = connector({ ...(named ? {} : { name: `Relay ${over.server ?? 'EX01'}` }), permissionGroups: ['AnonymousUsers'], ...over });
  return [c, permission({ identity: c.identity })];
}

// ---------------------------------------------------------------- default installations

export const VERSIONS = {
  '2010': 'Version 14.3 (Build 123.4)',
  '2013': 'Version 15.0 (Build 1497.2)',
  '2016': 'Version 15.1 (Build 2507.6)',
  '2019': 'Version 15.2 (Build 1118.7)',
} as const;
export type ExchangeVersion = keyof typeof VERSIONS;

const AUTH_31: AuthMechanism[] = ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer'];
const AUTH_15: AuthMechanism[] = ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS'];

function both(port: number): ReceiveConnector['bindings'] {
  return [{ address: '::', port }, { address: '0.0.0.0', port }];
}

/** The connectors setup creates on one server (reference §1.4 for 2013+, §1.5 for 2010). */
/**
 * The per-session limits setup leaves on each default connector (reference §1.2, §6.4a), as
 * Get-ReceiveConnector prints them. 2010's MaxHeaderSize is 64 KB in real 2010 output; the
 * 2010 Client connector's rate settings are not documented and left out (not enforced).
 */
function defaultLimits(version: ExchangeVersion, kind: 'hubDefault' | 'client' | 'other'): Record<string, string> {
  const limits: Record<string, string> = {
    MaxLogonFailures: '3',
    MaxProtocolErrors: '5',
    MaxHeaderSize: version === '2010' ? '64 KB (65,536 bytes)' : '256 KB (262,144 bytes)',
    MaxHopCount: '60',
    MaxInboundConnection: '5000',
    MaxInboundConnectionPerSource: kind === 'hubDefault' ? 'Unlimited' : '20',
  };
  if (kind === 'client' && version !== '2010') Object.assign(limits, { MessageRateLimit: '5', MessageRateSource: 'User' });
  else if (kind !== 'client') Object.assign(limits, { MessageRateLimit: 'Unlimited', MessageRateSource: 'IPAddress' });
  return limits;
}

export function defaultConnectors(version: ExchangeVersion, serverName = 'EX01'): ReceiveConnector[] {
  const c = (name: string, over: Partial<ReceiveConnector>): ReceiveConnector => connector({
    server: serverName, name: `${name} ${serverName}`,
    extra: defaultLimits(version, name === 'Default' && version !== '2010' ? 'hubDefault' : name === 'Client Proxy' || name === 'Client Frontend' || name === 'Client' ? 'client' : 'other'),
    ...over,
  });
  if (version === '2010') {
    // UNSURE(reference): §1.5 — pristine 2010 Default auth/bindings are partly unconfirmed, and
    // real output shows IPv4-only bindings; the 10 MB MaxMessageSize is unconfirmed too.
    const hub = { transportRole: null, maxMessageSize: 10485760 } as const;
    return [
      c('Default', { ...hub, bindings: [{ address: '0.0.0.0', port: 25 }], authMechanism: AUTH_31, permissionGroups: ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers'], maxRecipientsPerMessage: 5000 }),
      c('Client', { ...hub, bindings: [{ address: '0.0.0.0', port: 587 }], authMechanism: AUTH_15, permissionGroups: ['ExchangeUsers'] }),
    ];
  }
  return [
    c('Default', { transportRole: 'HubTransport', bindings: both(2525).reverse(), authMechanism: AUTH_31, permissionGroups: ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers'], maxRecipientsPerMessage: 5000 }),
    c('Client Proxy', { transportRole: 'HubTransport', bindings: both(465), authMechanism: AUTH_31, permissionGroups: ['ExchangeUsers', 'ExchangeServers'] }),
    c('Default Frontend', { transportRole: 'FrontendTransport', bindings: both(25), authMechanism: AUTH_31, permissionGroups: ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers'], protocolLoggingLevel: 'Verbose' }),
    c('Outbound Proxy Frontend', { transportRole: 'FrontendTransport', bindings: both(717), authMechanism: AUTH_31, permissionGroups: ['ExchangeServers'] }),
    c('Client Frontend', { transportRole: 'FrontendTransport', bindings: both(587), authMechanism: AUTH_15, permissionGroups: ['ExchangeUsers'] }),
  ];
}

export interface DefaultInstallOptions { server?: string; ipAddress?: string }

/** An untouched default installation: one server, its default connectors with setup's AD entries, one accepted domain, its certificate. */
export function defaultInstall(version: ExchangeVersion, options: DefaultInstallOptions = {}): Snapshot {
  const name = options.server ?? 'EX01';
  const srv = server({
    name,
    version: VERSIONS[version],
    roles: version === '2010' ? ['Mailbox', 'ClientAccess', 'HubTransport'] : version === '2013' ? ['Mailbox', 'ClientAccess'] : ['Mailbox'],
    ipAddresses: [options.ipAddress ?? '10.0.0.11'],
  });
  const connectors = defaultConnectors(version, name);
  return {
    schema: SNAPSHOT_SCHEMA,
    servers: [srv],
    connectors,
    permissions: connectors.flatMap(groupPermissions),
    acceptedDomains: [acceptedDomain()],
    certificates: [certificate({ server: name })],
    warnings: [],
  };
}

export const defaults = {
  exchange2010: (o?: DefaultInstallOptions): Snapshot => defaultInstall('2010', o),
  exchange2013: (o?: DefaultInstallOptions): Snapshot => defaultInstall('2013', o),
  exchange2016: (o?: DefaultInstallOptions): Snapshot => defaultInstall('2016', o),
  exchange2019: (o?: DefaultInstallOptions): Snapshot => defaultInstall('2019', o),
  /** name → snapshot, for tables that run over every version. */
  all(): Array<{ name: string; snapshot: Snapshot }> {
    return (['2010', '2013', '2016', '2019'] as const).map((v) => ({ name: `untouched default Exchange ${v} install`, snapshot: defaultInstall(v) }));
  },
};

/** Finds a connector by identity (case-insensitive) in a snapshot, for tests that modify defaults. */
export function connectorOf(snapshot: Snapshot, identity: string): ReceiveConnector {
  const hit = snapshot.connectors.find((c) => c.identity.toLowerCase() === identity.toLowerCase());
  if (hit === undefined) throw new Error(`no connector ${identity}`);
  return hit;
}
