// The verifier (rules.md "Fixes"): a fix script is shown only when exrelay has proved it in its
// own model — `apply` accepts it on the audited snapshot, re-auditing the result no longer
// reports the finding and adds nothing of equal or higher severity, and replaying the estate's
// baseline traffic (inbound internet mail, authenticated submission, the other relay hosts, the
// hosts seen in the logs) shows it still works. Otherwise the finding gets `fix: null` and a
// `manual` text saying what to decide by hand and why the script was not safe.
import { auditWithCandidates, reauditChanged, serverRegion, type AuditOptions } from '../analyzers/run.js';
import type { FixCandidate } from '../analyzers/rule.js';
import { applyTree } from '../apply/apply.js';
import { normaliseCommaLists } from '../apply/normalise.js';
import { SEVERITIES, type Finding, type FindingsDocument, type FixVerification, type ObservedSender, type Snapshot } from '../model.js';
import { buildPolicy } from '../policy/index.js';
import { parsePowerShell } from '../powershell/grammar.js';
import { buildBaseline, worksOn, type Baseline } from './baseline.js';
import { changeBetween } from './change.js';

/**
 * A finding's identity across audits: its rule and what it is about (never its wording). An
 * organisation-wide finding about an accepted domain is about that domain: removing `*` must not
 * count as leaving the `*.com` finding of the same rule in place.
 */
export function findingKey(f: Pick<Finding, 'rule' | 'connector' | 'server'> & { evidence?: Finding['evidence'] }): string {
  const domain = f.evidence?.['acceptedDomain'];
  const about = domain !== null && typeof domain === 'object' && !Array.isArray(domain) && typeof domain['domainName'] === 'string' ? `|domain:${domain['domainName'].toLowerCase()}` : '';
  return `${f.rule}|${(f.connector ?? `server:${f.server ?? ''}`).toLowerCase()}${about}`;
}

const rank = (s: Finding['severity']): number => SEVERITIES.indexOf(s);

/**
 * Findings about who may relay through a connector: their fix changes exactly that, so the
 * connector's own sample host is not held against it (hosts seen in the logs still are). Every
 * other fix must keep the connector's own relay hosts too (e.g. a sender-rights fix).
 */
export const RELAY_SCOPE_RULES: ReadonlySet<string> = new Set(['anonymous-open-relay', 'externally-secured-relay', 'load-balancer-in-relay-range']);

/** The configuration after a script, audited and replayed once (several findings may share a script). */
export interface ScriptOutcome {
  /** null when apply accepted it; else why Exchange (the dry run) refused it. */
  refusal: string | null;
  /** Worst severity per finding key after the script. */
  after: Map<string, Finding['severity']>;
  /** The baseline scenarios (by index) that no longer work. */
  broken: Set<number>;
}

/** What the verifier needs of the audited state, built once per audit. */
export interface ProofContext {
  snapshot: Snapshot;
  /** Options of the re-audit: every rule (a fix may add a finding of a rule the user left out). */
  auditOptions: AuditOptions;
  now: Date;
  /** Worst severity per finding key before any fix (every rule, suppressed findings included). */
  before: Map<string, Finding['severity']>;
  /** Those findings themselves: what each re-audit starts from. */
  beforeFindings: readonly Finding[];
  baseline: Baseline;
  outcomes: Map<string, Promise<ScriptOutcome>>;
}

/** Active and accepted findings together (the proof compares with both). */
function everyFinding(doc: FindingsDocument): Finding[] {
  return [...doc.findings, ...(doc.accepted ?? []).map((a) => a.finding)];
}

/** Worst severity per finding key. */
export function severities(findings: readonly Finding[]): Map<string, Finding['severity']> {
  const out = new Map<string, Finding['severity']>();
  for (const f of findings) {
    const key = findingKey(f);
    const known = out.get(key);
    if (known === undefined || rank(f.severity) < rank(known)) out.set(key, f.severity);
  }
  return out;
}

export interface ProofOptions {
  observedSenders?: readonly ObservedSender[];
}

