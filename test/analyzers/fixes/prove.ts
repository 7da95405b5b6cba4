// The proof of a rule's fix candidates, independent of the audit runner (rules.md "Fixes"): for
// every finding the rule reports on a snapshot, the candidate script is applied with the real
// apply engine, the result re-audited with every rule, and the estate's baseline traffic
// replayed before and after. A script passes only if it is accepted, its finding is gone, no
// finding of equal or higher severity appears, and every baseline conversation accepted before
// is accepted after.
import assert from 'node:assert/strict';
import { applyScript } from '../../../src/apply/apply.js';
import type { FixCandidate, Rule, RuleContext } from '../../../src/analyzers/rule.js';
import { ALL_RULES } from '../../../src/analyzers/rules/index.js';
import { runAudit, stampFinding, type AuditOptions } from '../../../src/analyzers/run.js';
import { SEVERITIES, type Finding, type FindingsDocument, type ObservedSender, type Scenario, type ScenarioUser, type Snapshot } from '../../../src/model.js';
import { buildPolicy, canRelayAnonymously, connectorsOf, intervalsWonBy, type PolicyIndex } from '../../../src/policy/index.js';
import { runScenario } from '../../../src/replay/replay.js';
import { formatAddress } from '../../../src/net/index.js';

export interface Proof {
  finding: Finding;
  candidate: FixCandidate;
  /** Only for scripts. */
  accepted?: boolean;
  refusal?: string;
  resolves?: boolean;
  newFindings?: string[];
  /** Baseline conversations accepted before and not after. */
  broken?: string[];
  /** Baseline conversations that were accepted before and still are. */
  kept?: string[];
}

export const passes = (p: Proof): boolean => p.candidate.script !== undefined && p.accepted === true && p.resolves === true
  && (p.newFindings ?? []).length === 0 && (p.broken ?? []).length === 0;

const rank = (s: Finding['severity']): number => SEVERITIES.indexOf(s);

/** Rules whose finding is about who relays through its connector (rules.md "Fixes": the other relay hosts are kept). */
const RELAY_SCOPE: ReadonlySet<string> = new Set(['anonymous-open-relay', 'externally-secured-relay', 'load-balancer-in-relay-range']);

/** What a finding is about, beyond its rule and connector (pair rules, principals, domains, servers). */
function identityOf(f: Finding): string {
  const e = f.evidence;
  const extra = [e['connectors'], e['principal'], e['acceptedDomain'], e['server']].map((v) => JSON.stringify(v ?? null)).join('|');
  return `${f.rule}|${f.server ?? ''}|${f.connector ?? ''}|${extra}`;
}

const countKey = (f: Finding): string => `${f.rule}|${f.connector ?? f.server ?? '-'}|${f.severity}`;

const INTERNET_CLIENT = '198.51.100.77';
const SUBMISSION_CLIENT = '10.250.250.250';
const PROOF_USER: ScenarioUser = { user: 'CORP\\fixproof', password: 'proof-secret', addresses: [] };

