// A deterministic, realistic Exchange estate of any size, for the import, audit and replay
// benches: servers of mixed versions with their default connectors and setup's AD entries,
// plus custom connectors — anonymous relay connectors listing private /32s and /24s (a few
// with public hosts), ExternalAuthoritative partner connectors, custom client connectors,
// internal Exchange-server connectors — and enough AD entries to reach the asked count.
// Same options and seed → the same snapshot, byte for byte.
//
// `shape` picks one of the estate shapes the audit must stay fast on (ESTATE_SHAPES); the
// default, `mixed`, is the original estate, unchanged, so the import and replay benches keep
// their figures.
import { formatAddress } from '../../src/net/index.js';
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
  shape?: EstateShape;
}

export type EstateShape = 'mixed' | 'replicated' | 'overlapping' | 'ipv6' | 'dense';

/** What each shape is, in one line (printed by the audit bench). */
export const ESTATE_SHAPES: Record<EstateShape, string> = {
  mixed: 'one server per 50 connectors, relay/partner/client/internal/app connectors with their own ranges',
  replicated: 'the same custom connectors on 200 servers, each copy with mostly shared and some site-specific ranges',
  overlapping: 'one server per 200 connectors in teams of ten whose ranges of every size overlap each other about 16 deep',
  ipv6: 'as mixed, with 85% of the ranges IPv6 (single hosts, /120 blocks, a-b ranges)',
  dense: 'as mixed on one server per 500 connectors',
};

/** Base names of the connectors a multi-site organisation repeats on every server (replicated shape). */
const REPLICATED_NAMES: ReadonlyArray<[string, 'relay' | 'partner' | 'client' | 'internal' | 'app']> = [
  ['Relay Apps', 'relay'], ['Relay Printers', 'relay'], ['Partner Inbound', 'partner'], ['Relay Scanners', 'relay'],
  ['Internal Apps', 'internal'], ['Clients Site', 'client'], ['App Submit', 'app'], ['Relay Legacy', 'relay'],
];

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


const FD00 = 0xfd00n << 112n;

/** The connector's name without its server's (as the replicated shape names copies). */
function sharedNameOf(c: ReceiveConnector): string {
  return c.name.slice(0, c.name.length - c.server.length).trim();
}

function v4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

type Kind = 'relay' | 'partner' | 'client' | 'internal' | 'app';

