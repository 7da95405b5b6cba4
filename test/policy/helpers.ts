// Model builders for policy and replay tests: defaults are Exchange's defaults for a new
// connector (reference §1.2), so a test states only what differs.
import type { AcceptedDomain, ExchangeServer, IpRange, Permission, ReceiveConnector, Snapshot } from '../../src/model.js';
import { emptySnapshot } from '../../src/model.js';

export const ALL_V4: IpRange = { expression: '0.0.0.0-255.255.255.255', first: '0.0.0.0', last: '255.255.255.255' };
export const ALL_V6: IpRange = { expression: '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' };

/** A range from an expression: `10.1.1.5`, `10.1.1.0/24` (IPv4 CIDR only) or `a-b`. */
export function range(expression: string): IpRange {
  if (expression.includes('-')) {
    const [first = '', last = ''] = expression.split('-');
    return { expression, first, last };
  }
  if (expression.includes('/')) {
    const [base = '', bitsText = '32'] = expression.split('/');
    const bits = Number(bitsText);
    const n = base.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
    const size = 2 ** (32 - bits);
    const first = Math.floor(n / size) * size;
    const fmt = (v: number) => [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
    return { expression, first: fmt(first), last: fmt(first + size - 1) };
  }
  return { expression, first: expression, last: expression };
}

export function connector(overrides: Partial<ReceiveConnector> & { name: string }, server = 'EX01'): ReceiveConnector {
  return {
    identity: `${server}\\${overrides.name}`,
    server,
    transportRole: 'FrontendTransport',
    enabled: true,
    bindings: [{ address: '0.0.0.0', port: 25 }, { address: '::', port: 25 }],
    remoteIPRanges: [ALL_V4, ALL_V6],
    permissionGroups: [],
    authMechanism: ['Tls'],
    requireTLS: false,
    domainSecureEnabled: false,
    fqdn: `${server.toLowerCase()}.corp.example`,
    tlsCertificateName: null,
    banner: null,
    protocolLoggingLevel: 'None',
    maxMessageSize: 37748736,
    maxRecipientsPerMessage: 200,
    ...overrides,
  };
}

/** Default Frontend of a 2013+ server (reference §1.4). */
export function defaultFrontend(server = 'EX01', overrides: Partial<ReceiveConnector> = {}): ReceiveConnector {
  return connector({
    name: `Default Frontend ${server}`,
    authMechanism: ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer'],
    permissionGroups: ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers'],
    protocolLoggingLevel: 'Verbose',
    ...overrides,
  }, server);
}

export function clientFrontend(server = 'EX01'): ReceiveConnector {
  return connector({
    name: `Client Frontend ${server}`,
    bindings: [{ address: '0.0.0.0', port: 587 }, { address: '::', port: 587 }],
    authMechanism: ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS'],
    permissionGroups: ['ExchangeUsers'],
  }, server);
}

export function hubDefault(server = 'EX01'): ReceiveConnector {
  return connector({
    name: `Default ${server}`,
    transportRole: 'HubTransport',
    bindings: [{ address: '0.0.0.0', port: 2525 }, { address: '::', port: 2525 }],
    authMechanism: ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer'],
    permissionGroups: ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers'],
    maxRecipientsPerMessage: 5000,
  }, server);
}

/** An anonymous relay connector made the way Microsoft documents (reference §2.5 method A). */
export function relayConnector(name: string, ranges: string[], server = 'EX01', overrides: Partial<ReceiveConnector> = {}): ReceiveConnector {
  return connector({
    name,
    bindings: [{ address: '0.0.0.0', port: 25 }],
    remoteIPRanges: ranges.map(range),
    permissionGroups: ['AnonymousUsers', 'Custom'],
    ...overrides,
  }, server);
}

export function perm(identity: string, user: string, rights: string[], options: { deny?: boolean; inherited?: boolean } = {}): Permission {
  return { identity, user, deny: options.deny ?? false, inherited: options.inherited ?? false, extendedRights: rights };
}

/** The ExchangeLegacyInterop Deny entries setup creates on connectors with ExchangeLegacyServers. */
export function setupDenies(identity: string): Permission[] {
  return [
    perm(identity, 'CORP\\ExchangeLegacyInterop', ['ms-Exch-Accept-Headers-Forest'], { deny: true }),
    perm(identity, 'CORP\\ExchangeLegacyInterop', ['ms-Exch-Accept-Headers-Organization'], { deny: true }),
  ];
}

export function server(name: string, version: string | null, overrides: Partial<ExchangeServer> = {}): ExchangeServer {
  return { name, fqdn: `${name}.corp.example`, version, roles: ['Mailbox'], ipAddresses: [], ...overrides };
}

export function domain(domainName: string, domainType: AcceptedDomain['domainType'] = 'Authoritative', isDefault = false): AcceptedDomain {
  return { domainName, domainType, default: isDefault };
}

export function snapshot(parts: Partial<Omit<Snapshot, 'schema'>>): Snapshot {
  return { ...emptySnapshot(), ...parts };
}

/** A default 2016 server: Default Frontend, Client Frontend, hub Default, with setup's denies. */
export function default2016(name = 'EX01', version = 'Version 15.1 (Build 2507.6)'): Snapshot {
  const df = defaultFrontend(name);
  const hub = hubDefault(name);
  return snapshot({
    servers: [server(name, version, { ipAddresses: ['10.0.0.10'] })],
    connectors: [df, clientFrontend(name), hub],
    permissions: [...setupDenies(df.identity), ...setupDenies(hub.identity)],
    acceptedDomains: [domain('corp.example', 'Authoritative', true)],
  });
}
