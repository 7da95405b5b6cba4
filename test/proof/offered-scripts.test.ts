// Every script the audit offers as proved is checked again here, without the verifier: applied
// with `apply`, re-audited with the runner, and replayed with the replay engine (inbound
// internet mail to every Authoritative domain on 25, and the relay hosts of the other relay
// connectors, and with the estate's logs every host seen sending). None may fail (rules.md
// "Fixes"). Estates that come with traffic are audited with it, as a consultant does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runAudit } from '../../src/analyzers/run.js';
import { applyScript } from '../../src/apply/apply.js';
import { SEVERITIES, type Finding, type ObservedSender, type Scenario, type Snapshot } from '../../src/model.js';
import { buildPolicy, canRelayAnonymously, intervalsWonBy, isExternallySecured, serverNames } from '../../src/policy/index.js';
import { formatAddress } from '../../src/net/index.js';
import { auditWithProof } from '../../src/proof/verify.js';
import { runScenario } from '../../src/replay/replay.js';
import { TEST_NOW } from '../helpers/rule-tester.js';
import { proofEstates } from './estates.js';

const rank = (s: Finding['severity']): number => SEVERITIES.indexOf(s);
/** What a finding is about: its connector or server, and for an organisation-wide accepted-domain finding, the domain. */
const key = (f: Finding): string => {
  const domain = (f.evidence['acceptedDomain'] as { domainName?: unknown } | undefined)?.domainName;
  return `${f.rule}|${(f.connector ?? `server:${f.server ?? ''}`).toLowerCase()}|${typeof domain === 'string' ? domain.toLowerCase() : ''}`;
};

/** Inbound mail per server and Authoritative domain, and one host per relay connector (with the connector). */
function traffic(snapshot: Snapshot): Array<{ server: string; scenario: Scenario; connector: string | null }> {
  const policy = buildPolicy(snapshot);
  const out: Array<{ server: string; scenario: Scenario; connector: string | null }> = [];
  const domains = snapshot.acceptedDomains.filter((d) => d.domainType === 'Authoritative').map((d) => d.domainName.replace(/^\*\./, ''));
  for (const server of serverNames(policy)) {
    for (const domain of domains) {
      out.push({ server, connector: null, scenario: { name: `in ${domain}`, clientIp: '203.0.113.250', port: 25, tls: false, auth: null, helo: 'mx.example', mailFrom: 'a@elsewhere.invalid', rcptTo: [`postmaster@${domain}`] } });
    }
  }
  for (const c of snapshot.connectors) {
    if (!c.enabled || !(canRelayAnonymously(policy, c) || isExternallySecured(c))) continue;
    const won = intervalsWonBy(policy, c)[0];
    if (won === undefined) continue;
    const host = formatAddress(won.family, won.last > won.first ? won.first + 1n : won.first);
    out.push({ server: c.server, connector: c.identity.toLowerCase(), scenario: {
      name: `relay ${host}`, clientIp: host, port: won.port, tls: false, auth: null, helo: 'host.example',
      mailFrom: `app@${domains[0] ?? 'elsewhere.invalid'}`, rcptTo: ['someone@far-away.invalid'],
    } });
  }
  return out;
}

/** Every anonymous host the logs saw, through the server it used, relaying when the logs saw it relay. */
function logged(snapshot: Snapshot, observed: readonly ObservedSender[]): Array<{ server: string; scenario: Scenario; connector: string | null }> {
  const domain = snapshot.acceptedDomains.find((d) => d.domainType === 'Authoritative')?.domainName.replace(/^\*\./, '') ?? 'elsewhere.invalid';
  return observed.filter((o) => !o.authenticated && o.server !== null).map((o) => {
    const c = snapshot.connectors.find((x) => x.identity.toLowerCase() === o.connector?.toLowerCase());
    const binding = c?.bindings[0];
    const outside = o.externalRecipients === null || o.externalRecipients > 0;
    return { server: c?.server ?? o.server ?? '', connector: null, scenario: {
      name: `logged ${o.remoteIp}`, clientIp: o.remoteIp, port: binding?.port ?? 25, tls: false, auth: null, helo: 'host.example',
      ...(binding === undefined || binding.address === '0.0.0.0' || binding.address === '::' ? {} : { localAddress: binding.address }),
      mailFrom: `app@${domain}`, rcptTo: [outside ? 'someone@far-away.invalid' : `postmaster@${domain}`],
    } };
  });
}

