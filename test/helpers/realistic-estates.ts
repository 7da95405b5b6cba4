// A deterministic variety of the organisations a consultant meets when auditing SMTP relay, each
// with the traffic its logs would show (`audit --logs`: one ObservedSender per device and
// connector, src/proof/observed.ts), because a relay audit is done with the logs.
//
// Why archetypes rather than random connectors: the share of findings that can carry a proved
// fix depends on what estates look like, and a random mix (many anonymous Front End relays on
// public ranges, as the performance generator makes to stress the engine) says nothing about
// the estates customers have. Each archetype is a situation seen in the field, with seeded
// variations (versions, host counts, which copy lacks a host, logging on or off):
//
// - small-office: one 2016 or 2019 server, a copier relay. In one case in three the admin made
//   the copier work by granting anonymous Accept-Any-Recipient on Default Frontend itself (the
//   classic open Default Frontend).
// - two-server-site: a DAG pair (2016, 2019 or Subscription Edition) with the same printer and
//   application relay connectors on both servers (Microsoft's method A: AnonymousUsers plus the
//   Accept-Any-Recipient entry), sometimes a printer added on one server only.
// - broad-app-relay: the application relay "temporarily" opened to a whole /16 of the server
//   network, sometimes with a hosting provider's public /22 added for a web shop.
// - partner: an externally secured partner connector for a public /28 (a supplier's mail
//   servers), beside a printer relay; the partner only delivers to the organisation's mailboxes,
//   or also relays to outside recipients (a service desk mailing the organisation's customers).
// - internal-trusted-apps: application servers relayed with ExternalAuthoritative (Microsoft's
//   method B) on a few private addresses.
// - coexistence-2010: a 2010 hub (or two) still relaying for printers beside 2016 servers during
//   the migration (2010 never coexists with 2019); the 2010 relay connectors have no TransportRole.
// - hybrid-ish: mailboxes mostly in Exchange Online, the last on-premises servers kept for
//   management and the relay of applications and devices; an "Inbound from Office 365" connector
//   takes Microsoft 365's ranges on port 25 with plain anonymous rights (no relay). Which
//   properties the Hybrid Configuration Wizard writes is not in the reference (unconfirmed), so
//   the archetype models only the relay side.
// - subscription-edition: a recently migrated organisation (Subscription Edition), relay
//   connectors carried over with protocol logging on.
//
// Traffic: internet senders reach Default Frontend (or the Microsoft 365 connector) and write to
// the organisation; users submit on 587 with their accounts; printers mail internal users;
// applications mail outside recipients; some configured hosts are retired and never seen. Every
// host is attributed to the connector Exchange selects for it (the policy engine), and a host is
// only counted as relaying where that connector lets it relay. Same seed, same estates.
import type { ObservedSender, ReceiveConnector, Snapshot } from '../../src/model.js';
import { buildPolicy, canRelayAnonymously, isExternallySecured, selectConnector } from '../../src/policy/index.js';
import { prng } from '../../bench/lib/prng.js';
import { R, acceptedDomain, connector, defaultInstall, estate, groupPermissions, permission, range, type ExchangeVersion } from './build.js';

export const ARCHETYPES = [
  'small-office', 'two-server-site', 'broad-app-relay', 'partner', 'internal-trusted-apps', 'coexistence-2010', 'hybrid-ish', 'subscription-edition',
] as const;
export type Archetype = (typeof ARCHETYPES)[number];

export interface RealisticEstate {
  name: string;
  archetype: Archetype;
  snapshot: Snapshot;
  /** What `audit --logs` would hand the rules for this estate's logs. */
  observedSenders: ObservedSender[];
}

/** Subscription Edition: 2019's connectors with a 15.2 build of 2562 or later. */
const SE_VERSION = 'Version 15.2 (Build 2562.17)';
/** Microsoft 365's published sending ranges (a few of them, as admins type them in). */
const MICROSOFT_365 = ['40.92.0.0/15', '40.107.0.0/16', '52.100.0.0/14', '104.47.0.0/17'];

type Layout = ExchangeVersion | 'se';

interface Planned { ip: string; server: string; port: number; relays: boolean; authenticated?: boolean; messages: number }

