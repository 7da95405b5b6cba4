// A deterministic variety of realistic small estates for the fix proofs (issue: ≥70% of the
// findings above info carry a proved script): one to three servers of 2010, 2016 or 2019 as
// real organisations mix them (2010 beside 2016 during a migration, never beside 2019), each
// with setup's connectors and entries, and a seeded mix of the misconfigurations the rules
// catch — relay and partner connectors (same name on several servers, sometimes with other
// ranges), BasicAuth before TLS, connectors without TLS or protocol logging, duplicated,
// overlapping, shadowed and disabled connectors, expired certificates, Deny entries, wildcard
// relay domains and hub connectors on a Front End port. Subscription Edition (2019's connectors,
// a supported build) appears alone and beside 2016 or 2019. Same seed, same estates.
import type { Snapshot } from '../../src/model.js';
import { prng } from '../../bench/lib/prng.js';
import {
  R, acceptedDomain, anonymousRelay, certificate, connector, defaultInstall, estate, permission, range,
  type ExchangeVersion,
} from './build.js';

type Layout = ExchangeVersion | 'se';
/** Subscription Edition: 2019's connectors with a 15.2 build of 2562 or later. */
const SE_VERSION = 'Version 15.2 (Build 2562.17)';
const LAYOUTS: ReadonlyArray<readonly Layout[]> = [
  ['2016'], ['2019'], ['2010', '2016'], ['2016', '2016'], ['2019', '2019'], ['2010', '2010', '2016'], ['2016', '2019'], ['2019', '2019', '2019'],
  ['se'], ['se', 'se'], ['2016', 'se'], ['2019', 'se', 'se'],
];

export interface GeneratedEstate { name: string; snapshot: Snapshot }

