// A deterministic, realistic Exchange estate of any size, for the import, audit and replay
// benches: servers of mixed versions with their default connectors and setup's AD entries,
// plus custom connectors — anonymous relay connectors listing private /32s and /24s (a few
// with public hosts), ExternalAuthoritative partner connectors, custom client connectors,
// internal Exchange-server connectors — and enough AD entries to reach the asked count.
// Same options and seed → the same snapshot, byte for byte.
import {
  SNAPSHOT_SCHEMA,
  type AuthMechanism, type Binding, type ExchangeServer, type IpRange, type PermissionGroup,
  type Permission, type ReceiveConnector, type Snapshot, type TransportRole,
} from '../../src/model.js';
import { prng } from './prng.js';

export interface EstateOptions {
  /** Number of servers; default one per 50 connectors. */
  servers?: number;
  /** Total receive connectors, default ones included. */
  connectors: number;
  /** Total remote IP ranges over all connectors (the defaults' two "all addresses" ranges count). */
  ranges: number;
  /** Total AD permission entries. */
  permissions: number;
  seed?: number;
}

const VERSION_CYCLE = [
  ['2016', 'Version 15.1 (Build 2507.6)'], ['2019', 'Version 15.2 (Build 1118.7)'],
  ['2016', 'Version 15.1 (Build 2507.6)'], ['2013', 'Version 15.0 (Build 1497.2)'],
  ['2010', 'Version 14.3 (Build 123.4)'],
] as const;

const ALL_V6: IpRange = { expression: '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' };
const ALL_V4: IpRange = { expression: '0.0.0.0-255.255.255.255', first: '0.0.0.0', last: '255.255.255.255' };
const AUTH_31: AuthMechanism[] = ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer'];
const AUTH_15: AuthMechanism[] = ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS'];

const ANON = 'NT AUTHORITY\\ANONYMOUS LOGON';
const GROUP_ACES: Record<Exclude<PermissionGroup, 'Custom'>, Array<[string, string[]]>> = (() => {
  const nine = ['ms-Exch-SMTP-Submit', 'ms-Exch-SMTP-Accept-Any-Recipient', 'ms-Exch-SMTP-Accept-Authentication-Flag',
    'ms-Exch-SMTP-Accept-Any-Sender', 'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender', 'ms-Exch-Bypass-Anti-Spam',
    'ms-Exch-Bypass-Message-Size-Limit', 'ms-Exch-SMTP-Accept-Exch50', 'ms-Exch-Accept-Headers-Routing'];
  const servers = [...nine, 'ms-Exch-Accept-Headers-Forest', 'ms-Exch-Accept-Headers-Organization', 'ms-Exch-SMTP-Accept-XShadow',
    'ms-Exch-SMTP-Accept-XProxyFrom', 'ms-Exch-SMTP-Accept-XSessionParams', 'ms-Exch-SMTP-Accept-XAttr', 'ms-Exch-SMTP-Accept-XSysProbe'];
  return {
    AnonymousUsers: [[ANON, ['ms-Exch-SMTP-Submit', 'ms-Exch-SMTP-Accept-Any-Sender', 'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender', 'ms-Exch-Accept-Headers-Routing']]],
    ExchangeUsers: [['NT AUTHORITY\\Authenticated Users', ['ms-Exch-SMTP-Submit', 'ms-Exch-SMTP-Accept-Any-Recipient', 'ms-Exch-Bypass-Anti-Spam', 'ms-Exch-Accept-Headers-Routing']]],
    ExchangeServers: [['CORP\\Exchange Servers', servers], ['MS Exchange\\Hub Transport Servers', servers], ['MS Exchange\\Edge Transport Servers', servers], ['MS Exchange\\Externally Secured Servers', nine]],
    ExchangeLegacyServers: [['CORP\\ExchangeLegacyInterop', nine]],
    Partners: [['MS Exchange\\Partner Servers', ['ms-Exch-SMTP-Submit', 'ms-Exch-Accept-Headers-Routing']]],
  };
})();


function v4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

