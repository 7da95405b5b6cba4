// The text a consultant pastes into a workshop: per connector, who sends the most, who relays
// to the outside, and which configured ranges saw nothing. Rendered from the JSON document.
import type { LogsDocument, LogsSender } from './aggregate.js';

export interface TextExtras {
  /** connectors whose ranges could not be judged, and why */
  notJudged: Array<{ connector: string; reason: string }>;
  topSenders?: number;
}

const top = (counts: Record<string, number>, n = 3): string => {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '-';
  const shown = entries.slice(0, n).map(([d, c]) => `${d} (${c})`).join(', ');
  return entries.length > n ? `${shown}, +${entries.length - n} more` : shown;
};

const CATCH_ALL = new Set(['0.0.0.0-255.255.255.255', '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '0.0.0.0/0', '::/0']);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function who(s: LogsSender): string {
  // Message tracking logs say nothing about authentication or TLS.
  if (!s.seenIn.includes('protocol')) return 'auth and TLS unknown (message tracking logs only)';
  const auth = s.authenticatedAs.length === 0 ? 'anonymous' : `auth ${s.authenticatedAs.join(', ')}`;
  return `${auth}, ${s.tls ? 'TLS' : 'not (always) TLS'}`;
}

export function renderLogsText(doc: LogsDocument, extras: TextExtras): string {
  const out: string[] = [];
  const first = doc.senders.reduce<string | null>((m, s) => (m === null || s.firstSeen < m ? s.firstSeen : m), null);
  const last = doc.senders.reduce<string | null>((m, s) => (m === null || s.lastSeen > m ? s.lastSeen : m), null);
  const protocolFiles = doc.files - doc.trackingFiles;
  const kinds = doc.trackingFiles === 0 ? 'SMTP receive protocol logs'
    : protocolFiles === 0 ? 'Message tracking logs'
      : `SMTP receive protocol logs and message tracking logs (${protocolFiles} + ${doc.trackingFiles})`;
  out.push(`${kinds}: ${plural(doc.files, 'file')}, ${plural(doc.lines, 'line')}, ${plural(doc.sessions, 'session')}, ${plural(doc.messages, 'message')}`);
  if (first !== null && last !== null) out.push(`Period: ${first} to ${last}`);
  const withConfig = doc.unusedRanges !== null;
  if (!withConfig) out.push('Recipients are not classed internal/external and unused ranges are not listed: add --config with the configuration exports.');

  const byConnector = new Map<string, LogsSender[]>();
  for (const s of doc.senders) {
    const list = byConnector.get(s.connector) ?? [];
    list.push(s);
    byConnector.set(s.connector, list);
  }
  const unused = new Map<string, string[]>();
  for (const u of doc.unusedRanges ?? []) unused.set(u.connector, [...(unused.get(u.connector) ?? []), u.expression]);
  const connectors = [...new Set([...byConnector.keys(), ...unused.keys()])].sort();
  const limit = extras.topSenders ?? 10;

  for (const connector of connectors) {
    const senders = byConnector.get(connector) ?? [];
    const sessions = senders.reduce((n, s) => n + s.sessions, 0);
    const messages = senders.reduce((n, s) => n + s.messages, 0);
    out.push('', `${connector === '' ? '(no connector matched)' : connector}: ${plural(senders.length, 'sender')}, ${plural(sessions, 'session')}, ${plural(messages, 'message')}`);
    if (senders.length > 0) {
      out.push('  Top senders:');
      const ranked = [...senders].sort((a, b) => b.messages - a.messages || b.sessions - a.sessions);
      for (const s of ranked.slice(0, limit)) {
        out.push(`    ${s.remoteIp.padEnd(15)} ${String(s.messages).padStart(6)} msg ${String(s.sessions).padStart(5)} sess  ${who(s)}`);
        out.push(`    ${''.padEnd(15)} from ${top(s.mailFromDomains)}; to ${top(s.rcptDomains)}${s.rejectedRecipients > 0 ? `; ${plural(s.rejectedRecipients, 'recipient')} rejected` : ''}`);
      }
      if (ranked.length > limit) out.push(`    … and ${ranked.length - limit} more (see --format json)`);
    }
    if (withConfig) {
      const relays = senders.filter((s) => (s.externalRecipients ?? 0) > 0).sort((a, b) => (b.externalRecipients ?? 0) - (a.externalRecipients ?? 0));
      if (relays.length === 0) out.push('  Relays externally: nobody');
      else {
        out.push('  Relays externally (accepted recipients outside the accepted domains):');
        for (const s of relays) out.push(`    ${s.remoteIp.padEnd(15)} ${plural(s.externalRecipients ?? 0, 'external recipient')}, ${who(s)}`);
      }
      // The catch-all ranges of a default connector (all IPv4, all IPv6) are not stale entries.
      const ranges = (unused.get(connector) ?? []).filter((r) => !CATCH_ALL.has(r));
      out.push(ranges.length === 0 ? '  Unused remote ranges: none' : `  Unused remote ranges (no traffic in these logs; candidates to remove): ${ranges.join(', ')}`);
    }
  }
  if (extras.notJudged.length > 0) {
    // One line per reason: a server without logs should not fill a screen with its connectors.
    const byReason = new Map<string, string[]>();
    for (const n of extras.notJudged) byReason.set(n.reason, [...(byReason.get(n.reason) ?? []), n.connector]);
    out.push('', 'Ranges not judged:');
    for (const [reason, list] of byReason) {
      const names = list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
      out.push(`  ${reason}: ${names}`);
    }
  }
  return `${out.join('\n')}\n`;
}