/** The audited state and its baseline traffic, once per audit. */
export function prepareProof(snapshot: Snapshot, options: AuditOptions, now: Date, proof: ProofOptions = {}, audited?: FindingsDocument): ProofContext {
  const auditOptions: AuditOptions = {
    exchangeServers: options.exchangeServers ?? [], loadBalancers: options.loadBalancers ?? [],
    ...(proof.observedSenders === undefined ? {} : { observedSenders: proof.observedSenders }),
  };
  // The audit already ran every rule (suppressed findings are kept under `accepted`): reuse it.
  const everyRule = (options.only?.length ?? 0) === 0 && (options.skip?.length ?? 0) === 0 && options.rules === undefined;
  const beforeFindings = everyFinding(audited !== undefined && everyRule ? audited : auditWithCandidates(snapshot, auditOptions, now).doc);
  return {
    snapshot, auditOptions, now, before: severities(beforeFindings), beforeFindings,
    baseline: buildBaseline(buildPolicy(snapshot), proof.observedSenders ?? []), outcomes: new Map(),
  };
}

/**
 * The audited configuration changed by a script (`fixed`): its findings and the baseline
 * scenarios it breaks. Only what the script changed is looked at again: the rules whose scope
 * it touched, over the connectors or servers it changed (reauditChanged), and the baseline
 * scenarios through those servers (a scenario only meets the connectors of its own server);
 * the rest is the audited state's. test/proof/incremental*.test.ts holds it to the full re-audit.
 */
export function afterScript(context: ProofContext, fixed: Snapshot): AfterScript {
  const known = afterScripts.get(fixed);
  if (known?.context === context) return known.result;
  const result = computeAfterScript(context, fixed);
  afterScripts.set(fixed, { context, result });
  return result;
}

/** What afterScript finds for one changed configuration. */
export interface AfterScript {
  /** Every finding (active and accepted together; those re-run have no remediation text). */
  findings: Finding[];
  /** Worst severity per finding key. */
  after: Map<string, Finding['severity']>;
  /** The baseline scenarios (by index) that no longer work. */
  broken: Set<number>;
}

/** Connector properties that neither selection, rights nor the session model (policy/session.ts, which replay drives) read. */
const UNREAD_BY_REPLAY: ReadonlySet<string> = new Set(['protocolLoggingLevel', 'tlsCertificateName', 'domainSecureEnabled']);

// `audit --fixes` asks twice about each state (is it acceptable, which findings are left).
const afterScripts = new WeakMap<Snapshot, { context: ProofContext; result: AfterScript }>();

function computeAfterScript(context: ProofContext, fixed: Snapshot): AfterScript {
  const change = changeBetween(context.snapshot, fixed);
  const options = { ...context.auditOptions, withoutFixes: true };
  const findings = reauditChanged({ snapshot: context.snapshot, findings: context.beforeFindings }, fixed, change, options, context.now);
  const after = severities(findings);
  const broken = new Set<number>();
  if (!change.everything && change.servers.size === 0) return { findings, after, broken };
  if (change.leafProperties !== null && [...change.leafProperties].every((p) => UNREAD_BY_REPLAY.has(p))) return { findings, after, broken };
  const policy = buildPolicy(change.everything ? fixed : serverRegion(fixed, change.servers));
  context.baseline.scenarios.forEach((entry, i) => {
    if (!change.everything && !change.servers.has(entry.server.toLowerCase())) return;
    if (!worksOn(policy, entry, context.baseline.users)) broken.add(i);
  });
  return { findings, after, broken };
}

/** Applies, re-audits and replays one script (parsed once: the grammar is tree-sitter). */
async function outcomeOf(context: ProofContext, script: string): Promise<ScriptOutcome> {
  const parsed = await parsePowerShell(normaliseCommaLists(script).text);
  try {
    const syntax = parsed.errors[0];
    if (syntax !== undefined) return { refusal: `PowerShell syntax error near "${syntax.text}"`, after: new Map(), broken: new Set() };
    let fixed: Snapshot;
    try {
      fixed = applyTree(context.snapshot, parsed.tree.rootNode, { file: 'fix', reportUnchanged: false }).snapshot;
    } catch (error) {
      return { refusal: error instanceof Error ? error.message : String(error), after: new Map(), broken: new Set() };
    }
    const { after, broken } = afterScript(context, fixed);
    return { refusal: null, after, broken };
  } finally {
    parsed.tree.delete();
  }
}

