// runAudit: every selected rule over one snapshot, stamped, ordered and split into active
// findings and accepted risks. Pure: the caller passes `now` and the options.
import { FINDINGS_SCHEMA, SEVERITIES, compareFindings, type Finding, type FindingsDocument, type ObservedSender, type ReceiveConnector, type Snapshot } from '../model.js';
import { buildPolicy, type PolicyIndex } from '../policy/index.js';
import { psQuote, type ConnectorProperty, type FindingDraft, type FixCandidate, type Need, type Rule, type RuleContext, type RuleOptions } from './rule.js';
import { ALL_RULES } from './rules/index.js';
import { isSuppressionExpired, matchesSuppression, type Suppression } from './suppressions.js';

export interface AuditOptions {
  exchangeServers?: string[];
  loadBalancers?: string[];
  /** Run only these rules (ids). */
  only?: readonly string[];
  /** Do not run these rules (ids). */
  skip?: readonly string[];
  suppressions?: readonly Suppression[];
  /** The rules to run; default every rule of the catalogue. */
  rules?: readonly Rule[];
  /** Hosts seen in the logs (`audit --logs`), for the fix generators. */
  observedSenders?: readonly ObservedSender[];
  /** Skip the fix generators (the verifier's re-audits only compare findings). */
  withoutFixes?: boolean;
}

/**
 * What a finding without a generator (or whose generator gave nothing) says: the script has
 * to be decided by hand, because exrelay has no script it could prove for it.
 */
export function genericManual(rule: Rule): string {
  return `${rule.meta.wording.action}: decide the change by hand. exrelay has no script it could prove in its own model for this finding (the remediation shows the usual commands, to adapt and review before use).`;
}

/**
 * The candidate of one finding, stamped before any proof (rules.md "Fixes"): a script is
 * `{script, verified: null}` ("not verified") until the verifier (src/proof) replaces it.
 */
export function fixCandidateOf(rule: Rule, draft: FindingDraft, context: RuleContext): FixCandidate {
  const candidate = rule.fix?.(draft, context);
  return candidate ?? { manual: genericManual(rule) };
}

/** A finding with its fix candidate, for the verifier. */
export interface AuditWithCandidates {
  doc: FindingsDocument;
  /** Every finding of `doc` (active and accepted) and the candidate its rule offered. */
  candidates: Map<Finding, FixCandidate>;
}

/** What each need means and which export (or option) provides it. */
export const NEEDS: Record<Need, { missing: string; export: string; has(context: RuleContext): boolean }> = {
  permissions: {
    missing: 'AD permission entries of the receive connectors',
    export: 'Get-ReceiveConnector | ForEach-Object { Get-ADPermission -Identity $_.DistinguishedName } | Export-Clixml adperm.xml (or the script from `exrelay collect-script`)',
    has: (c) => c.snapshot.permissions.length > 0,
  },
  certificates: {
    missing: 'Exchange certificates',
    export: 'Get-ExchangeServer | ForEach-Object { Get-ExchangeCertificate -Server $_.Name } | Export-Clixml certs.xml (or the script from `exrelay collect-script`)',
    has: (c) => c.snapshot.certificates.length > 0,
  },
  exchangeServerAddresses: {
    missing: 'IP addresses of the Exchange servers',
    export: 'exchange-servers.xml from the script of `exrelay collect-script` (Get-ExchangeServer with the servers\' IP addresses), or --exchange-servers IP,...',
    has: (c) => c.options.exchangeServers.length > 0 || c.snapshot.servers.some((s) => s.ipAddresses.length > 0),
  },
  loadBalancers: {
    missing: 'load balancer addresses',
    export: '--load-balancers IP,... (the addresses the balancers connect to Exchange from)',
    has: (c) => c.options.loadBalancers.length > 0,
  },
};

/** The export that carries every property of every receive connector. */
export const FULL_CONNECTOR_EXPORT = 'Get-ReceiveConnector | Export-Clixml receive-connectors.xml (every property: not a Select-Object, Format-Table or Format-List subset; or the script from `exrelay collect-script`)';

/**
 * Properties of a connector that the export did not contain and the importer filled with a
 * default (`extra.assumed`; older snapshots list them as `extra.notInExport`), by their
 * PowerShell names, lower case.
 */
export function assumedProperties(c: ReceiveConnector): Set<string> {
  const out = new Set<string>();
  for (const key of ['assumed', 'notInExport']) {
    const list = c.extra?.[key];
    if (Array.isArray(list)) for (const p of list) if (typeof p === 'string') out.add(p.toLowerCase());
  }
  return out;
}

