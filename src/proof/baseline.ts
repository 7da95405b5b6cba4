// The estate's baseline traffic (rules.md "Fixes"): what a fix must keep working. Built once
// per audit from the snapshot (and the hosts seen in the logs), run once against the audited
// configuration, then replayed against each fixed one.
import type { ObservedSender, ReceiveConnector, Scenario, ScenarioUser, Snapshot } from '../model.js';
import {
  canRelayAnonymously, connectorsOf, intervalsWonBy, isExternallySecured, selectConnectorDetailed, serverNames,
  type PolicyIndex,
} from '../policy/index.js';
import { formatAddress, isWildcardAddress, normalizeAddress } from '../net/index.js';
import { runScenario } from '../replay/replay.js';

/** Who a baseline scenario stands for: one line of `fix.verified.kept` once it is kept. */
export interface BaselineScenario {
  scenario: Scenario;
  server: string;
  /** What is kept, in words ("inbound internet mail to corp.example on port 25"). */
  kept: string;
  /**
   * The relay connector whose sample host this is: a finding about that connector may change
   * who relays through it, so its own sample is not held against its fix. Null for traffic
   * every fix must keep (inbound mail, submission, hosts seen in the logs).
   */
  sampleOf: ReceiveConnector | null;
}

export interface Baseline {
  /** Scenarios that worked on the audited configuration (only those must keep working). */
  scenarios: BaselineScenario[];
  users: ScenarioUser[];
}

/** The account the submission check signs in with (exists only in the dry run). */
const CHECK_USER = 'exrelay-check';
const CHECK_PASSWORD = 'exrelay-check-password';
/** An outside recipient no accepted domain covers (RFC 2606 reserves .invalid). */
const OUTSIDE_RECIPIENT = 'recipient@exrelay-check.invalid';
const OUTSIDE_SENDER = 'sender@exrelay-internet.invalid';

// Candidate client addresses: the internet (documentation and well-known public addresses) and
// the inside. Of these, the one selected by the widest range stands for "anyone", so a host
// that a narrow custom range names is not taken for the internet.
const INTERNET_CLIENTS = ['203.0.113.250', '198.51.100.250', '192.0.2.250', '1.1.1.1', '9.9.9.9', '2001:db8:ffff::250'];
const INSIDE_CLIENTS = ['10.255.255.250', '172.31.255.250', '192.168.255.250', ...INTERNET_CLIENTS];

function widestClient(policy: PolicyIndex, server: string, port: number, candidates: readonly string[]): string | null {
  let best: { address: string; size: bigint } | null = null;
  for (const address of candidates) {
    const selection = selectConnectorDetailed(policy, { server, port, localAddress: null }, address);
    if (selection === null) continue;
    if (best === null || selection.size > best.size) best = { address, size: selection.size };
  }
  return best?.address ?? null;
}

function authoritativeDomains(snapshot: Snapshot): string[] {
  const out: string[] = [];
  for (const d of snapshot.acceptedDomains) {
    if (d.domainType !== 'Authoritative') continue;
    // A wildcard domain (`*.corp.example`) is checked at its own suffix.
    const name = d.domainName.replace(/^\*\./, '').toLowerCase();
    if (name !== '' && name !== '*' && !out.includes(name)) out.push(name);
  }
  return out;
}

/** One address the connector is selected for, preferring the inside (the hosts that relay). */
function sampleHost(policy: PolicyIndex, c: ReceiveConnector): { address: string; port: number; localAddress: string | null } | null {
  const won = intervalsWonBy(policy, c);
  if (won.length === 0) return null;
  const pick = (i: (typeof won)[number]): { address: string; port: number; localAddress: string | null } => {
    // The first address of a network (x.x.x.0) is a real host in a range, but one inside reads better.
    const value = i.last > i.first ? i.first + 1n : i.first;
    return { address: formatAddress(i.family, value), port: i.port, localAddress: isWildcardAddress(i.localAddress) ? null : i.localAddress };
  };
  const inside = won.find((i) => {
    const a = formatAddress(i.family, i.first);
    return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a);
  });
  return pick(inside ?? (won[0] as (typeof won)[number]));
}

function scenario(name: string, fields: Omit<Scenario, 'name' | 'helo' | 'tls' | 'auth'> & Partial<Pick<Scenario, 'tls' | 'auth'>>): Scenario {
  return { name, helo: 'exrelay-check.invalid', tls: false, auth: null, ...fields };
}

