// `logs --scenarios`: one scenario per distinct (server and port, remote address, account,
// TLS, sender domain, recipient class) seen in the logs, so `replay --compare` can say which
// real senders break after a change. Pure.
import { SCENARIOS_SCHEMA, type Scenario, type ScenarioUser, type ScenariosDocument } from '../model.js';
import { allCombos, compareAddresses, comboKey, mergeCombo, NULL_SENDER, type LogAggregate, type TrafficCombo } from './aggregate.js';
import type { LogConfig } from './config.js';

/** Replay never talks to the real Exchange; the password only has to match the users table. */
export const REPLAY_PASSWORD = 'exrelay-replay';

interface Group { combo: TrafficCombo; recipient: string }

export function buildScenarios(agg: LogAggregate, config: LogConfig | null): ScenariosDocument {
  const groups = new Map<string, Group>();
  for (const c of allCombos(agg)) {
    // With the configuration, recipients collapse to internal/external; without it, to their domain.
    const recipient = config === null ? c.rcptDomain : config.isExternal(c.rcptDomain) ? 'external' : 'internal';
    const key = comboKey(c, recipient);
    const have = groups.get(key);
    if (have === undefined) groups.set(key, { combo: { ...c }, recipient });
    else mergeCombo(have.combo, c);
  }
  const ordered = [...groups.values()].sort((a, b) => compareGroups(a, b));
  const names = new Set<string>();
  const scenarios: Scenario[] = [];
  const accounts = new Set<string>();
  for (const { combo: c, recipient } of ordered) {
    let name = `${c.remoteIp} ${c.account ?? 'anonymous'}${c.tls ? ' TLS' : ''} ${c.senderDomain} to ${recipient}`
      + ` (${c.server === '' ? c.connector : c.server}:${c.port ?? 25})`;
    for (let n = 2; names.has(name); n++) name = `${name} #${n}`;
    names.add(name);
    const scenario: Scenario = {
      name,
      ...(c.server === '' ? {} : { server: c.server }),
      clientIp: c.remoteIp,
      port: c.port ?? 25,
      ...(c.localIp === null ? {} : { localAddress: c.localIp }),
      tls: c.tls,
      auth: c.account === null ? null : { user: c.account, password: REPLAY_PASSWORD, mechanism: replayMechanism(c.mechanism) },
      helo: c.helo ?? `[${c.remoteIp}]`,
      mailFrom: c.senderDomain === NULL_SENDER ? '' : c.mailFrom,
      rcptTo: [c.rcptTo],
    };
    scenarios.push(scenario);
    if (c.account !== null) accounts.add(c.account);
  }
  const users: ScenarioUser[] = [...accounts].sort().map((user) => ({
    user, password: REPLAY_PASSWORD, addresses: [...(agg.accountAddresses.get(user) ?? [])].sort(),
  }));
  return { schema: SCENARIOS_SCHEMA, users, scenarios };
}

/**
 * UNSURE(reference): a replayed client can only present a password, so integrated logons
 * (NTLM, GSSAPI, X-EXPS between Exchange servers) are replayed as AUTH LOGIN for the same account.
 */
export function replayMechanism(logged: string | null): string {
  return logged === 'PLAIN' ? 'PLAIN' : 'LOGIN';
}

function compareGroups(a: Group, b: Group): number {
  const x = a.combo, y = b.combo;
  return cmp(x.server, y.server) || (x.port ?? 0) - (y.port ?? 0) || cmp(x.localIp ?? '', y.localIp ?? '') || compareAddresses(x.remoteIp, y.remoteIp)
    || cmp(x.connector, y.connector) || cmp(x.account ?? '', y.account ?? '') || Number(x.tls) - Number(y.tls)
    || cmp(x.senderDomain, y.senderDomain) || cmp(a.recipient, b.recipient);
}

function cmp(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0; }