const severityRank = (s: Finding['severity']): number => SEVERITIES.indexOf(s);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `withRemediation: false` leaves the remediation empty (the verifier's re-audits compare findings, not advice). */
export function stampFinding(rule: Rule, draft: FindingDraft, context: RuleContext, candidate: FixCandidate = fixCandidateOf(rule, draft, context), withRemediation = true): Finding {
  const connector = draft.connector ?? null;
  const server = draft.server !== undefined ? draft.server : connector?.server ?? null;
  const template = !withRemediation ? ''
    : (rule.remediationFromFix === true ? candidate.script ?? candidate.manual : rule.remediation?.(draft, context)) ?? draft.remediation ?? rule.meta.remediation;
  const remediation = template
    .replaceAll('{identity}', psQuote(connector?.identity ?? '<identity>'))
    .replaceAll('{server}', psQuote(server ?? '<server>'));
  return {
    rule: rule.meta.id,
    severity: draft.severity ?? rule.meta.defaultSeverity,
    server,
    connector: connector?.identity ?? null,
    title: rule.meta.title,
    message: draft.message,
    evidence: draft.evidence,
    remediation,
    references: [...rule.meta.references],
    fix: candidate.script === undefined ? null : { script: candidate.script, verified: null },
    manual: candidate.script === undefined ? candidate.manual : null,
  };
}

export function selectRules(rules: readonly Rule[], only: readonly string[] | undefined, skip: readonly string[] | undefined): Rule[] {
  const onlySet = only !== undefined && only.length > 0 ? new Set(only) : null;
  const skipSet = new Set(skip ?? []);
  return rules.filter((r) => (onlySet === null || onlySet.has(r.meta.id)) && !skipSet.has(r.meta.id));
}

export function runAudit(snapshot: Snapshot, options: AuditOptions, now: Date): FindingsDocument {
  return auditWithCandidates(snapshot, options, now).doc;
}

type NotRun = NonNullable<FindingsDocument['notRun']>;

/** The needs of a rule the context lacks (the rule does not run). */
function unmetNeeds(rule: Rule, context: RuleContext): Need[] {
  return (rule.meta.needs ?? []).filter((n) => !NEEDS[n].has(context));
}

/** The connectors some of whose properties were assumed, in snapshot order, with those properties (lower case). */
type AssumedIndex = ReadonlyArray<readonly [ReceiveConnector, ReadonlySet<string>]>;

// Built once per audit and shared by every rule: assumedProperties made a set per connector and rule.
function assumedIndexOf(connectors: readonly ReceiveConnector[]): AssumedIndex {
  const index: Array<readonly [ReceiveConnector, ReadonlySet<string>]> = [];
  for (const c of connectors) {
    if (c.extra === undefined) continue;
    const assumed = assumedProperties(c);
    if (assumed.size > 0) index.push([c, assumed]);
  }
  return index;
}

/**
 * One rule's drafts over a context. Assumed is not observed: the rule does not speak about a
 * connector whose properties it reads were filled with defaults, nor through one (the other side
 * of a conflict); those connectors are listed in `notRun`.
 */
function checkRule(rule: Rule, context: RuleContext, notRun: NotRun, assumedOf: AssumedIndex = assumedIndexOf(context.snapshot.connectors)): FindingDraft[] {
  const needed = rule.meta.dependsOn ?? [];
  const unobserved = new Set<ReceiveConnector>();
  for (const [c, assumedHere] of needed.length === 0 ? [] : assumedOf) {
    const assumed = needed.filter((p) => assumedHere.has(p.toLowerCase()));
    if (assumed.length === 0) continue;
    unobserved.add(c);
    if (rule.appliesTo !== undefined && !rule.appliesTo(c)) continue;
    notRun.push({
      rule: rule.meta.id, connector: c.identity,
      missing: `${assumed.join(', ')} of ${c.identity} (not in the export; a default was assumed)`,
      export: FULL_CONNECTOR_EXPORT,
    });
  }
  const drafts = rule.check(context);
  if (unobserved.size === 0) return drafts;
  return drafts.filter((draft) => ![draft.connector, ...(draft.involves ?? [])].some((c) => c !== undefined && c !== null && unobserved.has(c)));
}

function ruleOptionsOf(options: AuditOptions): RuleOptions {
  const ruleOptions: RuleOptions = { exchangeServers: [...(options.exchangeServers ?? [])], loadBalancers: [...(options.loadBalancers ?? [])] };
  if (options.observedSenders !== undefined) ruleOptions.observedSenders = options.observedSenders;
  return ruleOptions;
}

/** runAudit, keeping each finding's fix candidate (its fallback text included) for the verifier. */
export function auditWithCandidates(snapshot: Snapshot, options: AuditOptions, now: Date): AuditWithCandidates {
  const candidates = new Map<Finding, FixCandidate>();
  const context: RuleContext = { snapshot, policy: buildPolicy(snapshot), now, options: ruleOptionsOf(options) };
  const rules = selectRules(options.rules ?? ALL_RULES, options.only, options.skip);

  const notRun: NotRun = [];
  const all: Finding[] = [];
  const assumedOf = assumedIndexOf(snapshot.connectors);
  for (const rule of rules) {
    const unmet = unmetNeeds(rule, context);
    if (unmet.length > 0) {
      notRun.push({ rule: rule.meta.id, missing: unmet.map((n) => NEEDS[n].missing).join('; '), export: unmet.map((n) => NEEDS[n].export).join('; ') });
      continue;
    }
    for (const draft of checkRule(rule, context, notRun, assumedOf)) {
      const candidate = options.withoutFixes === true ? { manual: '' } : fixCandidateOf(rule, draft, context);
      const finding = stampFinding(rule, draft, context, candidate);
      candidates.set(finding, candidate);
      all.push(finding);
    }
  }
  all.sort(compareFindings);

  const findings: Finding[] = [];
  const accepted: NonNullable<FindingsDocument['accepted']> = [];
  for (const finding of all) {
    const matching = (options.suppressions ?? []).filter((s) => matchesSuppression(s, finding));
    const live = matching.find((s) => !isSuppressionExpired(s, now));
    if (live !== undefined) { accepted.push({ finding, reason: live.reason, expires: live.expires }); continue; }
    const expired = matching[0];
    // An expired acceptance no longer hides the finding, and the finding says so.
    if (expired === undefined) { findings.push(finding); continue; }
    const shown = { ...finding, message: `${finding.message} (accepted risk expired ${expired.expires}: ${expired.reason})` };
    const candidate = candidates.get(finding);
    if (candidate !== undefined) candidates.set(shown, candidate);
    findings.push(shown);
  }

  const summary = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  const doc: FindingsDocument = { schema: FINDINGS_SCHEMA, summary, findings };
  if (accepted.length > 0) doc.accepted = accepted;
  if (notRun.length > 0) doc.notRun = notRun.sort((a, b) => cmp(a.connector ?? '', b.connector ?? '') || cmp(a.rule, b.rule));
  return { doc, candidates };
}

// ---------------------------------------------------------------- incremental re-audit

/**
 * What a change script changed, as the incremental re-audit needs it (src/proof computes it
 * by comparing the snapshots before and after).
 */
export interface AuditChange {
  /** The servers, certificates or accepted domains changed: every rule runs again. */
  everything: boolean;
  /** Connectors (identity, lower case) added, removed, or whose properties or AD permission entries changed. */
  connectors: ReadonlySet<string>;
  /** Servers (name, lower case) of those connectors, and servers whose connectors changed order. */
  servers: ReadonlySet<string>;
  /**
   * When every change is to connector properties of RULE_LEAF_PROPERTIES (no AD entry, no
   * connector added, removed or moved): those properties (model field names); else null.
   */
  leafProperties: ReadonlySet<string> | null;
}

/**
 * Connector properties (model field → PowerShell name) that the policy engine's selection and
 * rights never read: a rule reads one only in its own trigger, and then names it in
 * meta.dependsOn (rules.md "Assumed is not observed" asks that of every rule). Those without a
 * PowerShell name are not in CONNECTOR_PROPERTIES: no rule reads them. A change to nothing but
 * these properties leaves the findings of every rule that does not name them as they were (a
 * protocol-logging fix re-runs protocol-logging-disabled alone). test/proof/incremental*.test.ts
 * changes each of them on every connector of its estates.
 */
export const RULE_LEAF_PROPERTIES: Readonly<Record<string, ConnectorProperty | null>> = {
  protocolLoggingLevel: 'ProtocolLoggingLevel', fqdn: 'Fqdn', tlsCertificateName: 'TlsCertificateName', requireTLS: 'RequireTLS',
  banner: null, maxMessageSize: null, maxRecipientsPerMessage: null, domainSecureEnabled: null,
};

/** Whether the rule names (in meta.dependsOn) one of the leaf properties changed. */
function readsLeaf(rule: Rule, changed: ReadonlySet<string>): boolean {
  const named = rule.meta.dependsOn ?? [];
  for (const field of changed) {
    const property = RULE_LEAF_PROPERTIES[field];
    if (property === undefined || (property !== null && named.includes(property))) return true;
  }
  return false;
}

/** The snapshot cut down to some connectors and their permission entries (servers, domains and certificates whole). */
function cutDown(snapshot: Snapshot, keep: (c: ReceiveConnector) => boolean): Snapshot {
  const connectors = snapshot.connectors.filter(keep);
  const identities = new Set(connectors.map((c) => c.identity.toLowerCase()));
  return { ...snapshot, connectors, permissions: snapshot.permissions.filter((p) => identities.has(p.identity.toLowerCase())) };
}

const regions = new WeakMap<Snapshot, Map<string, Snapshot>>();

/**
 * The connectors of some servers (lower-case names) with their permission entries: all that a
 * server-scoped rule or a replay through those servers reads. One object per snapshot and set
 * of servers, so the policy index built over it (buildPolicy caches per object) is shared.
 */
export function serverRegion(snapshot: Snapshot, servers: ReadonlySet<string>): Snapshot {
  let known = regions.get(snapshot);
  if (known === undefined) { known = new Map(); regions.set(snapshot, known); }
  const key = [...servers].sort().join('\n');
  let region = known.get(key);
  if (region === undefined) {
    region = cutDown(snapshot, (c) => servers.has(c.server.toLowerCase()));
    known.set(key, region);
  }
  return region;
}

/** A rule context whose policy index is built only if a rule asks for it. */
function lazyContext(snapshot: Snapshot, now: Date, options: RuleOptions): RuleContext {
  let policy: PolicyIndex | undefined;
  return { snapshot, now, options, get policy(): PolicyIndex { policy ??= buildPolicy(snapshot); return policy; } };
}

/** The findings a previous audit of a snapshot gave (active and accepted): what a re-audit starts from. */
export interface AuditedState {
  snapshot: Snapshot;
  /** Every finding of every selected rule, suppressed ones included. */
  findings: readonly Finding[];
}

/**
 * The findings of `after` (active and accepted together, unsorted, without fix candidates; those
 * run again without remediation text), as auditWithCandidates would give them with
 * `withoutFixes`, computed from the audit of `before`:
 * a rule runs again only where `change` can have changed its findings (its meta.scope), the
 * rest is taken from before. The verifier's re-audit of each candidate script.
 */
export function reauditChanged(before: AuditedState, after: Snapshot, change: AuditChange, options: AuditOptions, now: Date): Finding[] {
  if (!change.everything && change.connectors.size === 0 && change.servers.size === 0) return [...before.findings];
  const ruleOptions = ruleOptionsOf(options);
  const full = lazyContext(after, now, ruleOptions);
  const previous = lazyContext(before.snapshot, now, ruleOptions);
  let byConnector: RuleContext | undefined;
  let byServer: RuleContext | undefined;
  const connectorContext = (): RuleContext => (byConnector ??= lazyContext(cutDown(after, (c) => change.connectors.has(c.identity.toLowerCase())), now, ruleOptions));
  const serverContext = (): RuleContext => (byServer ??= lazyContext(serverRegion(after, change.servers), now, ruleOptions));
  const inConnectors = (f: Pick<Finding, 'connector'>): boolean => f.connector !== null && change.connectors.has(f.connector.toLowerCase());
  const inServers = (f: Pick<Finding, 'server'>): boolean => f.server !== null && change.servers.has(f.server.toLowerCase());
  const beforeByRule = new Map<string, Finding[]>();
  for (const f of before.findings) {
    const list = beforeByRule.get(f.rule);
    if (list === undefined) beforeByRule.set(f.rule, [f]); else list.push(f);
  }

  const out: Finding[] = [];
  const notRun: NotRun = [];
  const rerun = (rule: Rule, context: RuleContext, keep: (f: Finding) => boolean): void => {
    for (const draft of checkRule(rule, context, notRun)) {
      const finding = stampFinding(rule, draft, context, { manual: '' }, false);
      if (keep(finding)) out.push(finding);
    }
  };
  for (const rule of selectRules(options.rules ?? ALL_RULES, options.only, options.skip)) {
    if (unmetNeeds(rule, full).length > 0) continue;
    const previously = beforeByRule.get(rule.meta.id) ?? [];
    const scope = rule.meta.scope ?? 'organisation';
    // A rule that did not run before (a need was unmet) has nothing to start from.
    const ranBefore = unmetNeeds(rule, previous).length === 0;
    if (ranBefore && !change.everything && change.leafProperties !== null && !readsLeaf(rule, change.leafProperties)) {
      out.push(...previously);
    } else if (change.everything || scope === 'organisation' || !ranBefore) {
      rerun(rule, full, () => true);
    } else if (scope === 'connector') {
      out.push(...previously.filter((f) => !inConnectors(f)));
      rerun(rule, connectorContext(), inConnectors);
    } else if (scope === 'server') {
      out.push(...previously.filter((f) => !inServers(f)));
      rerun(rule, serverContext(), inServers);
    } else {
      out.push(...previously);
    }
  }
  return out;
}

/** Whether a gate at `threshold` fails: any active finding at that severity or worse. */
export function gateFails(doc: FindingsDocument, threshold: Finding['severity']): boolean {
  return doc.findings.some((f) => severityRank(f.severity) <= severityRank(threshold));
}
