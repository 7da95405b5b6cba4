// What `logs --config` needs from a snapshot: is a recipient domain outside the accepted
// domains (relay), and which configured remote ranges saw no traffic. Pure.
// TODO(policy): switch to classifyDomain (src/policy/accepted-domains.ts) and the range
// helpers of src/policy/ip.ts once the policy engine is committed; until then the matching
// below follows reference §7 and §5.1 directly and is kept to this one file.
import ipaddr from 'ipaddr.js';
import type { AcceptedDomain, IpRange, ReceiveConnector, Snapshot } from '../model.js';

export interface RangeUsage { connector: string; server: string; remoteIp: string }

export interface LogConfig {
  /** true when the domain matches no accepted domain (an accepted RCPT there is relay) */
  isExternal(domain: string): boolean;
  unusedRanges(usage: readonly RangeUsage[]): Array<{ connector: string; expression: string }>;
  /** why some connectors' ranges were not judged (for the text output) */
  notJudged(usage: readonly RangeUsage[]): Array<{ connector: string; reason: string }>;
}

/** Reference §7: exact name, `*.x` for x's subdomains, a bare `*` for every domain. Any type counts. */
export function matchesAcceptedDomain(domain: string, accepted: AcceptedDomain): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const a = accepted.domainName.trim().toLowerCase().replace(/\.$/, '');
  if (a === '*') return true;
  if (a.startsWith('*.')) {
    const base = a.slice(2);
    return d === base || d.endsWith(`.${base}`);
  }
  return d === a;
}

function toBig(text: string): { v6: boolean; value: bigint } | null {
  const t = text.trim().replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(t)) return null;
  let addr = ipaddr.parse(t);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  let value = 0n;
  for (const b of addr.toByteArray()) value = (value << 8n) | BigInt(b);
  return { v6: addr.kind() === 'ipv6', value };
}

function rangeContains(range: IpRange, ip: string): boolean {
  const a = toBig(ip), f = toBig(range.first), l = toBig(range.last);
  if (a === null || f === null || l === null || a.v6 !== f.v6) return false;
  return a.value >= f.value && a.value <= l.value;
}

const norm = (s: string): string => s.trim().toLowerCase();

export function logConfigFrom(snapshot: Snapshot): LogConfig {
  const accepted = snapshot.acceptedDomains;
  const external = new Map<string, boolean>();
  const identities = new Set(snapshot.connectors.map((c) => norm(c.identity)));

  const judge = (usage: readonly RangeUsage[], c: ReceiveConnector): string | null => {
    const servers = new Set(usage.map((u) => norm(u.server)));
    if (!servers.has(norm(c.server))) return `no logs from server ${c.server}`;
    const logged = usage.some((u) => norm(u.connector) === norm(c.identity));
    if (!logged && c.protocolLoggingLevel !== 'Verbose') return 'protocol logging is off on this connector (Set-ReceiveConnector -ProtocolLoggingLevel Verbose)';
    return null;
  };

  return {
    isExternal(domain: string): boolean {
      let hit = external.get(domain);
      if (hit === undefined) {
        hit = !accepted.some((a) => matchesAcceptedDomain(domain, a));
        external.set(domain, hit);
      }
      return hit;
    },
    unusedRanges(usage) {
      const out: Array<{ connector: string; expression: string }> = [];
      for (const c of snapshot.connectors) {
        if (judge(usage, c) !== null) continue;
        for (const range of c.remoteIPRanges) {
          // A session used this range when it arrived on this connector from inside it; a log
          // whose connector id names no configured connector (renamed, anonymised) counts too.
          const used = usage.some((u) => rangeContains(range, u.remoteIp)
            && (norm(u.connector) === norm(c.identity) || !identities.has(norm(u.connector))));
          if (!used) out.push({ connector: c.identity, expression: range.expression });
        }
      }
      return out;
    },
    notJudged(usage) {
      const out: Array<{ connector: string; reason: string }> = [];
      for (const c of snapshot.connectors) {
        const reason = judge(usage, c);
        if (reason !== null && c.remoteIPRanges.length > 0) out.push({ connector: c.identity, reason });
      }
      return out;
    },
  };
}