const accepted = (snapshot: Snapshot, t: { server: string; scenario: Scenario }): boolean =>
  runScenario(buildPolicy(snapshot), t.scenario, [], { server: t.server }).outcome === 'accepted';

const estates = await proofEstates();

/** Rules whose fix may change who relays through the connector (and its copies on other servers). */
const RESCOPING_RULES = ['anonymous-open-relay', 'externally-secured-relay', 'load-balancer-in-relay-range', 'connector-inconsistent-across-servers'];

/** The connector and its copies on other servers: the same name once the server's name is taken out (lower case identities). */
function copiesOf(snapshot: Snapshot, identity: string): Set<string> {
  const base = (c: { name: string; server: string }): string => c.name.toLowerCase().split(c.server.toLowerCase()).join('').replace(/\s+/g, ' ').trim();
  const self = snapshot.connectors.find((c) => c.identity.toLowerCase() === identity.toLowerCase());
  if (self === undefined) return new Set([identity.toLowerCase()]);
  return new Set(snapshot.connectors.filter((c) => base(c) === base(self)).map((c) => c.identity.toLowerCase()));
}

describe('every offered script passes apply, re-audit and replay, checked without the verifier', () => {
  // Estates with traffic are checked both ways: a consultant may audit without the logs too.
  const variants = estates.flatMap((e) => (e.observedSenders === undefined ? [e] : [{ ...e, observedSenders: undefined }, e]));
  for (const { name, snapshot, loadBalancers, observedSenders } of variants) {
    it(`${name}${observedSenders === undefined ? '' : ' (with its logs)'}`, async () => {
      const options = { loadBalancers: loadBalancers ?? [], ...(observedSenders === undefined ? {} : { observedSenders }) };
      const { doc } = await auditWithProof(snapshot, options, TEST_NOW, observedSenders === undefined ? {} : { observedSenders });
      const before = runAudit(snapshot, options, TEST_NOW).findings;
      const baseline = [...traffic(snapshot), ...logged(snapshot, observedSenders ?? [])].filter((t) => accepted(snapshot, t));
      for (const finding of doc.findings) {
        if (finding.fix === undefined || finding.fix === null) continue;
        const where = `${finding.rule} on ${finding.connector ?? finding.server ?? ''}`;
        assert.ok(finding.fix.verified, `${where}: a shown script is proved`);
        assert.doesNotMatch(finding.fix.script, /<[a-z][^>]*>|-Server ''|'10\.0\.0\.25'/i, `${where}: runnable as is`);
        const after = (await applyScript(snapshot, finding.fix.script, { file: where })).snapshot;
        const afterFindings = runAudit(after, options, TEST_NOW).findings;
        assert.ok(!afterFindings.some((f) => key(f) === key(finding)), `${where}: resolved`);
        for (const f of afterFindings) {
          if (rank(f.severity) > rank(finding.severity)) continue;
          assert.ok(before.some((b) => key(b) === key(f) && rank(b.severity) <= rank(f.severity)), `${where}: adds ${f.severity} ${f.rule} on ${f.connector ?? ''}`);
        }
        const rescoped = RESCOPING_RULES.includes(finding.rule) && finding.connector !== null ? copiesOf(snapshot, finding.connector) : new Set<string>();
        for (const t of baseline) {
          // Only a fix about who relays through a connector may change its relay hosts (on every
          // copy of it, so the servers stay alike); hosts seen in the logs are always kept.
          if (t.connector !== null && rescoped.has(t.connector)) continue;
          assert.ok(accepted(after, t), `${where}: keeps ${t.scenario.name} via ${t.server}`);
        }
      }
    });
  }
});