/** The proof of one script for one finding. */
export async function proveScript(context: ProofContext, finding: Finding, script: string, changesRelayHostsOf: readonly string[] = []): Promise<{ verification: FixVerification; problems: string[] }> {
  let pending = context.outcomes.get(script);
  if (pending === undefined) { pending = outcomeOf(context, script); context.outcomes.set(script, pending); }
  const outcome = await pending;
  if (outcome.refusal !== null) {
    return { verification: { accepted: false, resolves: false, newFindings: [], kept: [] }, problems: [`apply refuses it (${outcome.refusal})`] };
  }
  const key = findingKey(finding);
  const resolves = !outcome.after.has(key);
  const newFindings: string[] = [];
  const sameConnector = `|${(finding.connector ?? '\u0000').toLowerCase()}`;
  for (const [k, severity] of outcome.after) {
    // Equal or higher severity anywhere; on the connector itself also any new high one: an
    // externally secured partner (critical) turned into a narrow anonymous relay (high) has
    // moved the problem, not solved it (rules.md "Fixes").
    const moved = k.endsWith(sameConnector) && rank(severity) <= rank('high');
    if (k === key || (rank(severity) > rank(finding.severity) && !moved)) continue;
    const was = context.before.get(k);
    if (was === undefined || rank(severity) < rank(was)) newFindings.push(`${severity} ${k.replace('|', ' on ')}`);
  }
  newFindings.sort();
  const kept: string[] = [];
  const lost: string[] = [];
  const rescoped = new Set(changesRelayHostsOf.map((c) => c.toLowerCase()));
  if (RELAY_SCOPE_RULES.has(finding.rule) && finding.connector !== null) rescoped.add(finding.connector.toLowerCase());
  context.baseline.scenarios.forEach((entry, i) => {
    // The sample host of the connector the finding is about is what its fix may change.
    if (entry.sampleOf !== null && rescoped.has(entry.sampleOf.identity.toLowerCase())) return;
    (outcome.broken.has(i) ? lost : kept).push(entry.kept);
  });
  const problems: string[] = [];
  if (!resolves) problems.push('re-auditing the result still reports the finding');
  if (newFindings.length > 0) problems.push(`the result adds ${newFindings.join(', ')}`);
  if (lost.length > 0) problems.push(`replay shows it stops ${[...new Set(lost)].join('; ')}`);
  return { verification: { accepted: true, resolves, newFindings, kept: [...new Set(kept)] }, problems };
}

function manualAfterFailure(candidate: Extract<FixCandidate, { script: string }>, finding: Finding, problems: readonly string[]): string {
  const why = `The script exrelay considered was not safe: ${problems.join('; ')}.`;
  if (candidate.fallback !== undefined) return `${candidate.fallback} ${why}`;
  return `Decide the change for ${finding.connector ?? finding.server ?? 'the organisation'} by hand (${finding.title.toLowerCase()}). ${why}`;
}

/** Stamps a finding with its proved fix, or `fix: null` and `manual`. */
async function proveFinding(context: ProofContext, finding: Finding, candidate: FixCandidate | undefined): Promise<Finding> {
  if (candidate?.script === undefined) return finding;
  const { verification, problems } = await proveScript(context, finding, candidate.script, candidate.changesRelayHostsOf);
  if (problems.length === 0) return { ...finding, fix: { script: candidate.script, verified: verification }, manual: null };
  return { ...finding, fix: null, manual: manualAfterFailure(candidate, finding, problems) };
}

export interface VerifiedAudit {
  doc: FindingsDocument;
  context: ProofContext;
  /** Per finding with a proved script: the other connectors whose relay hosts it changes on purpose. */
  rescoped: Map<Finding, readonly string[]>;
}

/**
 * The audit with every script candidate proved (or replaced by manual advice). Baseline
 * traffic and the before-state are built once; each distinct script is applied, re-audited
 * and replayed once.
 */
export async function auditWithProof(snapshot: Snapshot, options: AuditOptions, now: Date, proof: ProofOptions = {}): Promise<VerifiedAudit> {
  const withObserved = proof.observedSenders === undefined ? options : { ...options, observedSenders: proof.observedSenders };
  const { doc, candidates } = auditWithCandidates(snapshot, withObserved, now);
  const context = prepareProof(snapshot, options, now, proof, doc);
  const findings: Finding[] = [];
  const rescoped = new Map<Finding, readonly string[]>();
  const prove = async (f: Finding): Promise<Finding> => {
    const candidate = candidates.get(f);
    const out = await proveFinding(context, f, candidate);
    if (candidate?.script !== undefined && candidate.changesRelayHostsOf !== undefined) rescoped.set(out, candidate.changesRelayHostsOf);
    return out;
  };
  for (const f of doc.findings) findings.push(await prove(f));
  const out: FindingsDocument = { ...doc, findings };
  if (doc.accepted !== undefined) {
    const accepted: NonNullable<FindingsDocument['accepted']> = [];
    for (const a of doc.accepted) accepted.push({ ...a, finding: await prove(a.finding) });
    out.accepted = accepted;
  }
  return { doc: out, context, rescoped };
}