/** Every candidate of the baseline, before knowing which of them work today. */
function candidates(policy: PolicyIndex, observed: readonly ObservedSender[]): { list: BaselineScenario[]; users: ScenarioUser[] } {
  const snapshot = policy.snapshot;
  const domains = authoritativeDomains(snapshot);
  const ownSender = domains.length > 0 ? `relay-check@${domains[0]}` : OUTSIDE_SENDER;
  const users: ScenarioUser[] = [{ user: CHECK_USER, password: CHECK_PASSWORD, addresses: domains.map((d) => `${CHECK_USER}@${d}`) }];
  const list: BaselineScenario[] = [];
  const servers = serverNames(policy);
  for (const server of servers) {
    const connectors = connectorsOf(policy, server);
    const ports = new Set(connectors.filter((c) => c.enabled).flatMap((c) => c.bindings.map((b) => b.port)));
    if (ports.has(25)) {
      const client = widestClient(policy, server, 25, INTERNET_CLIENTS);
      if (client !== null) {
        for (const domain of domains) {
          list.push({
            server, sampleOf: null, kept: `inbound internet mail to ${domain} on port 25`,
            scenario: scenario(`inbound ${domain} via ${server}`, { server, clientIp: client, port: 25, mailFrom: OUTSIDE_SENDER, rcptTo: [`postmaster@${domain}`] }),
          });
        }
      }
    }
    if (ports.has(587) && domains.length > 0) {
      const client = widestClient(policy, server, 587, INSIDE_CLIENTS);
      if (client !== null) {
        list.push({
          server, sampleOf: null, kept: 'authenticated submission on 587',
          scenario: scenario(`submission via ${server}`, {
            server, clientIp: client, port: 587, tls: true, auth: { user: CHECK_USER, password: CHECK_PASSWORD, mechanism: 'LOGIN' },
            mailFrom: `${CHECK_USER}@${domains[0] ?? ''}`, rcptTo: [OUTSIDE_RECIPIENT],
          }),
        });
      }
    }
  }
  for (const c of snapshot.connectors) {
    if (!c.enabled || !(canRelayAnonymously(policy, c) || isExternallySecured(c))) continue;
    const host = sampleHost(policy, c);
    if (host === null) continue;
    list.push({
      server: c.server, sampleOf: c, kept: `relay from ${host.address} through ${c.identity}`,
      scenario: scenario(`relay host ${host.address} via ${c.identity}`, {
        server: c.server, clientIp: host.address, port: host.port, mailFrom: ownSender, rcptTo: [OUTSIDE_RECIPIENT],
        ...(host.localAddress === null ? {} : { localAddress: host.localAddress }),
      }),
    });
  }
  const byIdentity = new Map(snapshot.connectors.map((c) => [c.identity.toLowerCase(), c]));
  for (const sender of observed) {
    // Authenticated senders signed in with their own accounts, which the dry run does not have.
    if (sender.authenticated) continue;
    const address = normalizeAddress(sender.remoteIp);
    const connector = sender.connector === null ? undefined : byIdentity.get(sender.connector.toLowerCase());
    const server = connector?.server ?? sender.server;
    if (address === null || server === null) continue;
    const binding = connector?.bindings[0];
    const relays = sender.externalRecipients === null || sender.externalRecipients > 0;
    const where = connector === undefined ? server : connector.identity;
    list.push({
      server, sampleOf: null,
      kept: `${relays ? 'relay' : 'mail'} from ${address} (seen in the logs) through ${where}`,
      scenario: scenario(`logged host ${address} via ${where}`, {
        server, clientIp: address, port: binding?.port ?? 25, mailFrom: ownSender,
        rcptTo: [relays ? OUTSIDE_RECIPIENT : `postmaster@${domains[0] ?? 'exrelay-check.invalid'}`],
        ...(binding === undefined || isWildcardAddress(binding.address) ? {} : { localAddress: binding.address }),
      }),
    });
  }
  return { list, users };
}

/** Runs one baseline scenario: accepted or not. */
export function worksOn(policy: PolicyIndex, entry: BaselineScenario, users: readonly ScenarioUser[]): boolean {
  return runScenario(policy, entry.scenario, users, { server: entry.server }).outcome === 'accepted';
}

/** The baseline of an audited configuration: the candidate traffic that works on it today. */
export function buildBaseline(policy: PolicyIndex, observed: readonly ObservedSender[] = []): Baseline {
  const { list, users } = candidates(policy, observed);
  return { scenarios: list.filter((entry) => worksOn(policy, entry, users)), users };
}
