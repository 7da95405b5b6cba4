// What the incremental re-audit's tests share (incremental*.test.ts). The verifier re-audits a fixed configuration incrementally (only the rules and connectors a
// script can have changed, by each rule's meta.scope) and replays only the baseline scenarios
// through the servers it changed. Here that is held to the full re-audit and the full replay,
// over every estate of the proof tests and every candidate script the rules generate there,
// plus probes that disable one connector at a time (a change beside the connectors the
// findings are about). A rule whose declared scope is too narrow must make this fail: the last
// tests narrow some scopes on purpose and expect the comparison to catch them.
import assert from 'node:assert/strict';
import { RULE_LEAF_PROPERTIES, auditWithCandidates, reauditChanged, type AuditOptions } from '../../src/analyzers/run.js';
import type { Rule } from '../../src/analyzers/rule.js';
import { ALL_RULES } from '../../src/analyzers/rules/index.js';
import { applyTree } from '../../src/apply/apply.js';
import { normaliseCommaLists } from '../../src/apply/normalise.js';
import type { Finding, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { parsePowerShell } from '../../src/powershell/grammar.js';
import { psQuote } from '../../src/powershell/quote.js';
import { worksOn } from '../../src/proof/baseline.js';
import { changeBetween } from '../../src/proof/change.js';
import { afterScript, findingKey, prepareProof, severities, type ProofContext } from '../../src/proof/verify.js';
import { TEST_NOW } from '../helpers/rule-tester.js';
import type { NamedEstate } from './estates.js';

export interface Case { estate: string; script: string; context: ProofContext; fixed: Snapshot }

async function applied(snapshot: Snapshot, script: string): Promise<Snapshot | null> {
  const parsed = await parsePowerShell(normaliseCommaLists(script).text);
  try {
    if (parsed.errors.length > 0) return null;
    try {
      return applyTree(snapshot, parsed.tree.rootNode, { file: 'candidate' }).snapshot;
    } catch {
      return null;
    }
  } finally {
    parsed.tree.delete();
  }
}

/**
 * Every candidate script of the estate's findings, and probes per enabled connector: disable it,
 * grant anonymous relay on it, take its first range away (changes that move what its
 * neighbours on the server win or are compared with).
 */
export async function casesOf({ name, snapshot, loadBalancers, observedSenders }: NamedEstate): Promise<Case[]> {
  const options: AuditOptions = { loadBalancers: loadBalancers ?? [], ...(observedSenders === undefined ? {} : { observedSenders }) };
  const { doc, candidates } = auditWithCandidates(snapshot, options, TEST_NOW);
  const context = prepareProof(snapshot, options, TEST_NOW, observedSenders === undefined ? {} : { observedSenders }, doc);
  const scripts = new Set<string>();
  for (const candidate of candidates.values()) if (candidate.script !== undefined) scripts.add(candidate.script);
  // The leaf properties are probed on the first 3 connectors and on two connectors of each
  // rule that reads one (those its findings are about).
  const about = new Set<string>();
  for (const rule of ALL_RULES) {
    if (!(rule.meta.dependsOn ?? []).some((p) => Object.values(RULE_LEAF_PROPERTIES).includes(p))) continue;
    const subjects = context.beforeFindings.filter((f) => f.rule === rule.meta.id && f.connector !== null).map((f) => (f.connector ?? '').toLowerCase());
    for (const identity of [...new Set(subjects)].slice(0, 2)) about.add(identity);
  }
  const leafProbed = new Set([...snapshot.connectors.filter((c) => about.has(c.identity.toLowerCase())), ...snapshot.connectors.slice(0, 3)]);
  for (const c of snapshot.connectors) {
    if (!c.enabled) continue;
    const identity = psQuote(c.identity);
    scripts.add(`Set-ReceiveConnector -Identity ${identity} -Enabled $false`);
    scripts.add(`Add-ADPermission -Identity ${identity} -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'`);
    const [first, second] = c.remoteIPRanges;
    if (first !== undefined && second !== undefined) scripts.add(`Set-ReceiveConnector -Identity ${identity} -RemoteIPRanges @{Remove=${psQuote(first.expression)}}`);
    // The properties only some rules' own triggers read (RULE_LEAF_PROPERTIES), each changed
    // towards what those rules look for: the server's name and certificate, logging on or off.
    if (!leafProbed.has(c)) continue;
    const server = snapshot.servers.find((s) => s.name.toLowerCase() === c.server.toLowerCase());
    const certificate = snapshot.certificates.find((x) => x.server?.toLowerCase() === c.server.toLowerCase());
    const set = (parameters: string): void => { scripts.add(`Set-ReceiveConnector -Identity ${identity} ${parameters}`); };
    set(`-ProtocolLoggingLevel ${c.protocolLoggingLevel === 'None' ? 'Verbose' : 'None'}`);
    set(`-Fqdn ${psQuote(c.fqdn === server?.fqdn || server?.fqdn === undefined || server.fqdn === null ? 'probe.exrelay-check.invalid' : server.fqdn)}`);
    if (certificate !== undefined) set(`-TlsCertificateName ${psQuote(`<I>${certificate.issuer}<S>${certificate.subject}`)}`);
    set(`-RequireTLS $${String(!c.requireTLS)}`);
    set(`-Banner '220 probe'`);
    set('-MaxMessageSize 1MB');
    set(`-DomainSecureEnabled $${String(!c.domainSecureEnabled)}`);
  }
  const out: Case[] = [];
  for (const script of scripts) {
    const fixed = await applied(snapshot, script);
    if (fixed !== null) out.push({ estate: name, script, context, fixed });
  }
  return out;
}

/** A finding as the comparison sees it: what it is about, its severity and what it says. */
const line = (f: Finding): string => `${findingKey(f)} ${f.severity} ${f.server ?? ''} ${f.message} ${JSON.stringify(f.evidence)}`;

/** What the incremental re-audit and replay get wrong on one case (empty: nothing). */
export function differences(c: Case, rules: readonly Rule[] = ALL_RULES): string[] {
  const options: AuditOptions = { ...c.context.auditOptions, rules, withoutFixes: true };
  const full = auditWithCandidates(c.fixed, options, TEST_NOW).doc;
  const fullFindings = [...full.findings, ...(full.accepted ?? []).map((a) => a.finding)];
  const incremental = reauditChanged({ snapshot: c.context.snapshot, findings: c.context.beforeFindings }, c.fixed, changeBetween(c.context.snapshot, c.fixed), options, TEST_NOW);
  const out: string[] = [];
  const expected = fullFindings.map(line).sort();
  const got = incremental.map(line).sort();
  for (const x of expected) if (!got.includes(x)) out.push(`misses ${x}`);
  for (const x of got) if (!expected.includes(x)) out.push(`reports ${x} the full re-audit does not`);
  if (expected.length !== got.length && out.length === 0) out.push(`${got.length} findings instead of ${expected.length}`);
  // What the verifier itself uses: worst severity per finding, and the broken baseline scenarios.
  const proof = afterScript({ ...c.context, auditOptions: { ...c.context.auditOptions, rules } }, c.fixed);
  const worst = (m: Map<string, string>): string => [...m].map(([k, v]) => `${k} ${v}`).sort().join('\n');
  if (worst(proof.after) !== worst(severities(fullFindings))) out.push(`worst severities differ: ${worst(proof.after)} instead of ${worst(severities(fullFindings))}`);
  const policy = buildPolicy(c.fixed);
  const broken = new Set<number>();
  c.context.baseline.scenarios.forEach((entry, i) => { if (!worksOn(policy, entry, c.context.baseline.users)) broken.add(i); });
  const brokenNames = (set: Set<number>): string[] => [...set].sort((a, b) => a - b).map((i) => c.context.baseline.scenarios[i]?.scenario.name ?? String(i));
  if (brokenNames(broken).join('\n') !== brokenNames(proof.broken).join('\n')) out.push(`breaks ${brokenNames(proof.broken).join(', ')} instead of ${brokenNames(broken).join(', ')}`);
  return out;
}

/** The same comparison as a test: every case of the estates agrees. */
export async function assertIncrementalAgrees(estate: NamedEstate): Promise<void> {
  const cases = await casesOf(estate);
  assert.ok(cases.length > 0, 'probes at least');
  for (const c of cases) assert.deepEqual(differences(c), [], `${estate.name}: after\n${c.script}`);
}
