// Connector limits enforced per session (reference §6.4a): read from the exported properties
// (kept in `extra` as the export printed them: `5`, `Unlimited`, `256 KB (262,144 bytes)`), and
// the state they need across sessions (message rate per source, open connections).
// A limit the export does not contain is not enforced: nothing is concluded from a value the
// export did not carry (the default-install fixtures carry Exchange's defaults explicitly) —
// except MaxLogonFailures and MaxProtocolErrors, see connectorLimits.
import type { JsonValue } from '../json.js';
import type { ReceiveConnector } from '../model.js';
import { extraValue } from './extra.js';

export type MessageRateSource = 'None' | 'IPAddress' | 'User' | 'All';

export interface ConnectorLimits {
  /** Exchange's default (3 / 5) when not exported; null: Unlimited. */
  maxLogonFailures: number | null;
  maxProtocolErrors: number | null;
  /** undefined: not exported (not enforced); null: Unlimited. Same below. */
  maxHeaderSize: number | null | undefined;
  maxHopCount: number | null | undefined;
  messageRateLimit: number | null | undefined;
  messageRateSource: MessageRateSource;
  maxInboundConnection: number | null | undefined;
  maxInboundConnectionPerSource: number | null | undefined;
}

/** `5` / 5 → 5, `Unlimited` → null, anything else (or absent) → undefined. */
export function limitCount(value: JsonValue | undefined): number | null | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  if (/^unlimited$/i.test(t)) return null;
  if (/^\d{1,10}$/.test(t)) return Number(t);
  return undefined;
}

/** `256 KB (262,144 bytes)` / `262144` / 262144 → 262144, `Unlimited` → null, else undefined. */
export function limitBytes(value: JsonValue | undefined): number | null | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  if (/^unlimited$/i.test(t)) return null;
  const inBrackets = /\(([\d,.\s]+)\s*bytes\)/i.exec(t);
  if (inBrackets !== null) return Number((inBrackets[1] ?? '').replace(/[,.\s]/g, ''));
  if (/^\d{1,15}$/.test(t)) return Number(t);
  const unit = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/i.exec(t);
  if (unit !== null) return Math.round(Number(unit[1]) * 1024 ** ['B', 'KB', 'MB', 'GB'].indexOf((unit[2] ?? 'B').toUpperCase()));
  return undefined;
}

function rateSource(value: JsonValue | undefined): MessageRateSource {
  const t = typeof value === 'string' ? value.trim().toLowerCase() : typeof value === 'number' ? String(value) : '';
  if (t === 'user' || t === '2') return 'User';
  if (t === 'all' || t === '3') return 'All';
  if (t === 'none' || t === '0') return 'None';
  // IPAddress is the default of a new connector (reference §1.2).
  return 'IPAddress';
}

const DEFAULT_MAX_LOGON_FAILURES = 3;
const DEFAULT_MAX_PROTOCOL_ERRORS = 5;
const memo = new WeakMap<ReceiveConnector, ConnectorLimits>();

export function connectorLimits(c: ReceiveConnector): ConnectorLimits {
  const known = memo.get(c);
  if (known !== undefined) return known;
  const x = c.extra;
  const limits: ConnectorLimits = {
    // The two error limits only ever close sessions that are already failing, never refuse
    // good mail: without an exported value they take Exchange's documented defaults (§1.2).
    maxLogonFailures: limitCount(extraValue(x, 'MaxLogonFailures')) ?? DEFAULT_MAX_LOGON_FAILURES,
    maxProtocolErrors: limitCount(extraValue(x, 'MaxProtocolErrors')) ?? DEFAULT_MAX_PROTOCOL_ERRORS,
    maxHeaderSize: limitBytes(extraValue(x, 'MaxHeaderSize')),
    maxHopCount: limitCount(extraValue(x, 'MaxHopCount')),
    messageRateLimit: limitCount(extraValue(x, 'MessageRateLimit')),
    messageRateSource: rateSource(extraValue(x, 'MessageRateSource')),
    maxInboundConnection: limitCount(extraValue(x, 'MaxInboundConnection')),
    maxInboundConnectionPerSource: limitCount(extraValue(x, 'MaxInboundConnectionPerSource')),
  };
  memo.set(c, limits);
  return limits;
}

/** A count limit that applies: exported, not Unlimited, and not 0 where 0 means "never" (MaxLogonFailures). */
export function enforced(limit: number | null | undefined): limit is number {
  return typeof limit === 'number';
}

const MINUTE_MS = 60_000;

/**
 * What several sessions of one server share: accepted messages per rate key in the last
 * minute (MessageRateLimit is messages per minute, reference §1.2). Replay gives each scenario
 * its own; the sandbox one for its lifetime.
 */
export class LimitState {
  private readonly accepted = new Map<string, number[]>();

  /** Messages accepted under `key` in the minute before `now`. */
  recent(key: string, now: number): number {
    const times = this.accepted.get(key);
    if (times === undefined) return 0;
    while (times.length > 0 && (times[0] ?? 0) <= now - MINUTE_MS) times.shift();
    if (times.length === 0) this.accepted.delete(key);
    return times.length;
  }

  record(key: string, now: number): void {
    const times = this.accepted.get(key);
    if (times === undefined) this.accepted.set(key, [now]); else times.push(now);
  }
}