type Kind = 'relay' | 'partner' | 'client' | 'internal' | 'app';

export function generateEstate(options: EstateOptions): Snapshot {
  const rnd = prng(options.seed ?? 20161020);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const serverCount = Math.max(1, options.servers ?? Math.ceil(options.connectors / 50));

  const servers: ExchangeServer[] = [];
  const connectors: ReceiveConnector[] = [];
  const kinds = new Map<ReceiveConnector, Kind | 'default'>();
  const mk = (srv: ExchangeServer, name: string, role: TransportRole | null, bindings: Binding[], over: Partial<ReceiveConnector>): ReceiveConnector => ({
    identity: `${srv.name}\\${name}`, server: srv.name, name, transportRole: role, enabled: true, bindings, remoteIPRanges: [],
    permissionGroups: [], authMechanism: ['Tls'], requireTLS: false, domainSecureEnabled: false, fqdn: srv.fqdn,
    tlsCertificateName: null, banner: null, protocolLoggingLevel: 'None', maxMessageSize: 37748736, maxRecipientsPerMessage: 200, ...over,
  });
  const both = (port: number): Binding[] => [{ address: '::', port }, { address: '0.0.0.0', port }];

  // Servers and their default connectors (reference §1.4, §1.5).
  for (let i = 0; i < serverCount; i++) {
    const [ver, version] = VERSION_CYCLE[i % VERSION_CYCLE.length] as (typeof VERSION_CYCLE)[number];
    const name = `EX${String(i + 1).padStart(2, '0')}`;
    const srv: ExchangeServer = {
      name, fqdn: `${name.toLowerCase()}.corp.example`, version,
      roles: ver === '2010' ? ['Mailbox', 'ClientAccess', 'HubTransport'] : ['Mailbox'],
      ipAddresses: [`10.250.${Math.floor(i / 250)}.${(i % 250) + 1}`],
    };
    servers.push(srv);
    const all = { remoteIPRanges: [ALL_V6, ALL_V4] };
    const defs: ReceiveConnector[] = ver === '2010'
      ? [
        mk(srv, `Default ${name}`, null, [{ address: '0.0.0.0', port: 25 }], { ...all, authMechanism: AUTH_31, permissionGroups: ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers'], maxRecipientsPerMessage: 5000 }),
        mk(srv, `Client ${name}`, null, [{ address: '0.0.0.0', port: 587 }], { ...all, authMechanism: AUTH_15, permissionGroups: ['ExchangeUsers'] }),
      ]
      : [
        mk(srv, `Default ${name}`, 'HubTransport', both(2525), { ...all, authMechanism: AUTH_31, permissionGroups: ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers'], maxRecipientsPerMessage: 5000 }),
        mk(srv, `Client Proxy ${name}`, 'HubTransport', both(465), { ...all, authMechanism: AUTH_31, permissionGroups: ['ExchangeUsers', 'ExchangeServers'] }),
        mk(srv, `Default Frontend ${name}`, 'FrontendTransport', both(25), { ...all, authMechanism: AUTH_31, permissionGroups: ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers'], protocolLoggingLevel: 'Verbose' }),
        mk(srv, `Outbound Proxy Frontend ${name}`, 'FrontendTransport', both(717), { ...all, authMechanism: AUTH_31, permissionGroups: ['ExchangeServers'] }),
        mk(srv, `Client Frontend ${name}`, 'FrontendTransport', both(587), { ...all, authMechanism: AUTH_15, permissionGroups: ['ExchangeUsers'] }),
      ];
    for (const c of defs) { connectors.push(c); kinds.set(c, 'default'); }
  }

  // Custom connectors, round-robin over the servers.
  const custom: ReceiveConnector[] = [];
  const customCount = Math.max(0, options.connectors - connectors.length);
  for (let i = 0; i < customCount; i++) {
    const srv = servers[i % serverCount] as ExchangeServer;
    const legacy = srv.version?.startsWith('Version 14') === true;
    const fe: TransportRole | null = legacy ? null : 'FrontendTransport';
    const roll = rnd();
    const kind: Kind = roll < 0.6 ? 'relay' : roll < 0.7 ? 'partner' : roll < 0.8 ? 'client' : roll < 0.9 ? 'internal' : 'app';
    const n = String(i + 1).padStart(4, '0');
    let c: ReceiveConnector;
    if (kind === 'relay') {
      c = mk(srv, `Relay ${n} ${srv.name}`, fe, rnd() < 0.8 ? [{ address: '0.0.0.0', port: 25 }] : [{ address: srv.ipAddresses[0] ?? '0.0.0.0', port: 25 }],
        { permissionGroups: ['AnonymousUsers'], protocolLoggingLevel: rnd() < 0.3 ? 'Verbose' : 'None' });
    } else if (kind === 'partner') {
      c = mk(srv, `Partner ${n} ${srv.name}`, fe, [{ address: '0.0.0.0', port: 25 }], { permissionGroups: ['ExchangeServers'], authMechanism: ['Tls', 'ExternalAuthoritative'] });
    } else if (kind === 'client') {
      c = mk(srv, `Clients ${n} ${srv.name}`, fe, [{ address: '0.0.0.0', port: 587 }], { permissionGroups: ['ExchangeUsers'], authMechanism: rnd() < 0.1 ? ['Tls', 'BasicAuth'] : AUTH_15 });
    } else if (kind === 'internal') {
      c = mk(srv, `Internal ${n} ${srv.name}`, fe, [{ address: '0.0.0.0', port: 25 }], { permissionGroups: ['ExchangeServers', 'ExchangeLegacyServers'], authMechanism: ['Tls', 'ExchangeServer'] });
    } else {
      c = mk(srv, `App ${n} ${srv.name}`, fe, [{ address: '0.0.0.0', port: 2587 }], { permissionGroups: ['AnonymousUsers'] });
    }
    if (rnd() < 0.02) c.enabled = false;
    connectors.push(c);
    custom.push(c);
    kinds.set(c, kind);
  }

  // Remote ranges: the budget left after the defaults, spread unevenly over the custom connectors.
  const budget = Math.max(0, options.ranges - (connectors.length - custom.length) * 2);
  const weights = custom.map(() => (rnd() < 0.05 ? 20 : 1) * (0.5 + rnd()));
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((w / total) * budget));
  let left = budget - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0 && custom.length > 0; i = (i + 1) % custom.length, left--) counts[i] = (counts[i] ?? 0) + 1;

  // Private space is handed out in order, so ranges never partly overlap by accident.
  const PRIVATE_START = 10 << 24;
  const PRIVATE_SIZE = 1 << 24;
  let cursor = 0;
  let v6 = 1;
  let publicCursor = (203 << 24) | (0 << 16) | (113 << 8);
  const next = (span: number, align: number): number => {
    cursor = Math.ceil(cursor / align) * align;
    if (cursor + span > PRIVATE_SIZE) cursor = 0; // wraps only past 16 M addresses
    const at = cursor;
    cursor += span;
    return (PRIVATE_START + at) >>> 0;
  };
  custom.forEach((c, i) => {
    const want = counts[i] ?? 0;
    const ranges: IpRange[] = [];
    const kind = kinds.get(c);
    const publicShare = kind === 'relay' ? (rnd() < 0.04 ? 1 : 0) : kind === 'partner' ? (rnd() < 0.3 ? 1 : 0) : 0;
    for (let k = 0; k < want; k++) {
      const r = rnd();
      if (k === 0 && publicShare === 1) {
        const at = publicCursor >>> 0;
        publicCursor += 16;
        ranges.push({ expression: `${v4(at)}/28`, first: v4(at), last: v4((at + 15) >>> 0) });
      } else if (r < 0.015) {
        const at = next(256, 256);
        ranges.push({ expression: `${v4(at)}/24`, first: v4(at), last: v4((at + 255) >>> 0) });
      } else if (r < 0.03) {
        const at = next(64, 64);
        ranges.push({ expression: `${v4(at + 10)}-${v4(at + 40)}`, first: v4(at + 10), last: v4(at + 40) });
      } else if (r < 0.04) {
        const hi = v6 >>> 16;
        const addr = hi === 0 ? `fd00::${(v6 & 0xffff).toString(16)}` : `fd00::${hi.toString(16)}:${(v6 & 0xffff).toString(16)}`;
        v6++;
        ranges.push({ expression: addr, first: addr, last: addr });
      } else {
        cursor += Math.floor(rnd() * 3);
        const at = next(1, 1);
        const text = v4(at);
        ranges.push({ expression: text, first: text, last: text });
      }
    }
    c.remoteIPRanges = ranges;
  });

  // AD entries: relay grants first, then setup's group entries, then the noise of a real ACL.
  const target = options.permissions;
  const essential: Array<[number, Permission]> = [];
  const group: Array<[number, Permission]> = [];
  connectors.forEach((c, idx) => {
    const kind = kinds.get(c);
    if (kind === 'relay' || kind === 'app') {
      essential.push([idx, { identity: c.identity, user: ANON, deny: false, inherited: false, extendedRights: ['ms-Exch-SMTP-Accept-Any-Recipient'] }]);
    }
    for (const g of c.permissionGroups) {
      if (g === 'Custom') continue;
      for (const [user, rights] of GROUP_ACES[g]) {
        for (const right of rights) group.push([idx, { identity: c.identity, user, deny: false, inherited: false, extendedRights: [right] }]);
      }
      if (g === 'ExchangeLegacyServers') {
        for (const right of ['ms-Exch-Accept-Headers-Forest', 'ms-Exch-Accept-Headers-Organization']) {
          group.push([idx, { identity: c.identity, user: 'CORP\\ExchangeLegacyInterop', deny: true, inherited: false, extendedRights: [right] }]);
        }
      }
    }
  });
  const chosen: Array<[number, Permission]> = essential.slice(0, target);
  for (const g of group) { if (chosen.length >= target) break; chosen.push(g); }
  for (let k = 0; chosen.length < target && connectors.length > 0; k++) {
    const idx = Math.floor(rnd() * connectors.length);
    const c = connectors[idx] as ReceiveConnector;
    const r = rnd();
    const entry: Permission = r < 0.6
      ? { identity: c.identity, user: pick(['CORP\\Domain Admins', 'CORP\\Enterprise Admins', 'CORP\\Organization Management', 'NT AUTHORITY\\SYSTEM']), deny: false, inherited: true, extendedRights: [] }
      : r < 0.97
        ? { identity: c.identity, user: `CORP\\svc-app${k % 997}`, deny: false, inherited: false, extendedRights: [pick(['ms-Exch-SMTP-Submit', 'ms-Exch-SMTP-Accept-Any-Recipient', 'ms-Exch-SMTP-Accept-Any-Sender'])] }
        : { identity: c.identity, user: `CORP\\blocked-app${k % 31}`, deny: true, inherited: false, extendedRights: ['ms-Exch-SMTP-Submit'] };
    chosen.push([idx, entry]);
  }
  chosen.sort((a, b) => a[0] - b[0]);

  return {
    schema: SNAPSHOT_SCHEMA,
    servers,
    connectors,
    permissions: chosen.map(([, p]) => p),
    acceptedDomains: [
      { domainName: 'corp.example', domainType: 'Authoritative', default: true },
      { domainName: 'subsidiary.example', domainType: 'Authoritative', default: false },
      { domainName: 'partner-shared.example', domainType: 'InternalRelay', default: false },
    ],
    certificates: servers.map((s, i) => ({
      thumbprint: (0x1000000 + i).toString(16).toUpperCase().padStart(40, 'A'), subject: `CN=${s.name}`, issuer: `CN=${s.name}`,
      notAfter: '2031-06-01T00:00:00Z', dnsNames: [s.name, s.fqdn ?? s.name], services: ['IMAP', 'POP', 'IIS', 'SMTP'], server: s.name,
    })),
    warnings: [],
  };
}