/** One estate: `index` picks the layout, `seed` the misconfigurations. */
export function generateEstate(seed: number, index: number): GeneratedEstate {
  const rnd = prng(seed * 7919 + index);
  const chance = (p: number): boolean => rnd() < p;
  const layout = LAYOUTS[index % LAYOUTS.length] ?? ['2016'];
  const servers = layout.map((layoutVersion, i) => ({
    version: layoutVersion === 'se' ? '2019' as const : layoutVersion, se: layoutVersion === 'se',
    name: `${layoutVersion === '2010' ? 'EX10' : layoutVersion === 'se' ? 'EXSE' : 'EX'}${String.fromCharCode(65 + i)}${index}`, ip: `10.0.${index % 200}.${11 + i}`,
  }));
  const parts: Snapshot[] = servers.map((s) => {
    const install = defaultInstall(s.version, { server: s.name, ipAddress: s.ip });
    if (s.se) for (const srv of install.servers) srv.version = SE_VERSION;
    return install;
  });
  const snap = estate(...parts);
  snap.acceptedDomains = [acceptedDomain()];
  const features: string[] = [];
  const add = (...items: Parameters<typeof estate>): void => {
    const extra = estate(...items);
    snap.connectors.push(...extra.connectors);
    snap.permissions.push(...extra.permissions);
  };
  const legacy = (v: ExchangeVersion): boolean => v === '2010';
  const port25 = [{ address: '0.0.0.0', port: 25 }];
  const relayRanges = chance(0.5) ? ['10.1.1.0/28', '10.1.2.5'] : ['10.1.1.5', '10.1.1.6', '10.1.4.0/27'];

  // Organisations configure their servers alike (often by one script); one server in ten differs.
  const f = { relay: chance(0.8), duplicate: chance(0.25), overlap: chance(0.25), deny: chance(0.2), partner: chance(0.5), basic: chance(0.45), disabled: chance(0.2), shadowed: chance(0.2), hub: chance(0.2), expired: chance(0.25) };
  const on = (flag: boolean): boolean => flag !== chance(0.1);
  servers.forEach((s, i) => {
    const role = legacy(s.version) ? { transportRole: null } : {};
    if (on(f.relay)) {
      // The same relay connector on every server, sometimes with a host missing on one.
      const ranges = i > 0 && chance(0.3) ? relayRanges.slice(1) : relayRanges;
      add(anonymousRelay({ identity: `${s.name}\\Relay ${s.name}`, ...role, bindings: port25, remoteIPRanges: ranges.map(range), protocolLoggingLevel: chance(0.5) ? 'Verbose' : 'None' }));
      features.push('relay');
      if (on(f.duplicate)) {
        add(connector({ identity: `${s.name}\\Relay copy`, ...role, bindings: port25, remoteIPRanges: ranges.map(range), permissionGroups: ['AnonymousUsers'] }),
          chance(0.6) ? permission({ identity: `${s.name}\\Relay copy` }) : []);
        features.push('duplicate');
      }
      if (on(f.overlap)) {
        add(connector({ identity: `${s.name}\\Apps`, ...role, bindings: port25, permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.1.1.8-10.1.1.40')] }));
        features.push('overlap');
      }
      if (on(f.deny)) {
        add(permission({ identity: `${s.name}\\Relay ${s.name}`, user: 'CORP\\old-scanner', deny: true, extendedRights: [R.submit] }));
        features.push('deny');
      }
    }
    if (on(f.partner)) {
      add(connector({ identity: `${s.name}\\Partner Fabrikam`, ...role, bindings: port25, remoteIPRanges: [range('192.0.2.16/28')], permissionGroups: ['Partners'],
        authMechanism: chance(0.5) ? [] : ['Tls'], protocolLoggingLevel: chance(0.5) ? 'Verbose' : 'None' }));
      features.push('partner');
    }
    if (on(f.basic)) {
      const fqdn = chance(0.3) ? 'handhelds.corp.example' : `${s.name.toLowerCase()}.corp.example`;
      add(connector({ identity: `${s.name}\\Handhelds`, ...role, bindings: [{ address: '0.0.0.0', port: legacy(s.version) ? 2587 : 2588 }], transportRole: legacy(s.version) ? null : 'FrontendTransport',
        remoteIPRanges: [range('10.40.0.0/22')], permissionGroups: ['ExchangeUsers'], authMechanism: chance(0.5) ? ['BasicAuth'] : ['Tls', 'BasicAuth'], fqdn }));
      features.push('basic-auth');
    }
    if (on(f.disabled)) {
      add(connector({ identity: `${s.name}\\Old Relay`, ...role, enabled: false, bindings: port25, remoteIPRanges: [range('10.9.0.0/16')] }));
      features.push('disabled');
    }
    if (on(f.shadowed)) {
      add(connector({ identity: `${s.name}\\Scan Wide`, ...role, bindings: port25, remoteIPRanges: [range('10.3.3.0/24')], protocolLoggingLevel: 'Verbose' }),
        connector({ identity: `${s.name}\\Scan A`, ...role, bindings: port25, remoteIPRanges: [range('10.3.3.0/25')], protocolLoggingLevel: 'Verbose' }),
        connector({ identity: `${s.name}\\Scan B`, ...role, bindings: port25, remoteIPRanges: [range('10.3.3.128/25')], protocolLoggingLevel: 'Verbose' }));
      features.push('shadowed');
    }
    if (!legacy(s.version) && on(f.hub)) {
      add(anonymousRelay({ identity: `${s.name}\\Hub Scanners`, transportRole: 'HubTransport', bindings: port25, remoteIPRanges: [range('10.5.0.0/26')], protocolLoggingLevel: 'Verbose' }));
      features.push('port-conflict');
    }
    if (on(f.expired)) {
      // The server's SMTP certificate expired; sometimes a renewed one is already installed and named on a connector.
      snap.certificates = snap.certificates.filter((c) => c.server !== s.name);
      snap.certificates.push(certificate({ server: s.name, notAfter: '2026-02-01T00:00:00Z' }));
      if (chance(0.5)) {
        snap.certificates.push(certificate({ server: s.name, subject: `CN=${s.name.toLowerCase()}.corp.example`, issuer: 'CN=Corp Issuing CA', thumbprint: `${'F'.repeat(38)}${String(index % 100).padStart(2, '0')}` }));
        const named = snap.connectors.find((c) => c.identity === `${s.name}\\Default Frontend ${s.name}` || c.identity === `${s.name}\\Default ${s.name}`);
        if (named !== undefined) named.tlsCertificateName = `<I>CN=${s.name}<S>CN=${s.name}`;
      }
      features.push('expired-certificate');
    }
  });
  if (chance(0.2)) {
    snap.acceptedDomains.push(acceptedDomain({ domainName: chance(0.5) ? '*' : '*.com', domainType: 'InternalRelay', default: false, extra: { name: 'Smart host relay' } }));
    features.push('wildcard-domain');
  }
  return { name: `estate ${seed}/${index} (${layout.join('+')}: ${[...new Set(features)].join(', ') || 'defaults'})`, snapshot: snap };
}

/** `count` estates for one seed. */
export function generateVariety(seed: number, count: number): GeneratedEstate[] {
  return Array.from({ length: count }, (_, i) => generateEstate(seed, i));
}