/** Inbound internet mail to every Authoritative domain on 25, authenticated submission on 587, one host per anonymous relay connector. */
export function baselineScenarios(snapshot: Snapshot, policy: PolicyIndex, observed: readonly ObservedSender[] = []): { scenarios: Array<Scenario & { server: string; sampleOf?: string }>; users: ScenarioUser[] } {
  const authoritative = snapshot.acceptedDomains.filter((d) => d.domainType === 'Authoritative' && !d.domainName.includes('*')).map((d) => d.domainName);
  const home = authoritative[0] ?? 'corp.example';
  const users = [{ ...PROOF_USER, addresses: [`fixproof@${home}`] }];
  const scenarios: Array<Scenario & { server: string; sampleOf?: string }> = [];
  for (const s of snapshot.servers) {
    const server = s.name;
    // Only conversations accepted before the fix are compared, so every server gets them all.
    for (const domain of authoritative) {
      scenarios.push({ name: `inbound internet mail to ${domain} on port 25 of ${server}`, server, clientIp: INTERNET_CLIENT, port: 25, tls: true, auth: null, helo: 'mx.example.net', mailFrom: 'sender@example.net', rcptTo: [`postmaster@${domain}`] });
    }
    scenarios.push({ name: `authenticated submission on port 587 of ${server}`, server, clientIp: SUBMISSION_CLIENT, port: 587, tls: true, auth: { user: PROOF_USER.user, password: PROOF_USER.password, mechanism: 'LOGIN' }, helo: 'laptop.corp.example', mailFrom: `fixproof@${home}`, rcptTo: ['someone@example.net'] });
    for (const c of connectorsOf(policy, server)) {
      if (!canRelayAnonymously(policy, c)) continue;
      const won = intervalsWonBy(policy, c)[0];
      if (won === undefined) continue;
      const host = formatAddress(won.family, won.first);
      const local = won.binding === 'exact' ? { localAddress: won.localAddress } : {};
      scenarios.push({ name: `relay host ${host} through ${c.identity}`, sampleOf: c.identity.toLowerCase(), server, clientIp: host, port: won.port, ...local, tls: true, auth: null, helo: 'app.corp.example', mailFrom: `app@${home}`, rcptTo: ['someone@example.net'] });
    }
  }
  // Every anonymous host the logs saw (`audit --logs`) must keep its mail, relayed or not.
  for (const o of observed) {
    const c = snapshot.connectors.find((x) => x.identity.toLowerCase() === o.connector?.toLowerCase());
    if (o.authenticated || c === undefined) continue;
    const outside = o.externalRecipients === null || o.externalRecipients > 0;
    scenarios.push({ name: `logged host ${o.remoteIp} through ${c.identity}`, server: c.server, clientIp: o.remoteIp, port: c.bindings[0]?.port ?? 25, tls: true, auth: null, helo: 'host.corp.example', mailFrom: `app@${home}`, rcptTo: [outside ? 'someone@example.net' : `postmaster@${home}`] });
  }
  return { scenarios, users };
}

/** Runs a scenario as a client that uses STARTTLS when it is offered. */
function accepted(policy: PolicyIndex, scenario: Scenario & { server: string }, users: readonly ScenarioUser[]): boolean {
  const withTls = runScenario(policy, scenario, users, { server: scenario.server });
  const starttls = withTls.replies.find((r) => r.stage === 'starttls');
  if (starttls !== undefined && starttls.code !== 220) return runScenario(policy, { ...scenario, tls: false }, users, { server: scenario.server }).outcome === 'accepted';
  return withTls.outcome === 'accepted';
}

export function contextFor(snapshot: Snapshot, now: Date, options: AuditOptions = {}): RuleContext {
  return {
    snapshot, policy: buildPolicy(snapshot), now,
    options: { exchangeServers: [...(options.exchangeServers ?? [])], loadBalancers: [...(options.loadBalancers ?? [])], ...(options.observedSenders === undefined ? {} : { observedSenders: options.observedSenders }) },
  };
}

/** Every finding of `rule` on `snapshot` (as the full audit reports it) with its candidate and what the proof showed. */
export async function proveRule(rule: Rule, snapshot: Snapshot, now: Date, options: AuditOptions = {}, before?: FindingsDocument): Promise<Proof[]> {
  assert.ok(rule.fix !== undefined, `${rule.meta.id} has no fix generator`);
  const context = contextFor(snapshot, now, options);
  const audit = before ?? runAudit(snapshot, options, now);
  const reported = new Set(audit.findings.map((f) => `${f.rule}|${f.connector ?? ''}|${f.message}`));
  const baseline = baselineScenarios(snapshot, context.policy, options.observedSenders ?? []);
  const baselineAccepted = baseline.scenarios.filter((s) => accepted(context.policy, s, baseline.users));
  const proofs: Proof[] = [];
  for (const draft of rule.check(context)) {
    const finding = stampFinding(rule, draft, context);
    if (!reported.has(`${finding.rule}|${finding.connector ?? ''}|${finding.message}`)) continue;
    const candidate = rule.fix?.(draft, context) ?? { manual: 'no generator' };
    const proof: Proof = { finding, candidate };
    proofs.push(proof);
    if (candidate.script === undefined) continue;
    let after: Snapshot;
    try {
      after = (await applyScript(snapshot, candidate.script, { file: 'fix.ps1' })).snapshot;
      proof.accepted = true;
    } catch (error) {
      proof.accepted = false;
      proof.refusal = error instanceof Error ? error.message : String(error);
      continue;
    }
    const reaudit = runAudit(after, options, now);
    proof.resolves = !reaudit.findings.some((f) => identityOf(f) === identityOf(finding));
    const counts = new Map<string, number>();
    for (const f of audit.findings) counts.set(countKey(f), (counts.get(countKey(f)) ?? 0) + 1);
    proof.newFindings = [];
    for (const f of reaudit.findings) {
      const left = counts.get(countKey(f)) ?? 0;
      if (left > 0) { counts.set(countKey(f), left - 1); continue; }
      if (rank(f.severity) <= rank(finding.severity)) proof.newFindings.push(`${f.severity} ${f.rule} ${f.connector ?? f.server ?? '-'}`);
    }
    const policyAfter = buildPolicy(after);
    proof.broken = [];
    proof.kept = [];
    // A fix about who relays through a connector may change its sample relay host (and those of
    // the copies it declares); hosts seen in the logs are always held against it.
    const rescoped = new Set((candidate.changesRelayHostsOf ?? []).map((x) => x.toLowerCase()));
    if (RELAY_SCOPE.has(finding.rule) && finding.connector !== null) rescoped.add(finding.connector.toLowerCase());
    for (const s of baselineAccepted) {
      if (s.sampleOf !== undefined && rescoped.has(s.sampleOf)) continue;
      (accepted(policyAfter, s, baseline.users) ? proof.kept : proof.broken).push(s.name);
    }
  }
  return proofs;
}