/** One estate of an archetype; `seed` varies it. */
export function realisticEstate(archetype: Archetype, seed: number): RealisticEstate {
  const rnd = prng(seed * 104729 + ARCHETYPES.indexOf(archetype) * 7919 + 17);
  const chance = (p: number): boolean => rnd() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const between = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const site = between(20, 90);

  const layout: Layout[] = (() => {
    switch (archetype) {
      case 'small-office': return [pick(['2016', '2019'] as const)];
      case 'two-server-site': { const v = pick(['2016', '2019', 'se'] as const); return [v, v]; }
      case 'broad-app-relay': case 'partner': { const v = pick(['2016', '2019'] as const); return [v, v]; }
      case 'internal-trusted-apps': return chance(0.5) ? ['2016'] : ['2019', '2019'];
      case 'coexistence-2010': return chance(0.5) ? ['2010', '2016', '2016'] : ['2010', '2010', '2016', '2016'];
      case 'hybrid-ish': return chance(0.5) ? ['2019'] : ['se', 'se'];
      case 'subscription-edition': return chance(0.5) ? ['se'] : ['se', 'se'];
    }
  })();
  const servers = layout.map((v, i) => ({
    version: v === 'se' ? '2019' as const : v, se: v === 'se',
    name: `${v === '2010' ? 'EX10' : v === 'se' ? 'EXSE' : `EX${v.slice(2)}`}-${String.fromCharCode(65 + i)}${seed}`,
    ip: `10.${site}.0.${11 + i}`,
  }));
  const snap = estate(...servers.map((s) => {
    const install = defaultInstall(s.version, { server: s.name, ipAddress: s.ip });
    if (s.se) for (const srv of install.servers) srv.version = SE_VERSION;
    return install;
  }));
  snap.acceptedDomains = [acceptedDomain()];
  const add = (c: ReceiveConnector, explicitRelay: boolean): void => {
    snap.connectors.push(c);
    snap.permissions.push(...groupPermissions(c), ...(explicitRelay ? [permission({ identity: c.identity, extendedRights: [R.anyRecipient] })] : []));
  };
  const legacy = (s: (typeof servers)[number]): boolean => s.version === '2010';
  const port25 = [{ address: '0.0.0.0', port: 25 }];
  const logging = (): 'Verbose' | 'None' => (chance(0.55) ? 'Verbose' : 'None');
  const host = (subnet: number, last: number): string => `10.${site}.${subnet}.${last}`;

  // Hosts the configuration names, and those the logs see (some configured hosts are retired).
  const printers = Array.from({ length: between(2, 8) }, (_, i) => host(40, 20 + i * 3));
  const apps = Array.from({ length: between(1, 4) }, (_, i) => host(60, 10 + i));
  const planned: Planned[] = [];
  const seen = (ips: readonly string[], relays: boolean, onServers: ReadonlyArray<(typeof servers)[number]>): void => {
    for (const ip of ips) {
      if (chance(0.15)) continue; // retired: configured, never seen in the logs
      planned.push({ ip, server: pick(onServers).name, port: 25, relays, messages: between(2, 400) });
    }
  };
  /** A relay connector on every given server, named alike, with its hosts; one copy sometimes lacks the newest host. */
  const relayEverywhere = (base: string, on: ReadonlyArray<(typeof servers)[number]>, ranges: readonly string[], lagging: boolean): void => {
    on.forEach((s, i) => {
      const own = lagging && i === on.length - 1 && ranges.length > 1 ? ranges.slice(0, -1) : ranges;
      add(connector({
        identity: `${s.name}\\${base} ${s.name}`, ...(legacy(s) ? { transportRole: null } : {}), bindings: port25,
        remoteIPRanges: own.map(range), permissionGroups: ['AnonymousUsers'], protocolLoggingLevel: logging(),
      }), true);
    });
  };
  const modern = servers.filter((s) => !legacy(s));

  switch (archetype) {
    case 'small-office': {
      const s = servers[0] as (typeof servers)[number];
      const copiers = printers.slice(0, between(1, 3));
      if (chance(0.35)) {
        // The copier "could not send outside": anonymous got Accept-Any-Recipient on Default Frontend.
        snap.permissions.push(permission({ identity: `${s.name}\\Default Frontend ${s.name}`, extendedRights: [R.anyRecipient] }));
        seen(copiers, true, servers);
      } else {
        relayEverywhere('Relay', servers, copiers, false);
        seen(copiers, chance(0.5), servers);
      }
      break;
    }
    case 'two-server-site':
    case 'subscription-edition': {
      relayEverywhere('Relay Printers', servers, chance(0.5) ? printers : [`${host(40, 0)}/27`], archetype === 'two-server-site' && chance(0.3));
      relayEverywhere('Relay Apps', servers, apps, false);
      seen(printers, false, servers);
      seen(apps, true, servers);
      break;
    }
    case 'broad-app-relay': {
      const ranges = [`10.${site}.0.0/16`, ...(chance(0.4) ? [pick(['203.0.113.0/24', '198.51.100.0/24']), '192.0.2.0/24'] : [])];
      relayEverywhere('Relay Apps', servers, ranges, false);
      relayEverywhere('Relay Printers', servers, printers, false);
      seen(apps, true, servers);
      seen(printers, false, servers);
      break;
    }
    case 'partner': {
      const partnerRange = pick(['198.51.100.16/28', '203.0.113.32/28', '192.0.2.64/29']);
      servers.forEach((s) => add(connector({
        identity: `${s.name}\\Partner Fabrikam ${s.name}`, bindings: port25, remoteIPRanges: [range(partnerRange)],
        authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'], protocolLoggingLevel: logging(),
      }), false));
      const first = range(partnerRange).first.split('.').map(Number);
      const partnerHosts = [1, 2].map((k) => `${first.slice(0, 3).join('.')}.${(first[3] ?? 0) + k}`);
      seen(partnerHosts, chance(0.4), servers);
      relayEverywhere('Relay Printers', servers, printers, false);
      seen(printers, false, servers);
      break;
    }
    case 'internal-trusted-apps': {
      const appRanges = chance(0.6) ? apps : [`${host(60, 0)}/24`];
      servers.forEach((s) => add(connector({
        identity: `${s.name}\\Internal Apps ${s.name}`, bindings: port25, remoteIPRanges: appRanges.map(range),
        authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'], protocolLoggingLevel: logging(),
      }), false));
      seen(apps, true, servers);
      break;
    }
    case 'coexistence-2010': {
      const hubs = servers.filter(legacy);
      relayEverywhere('Relay', hubs, printers, chance(0.3));
      relayEverywhere('Relay', modern, printers, false);
      seen(printers, chance(0.3), hubs);
      break;
    }
    case 'hybrid-ish': {
      servers.forEach((s) => add(connector({
        identity: `${s.name}\\Inbound from Office 365 ${s.name}`, bindings: port25, remoteIPRanges: MICROSOFT_365.map(range),
        permissionGroups: ['AnonymousUsers'], protocolLoggingLevel: 'Verbose',
      }), false));
      relayEverywhere('Relay Apps', servers, apps, false);
      seen(apps, true, servers);
      seen(['40.107.22.40', '40.107.74.51', '52.100.8.9'], false, servers);
      break;
    }
  }
  // Everyone else: internet mail to the organisation, users submitting with their accounts.
  for (const ip of ['203.0.113.77', '198.51.100.140', '209.85.220.41']) {
    planned.push({ ip, server: pick(modern.length > 0 ? modern : servers).name, port: 25, relays: false, messages: between(20, 2000) });
  }
  for (let i = 0; i < 3; i++) planned.push({ ip: host(100, 30 + i), server: pick(servers).name, port: 587, relays: true, authenticated: true, messages: between(5, 50) });

  return { name: `${archetype} ${seed} (${layout.join('+')})`, archetype, snapshot: snap, observedSenders: observe(snap, planned) };
}

/** The logs' rows: each host on the connector Exchange selects for it, relaying only where that connector lets it. */
function observe(snapshot: Snapshot, planned: readonly Planned[]): ObservedSender[] {
  const policy = buildPolicy(snapshot);
  const out: ObservedSender[] = [];
  for (const p of planned) {
    const c = selectConnector(policy, { server: p.server, port: p.port, localAddress: null }, p.ip);
    if (c === null) continue;
    const mayRelay = p.authenticated === true || canRelayAnonymously(policy, c) || isExternallySecured(c);
    out.push({
      connector: c.identity, server: c.server, remoteIp: p.ip, authenticated: p.authenticated === true, messages: p.messages,
      externalRecipients: p.relays && mayRelay ? Math.max(1, Math.floor(p.messages / 3)) : 0,
    });
  }
  return out;
}

/** `perArchetype` estates of every archetype. */
export function realisticVariety(perArchetype = 3): RealisticEstate[] {
  return ARCHETYPES.flatMap((a) => Array.from({ length: perArchetype }, (_, i) => realisticEstate(a, i + 1)));
}