export function generateEstate(options: EstateOptions): Snapshot {
  const rnd = prng(options.seed ?? 20161020);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const shape = options.shape ?? 'mixed';
  const perServer = shape === 'replicated' ? 10 : shape === 'overlapping' ? 200 : shape === 'dense' ? 500 : 50;
  const serverCount = Math.max(1, options.servers ?? Math.ceil(options.connectors / perServer));

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
    const replicated = shape === 'replicated' ? REPLICATED_NAMES[Math.floor(i / serverCount) % REPLICATED_NAMES.length] : undefined;
    const kind: Kind = replicated !== undefined ? replicated[1]
      : roll < 0.6 ? 'relay' : roll < 0.7 ? 'partner' : roll < 0.8 ? 'client' : roll < 0.9 ? 'internal' : 'app';
    // A replicated connector carries the same name on every server (`Relay Apps EX07`).
    const n = replicated !== undefined ? `${replicated[0]} ${Math.floor(i / (serverCount * REPLICATED_NAMES.length)) || ''}`.trim() : String(i + 1).padStart(4, '0');
    const name = (plain: string): string => `${replicated !== undefined ? n : plain} ${srv.name}`;
    let c: ReceiveConnector;
    if (kind === 'relay') {
      c = mk(srv, name(`Relay ${n}`), fe, rnd() < 0.8 ? [{ address: '0.0.0.0', port: 25 }] : [{ address: srv.ipAddresses[0] ?? '0.0.0.0', port: 25 }],
        { permissionGroups: ['AnonymousUsers'], protocolLoggingLevel: rnd() < 0.3 ? 'Verbose' : 'None' });
    } else if (kind === 'partner') {
      c = mk(srv, name(`Partner ${n}`), fe, [{ address: '0.0.0.0', port: 25 }], { permissionGroups: ['ExchangeServers'], authMechanism: ['Tls', 'ExternalAuthoritative'] });
    } else if (kind === 'client') {
      c = mk(srv, name(`Clients ${n}`), fe, [{ address: '0.0.0.0', port: 587 }], { permissionGroups: ['ExchangeUsers'], authMechanism: rnd() < 0.1 ? ['Tls', 'BasicAuth'] : AUTH_15 });
    } else if (kind === 'internal') {
      c = mk(srv, name(`Internal ${n}`), fe, [{ address: '0.0.0.0', port: 25 }], { permissionGroups: ['ExchangeServers', 'ExchangeLegacyServers'], authMechanism: ['Tls', 'ExchangeServer'] });
    } else {
      c = mk(srv, name(`App ${n}`), fe, [{ address: '0.0.0.0', port: 2587 }], { permissionGroups: ['AnonymousUsers'] });
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
  // IPv6 shape: hosts, /120 blocks and a-b ranges each in a /64 of their own, so they never overlap.
  const v6Host = (subnet: bigint, n: number): string => formatAddress(6, FD00 | (subnet << 64n) | BigInt(n));
  // Replicated: every copy of a connector takes most of its ranges from the pool its name
  // shares on all servers, the rest from its own site; so copies differ a little each.
  const pools = new Map<string, IpRange[]>();
  const poolRange = (): IpRange => {
    if (rnd() < 0.03) {
      const at = next(256, 256);
      return { expression: `${v4(at)}/24`, first: v4(at), last: v4((at + 255) >>> 0) };
    }
    cursor += Math.floor(rnd() * 3);
    const text = v4(next(1, 1));
    return { expression: text, first: text, last: text };
  };
  // Overlapping: connectors of a server come in teams of ten (a site's relay, partner and app
  // connectors) whose ranges fall in a region of their own, sized so that ranges of every kind
  // (hosts, /24s, a-b ranges across /24 boundaries, /20s) lie about 16 deep.
  const TEAM = 10;
  const teams = Math.max(1, serverCount * Math.ceil(custom.length / serverCount / TEAM));
  const regionSize = Math.max(4096, Math.ceil((budget / teams) * 232 / 16 / 4096) * 4096);
  const slots = Math.max(1, Math.floor(PRIVATE_SIZE / regionSize));
  const overlappingRange = (team: number): IpRange => {
    const base = PRIVATE_START + (team % slots) * regionSize;
    const r = rnd();
    const offset = Math.floor(rnd() * regionSize);
    if (r < 0.55) { const at = (base + offset) >>> 0; return { expression: v4(at), first: v4(at), last: v4(at) }; }
    if (r < 0.85 || r >= 0.97) {
      const size = r < 0.85 ? 256 : 4096;
      const at = (base + Math.floor(offset / size) * size) >>> 0;
      return { expression: `${v4(at)}/${32 - Math.log2(size)}`, first: v4(at), last: v4((at + size - 1) >>> 0) };
    }
    const at = (base + offset) >>> 0;
    const end = (at + 16 + Math.floor(rnd() * 496)) >>> 0;
    return { expression: `${v4(at)}-${v4(end)}`, first: v4(at), last: v4(end) };
  };
  const serverIndex = new Map(servers.map((s, i) => [s.name, i]));
  custom.forEach((c, i) => {
    const want = counts[i] ?? 0;
    if (shape === 'replicated') {
      const poolKey = sharedNameOf(c);
      let pool = pools.get(poolKey);
      if (pool === undefined) { pool = []; pools.set(poolKey, pool); }
      const ranges: IpRange[] = [];
      for (let k = 0; k < want; k++) {
        while (pool.length <= k) pool.push(poolRange());
        ranges.push(rnd() < 0.85 ? pool[k] as IpRange : poolRange());
      }
      c.remoteIPRanges = ranges;
      return;
    }
    if (shape === 'overlapping') {
      // Custom connectors go round-robin over the servers: i / servers is the index on its server.
      const team = (serverIndex.get(c.server) ?? 0) * Math.ceil(custom.length / serverCount / TEAM) + Math.floor(Math.floor(i / serverCount) / TEAM);
      c.remoteIPRanges = Array.from({ length: want }, () => overlappingRange(team));
      return;
    }
    if (shape === 'ipv6') {
      const ranges: IpRange[] = [];
      for (let k = 0; k < want; k++) {
        const r = rnd();
        if (r < 0.6) {
          const addr = v6Host(1n, v6++);
          ranges.push({ expression: addr, first: addr, last: addr });
        } else if (r < 0.75) {
          const first = v6Host(2n, v6 * 256);
          const last = v6Host(2n, v6 * 256 + 255);
          v6++;
          ranges.push({ expression: `${first}/120`, first, last });
        } else if (r < 0.85) {
          const first = v6Host(3n, v6 * 256 + 10);
          const last = v6Host(3n, v6 * 256 + 200);
          v6++;
          ranges.push({ expression: `${first}-${last}`, first, last });
        } else {
          const text = v4(next(1, 1));
          ranges.push({ expression: text, first: text, last: text });
        }
      }
      c.remoteIPRanges = ranges;
      return;
    }
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