/** Every rule of the catalogue with a generator, by id. */
export function ruleById(id: string): Rule {
  const rule = ALL_RULES.find((r) => r.meta.id === id);
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return rule;
}

/** A script as the contract wants it: no placeholder, no Select-Object, no empty -Server, each cmdlet with -ErrorAction Stop. */
export function assertWellFormedScript(script: string): void {
  assert.doesNotMatch(script, /<(?!I>|S>)[^<>\n]*>/, `placeholder in ${script}`);
  assert.doesNotMatch(script, /Select-Object/i);
  assert.doesNotMatch(script, /-Server\s+''/);
  for (const line of script.split('\n').filter((l) => /^\s*[A-Z][a-z]+-[A-Za-z]+\s/.test(l))) {
    assert.match(line, /-ErrorAction Stop/, `statement without -ErrorAction Stop: ${line}`);
  }
}

export interface FixCase {
  name: string;
  snapshot: Snapshot;
  options?: AuditOptions;
  now?: Date;
  /** What every finding of the rule in this case must get. */
  expect: 'script' | 'manual';
  /** The script or manual text must match. */
  text?: RegExp;
}

/** Runs one case: at least one finding, each with the expected kind, each script passing its proof. */
export async function checkFixCase(rule: Rule, c: FixCase, now: Date): Promise<Proof[]> {
  const proofs = await proveRule(rule, c.snapshot, c.now ?? now, c.options ?? {});
  assert.ok(proofs.length > 0, `${c.name}: the rule reports nothing here`);
  for (const p of proofs) {
    const label = `${p.finding.connector ?? p.finding.server ?? '-'}: ${p.finding.message}`;
    if (c.expect === 'script') {
      assert.ok(p.candidate.script !== undefined, `${label}: expected a script, got manual: ${p.candidate.manual ?? ''}`);
      assertWellFormedScript(p.candidate.script);
      assert.equal(p.accepted, true, `${label}: apply refused: ${p.refusal ?? ''}\n${p.candidate.script}`);
      assert.equal(p.resolves, true, `${label}: the finding is still there after\n${p.candidate.script}`);
      assert.deepEqual(p.newFindings, [], `${label}: new findings after\n${p.candidate.script}`);
      assert.deepEqual(p.broken, [], `${label}: baseline traffic broken by\n${p.candidate.script}`);
      if (c.text !== undefined) assert.match(p.candidate.script, c.text);
    } else {
      assert.ok(p.candidate.manual !== undefined, `${label}: expected manual advice, got a script: ${p.candidate.script ?? ''}`);
      assert.ok(p.candidate.manual.length > 40, `${label}: manual text too thin`);
      assert.doesNotMatch(p.candidate.manual, /<(?!I>|S>)[a-z][^<>\n]*>/i, `${label}: placeholder in manual text`);
      if (c.text !== undefined) assert.match(p.candidate.manual, c.text);
    }
  }
  return proofs;
}
