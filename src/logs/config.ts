// What `logs --config` needs from a snapshot: is a recipient domain outside the accepted
// domains (relay), and which configured remote ranges saw no traffic. Pure.
import type { ReceiveConnector, Snapshot } from '../model.js';
import { classifyDomain } from '../policy/accepted-domains.js';
import { buildPolicy } from '../policy/index.js';
import { containsAddress, parseAddress, tryRangeInterval } from '../net/index.js';

export interface RangeUsage { connector: string; server: string; remoteIp: string }

export interface LogConfig {
  /** true when the domain matches no accepted domain (an accepted RCPT there is relay) */
  isExternal(domain: string): boolean;
  unusedRanges(usage: readonly RangeUsage[]): Array<{ connector: string; expression: string }>;
  /** why some connectors' ranges were not judged (for the text output) */
  notJudged(usage: readonly RangeUsage[]): Array<{ connector: string; reason: string }>;
}

const norm = (s: string): string => s.trim().toLowerCase();

export function logConfigFrom(snapshot: Snapshot): LogConfig {
  const policy = buildPolicy(snapshot);
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
        hit = classifyDomain(policy, domain).class === 'external';
        external.set(domain, hit);
      }
      return hit;
    },
    unusedRanges(usage) {
      const out: Array<{ connector: string; expression: string }> = [];
      for (const c of snapshot.connectors) {
        if (judge(usage, c) !== null) continue;
        for (const range of c.remoteIPRanges) {
          const interval = tryRangeInterval(range);
          // An unparsable range is not judged. A session used this range when it arrived on this
          // connector from inside it; a log whose connector id names no configured connector
          // (renamed, anonymised) counts for any connector.
          const used = interval === null || usage.some((u) => {
            if (norm(u.connector) !== norm(c.identity) && identities.has(norm(u.connector))) return false;
            const a = parseAddress(u.remoteIp);
            return a !== null && containsAddress(interval, a.family, a.value);
          });
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
