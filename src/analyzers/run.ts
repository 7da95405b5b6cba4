// runAudit: every selected rule over one snapshot, stamped, ordered and split into active
// findings and accepted risks. Pure: the caller passes `now` and the options.
import { FINDINGS_SCHEMA, SEVERITIES, compareFindings, type Finding, type FindingsDocument, type ObservedSender, type ReceiveConnector, type Snapshot } from '../model.js';
import { buildPolicy } from '../policy/index.js';
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

/** The properties among `needed` that were assumed for `c`, in the rule's order. */
export function assumedAmong(c: ReceiveConnector, needed: readonly ConnectorProperty[]): ConnectorProperty[] {
  if (needed.length === 0 || c.extra === undefined) return [];
  const assumed = assumedProperties(c);
  return assumed.size === 0 ? [] : needed.filter((p) => assumed.has(p.toLowerCase()));
}

const severityRank = (s: Finding['severity']): number => SEVERITIES.indexOf(s);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function stampFinding(rule: Rule, draft: FindingDraft, context: RuleContext, candidate: FixCandidate = fixCandidateOf(rule, draft, context)): Finding {
  const connector = draft.connector ?? null;
  const server = draft.server !== undefined ? draft.server : connector?.server ?? null;
  const template = (rule.remediationFromFix === true ? candidate.script ?? candidate.manual : rule.remediation?.(draft, context)) ?? draft.remediation ?? rule.meta.remediation;
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

/** runAudit, keeping each finding's fix candidate (its fallback text included) for the verifier. */
export function auditWithCandidates(snapshot: Snapshot, options: AuditOptions, now: Date): AuditWithCandidates {
  const ruleOptions: RuleOptions = { exchangeServers: [...(options.exchangeServers ?? [])], loadBalancers: [...(options.loadBalancers ?? [])] };
  if (options.observedSenders !== undefined) ruleOptions.observedSenders = options.observedSenders;
  const candidates = new Map<Finding, FixCandidate>();
  const context: RuleContext = { snapshot, policy: buildPolicy(snapshot), now, options: ruleOptions };
  const rules = selectRules(options.rules ?? ALL_RULES, options.only, options.skip);

  const notRun: NonNullable<FindingsDocument['notRun']> = [];
  const all: Finding[] = [];
  for (const rule of rules) {
    const unmet = (rule.meta.needs ?? []).filter((n) => !NEEDS[n].has(context));
    if (unmet.length > 0) {
      notRun.push({ rule: rule.meta.id, missing: unmet.map((n) => NEEDS[n].missing).join('; '), export: unmet.map((n) => NEEDS[n].export).join('; ') });
      continue;
    }
    // Assumed is not observed: the rule does not speak about a connector whose properties it
    // reads were filled with defaults, nor through one (the other side of a conflict).
    const needed = rule.meta.dependsOn ?? [];
    const unobserved = new Set<ReceiveConnector>();
    for (const c of snapshot.connectors) {
      const assumed = assumedAmong(c, needed);
      if (assumed.length === 0) continue;
      unobserved.add(c);
      if (rule.appliesTo !== undefined && !rule.appliesTo(c)) continue;
      notRun.push({
        rule: rule.meta.id, connector: c.identity,
        missing: `${assumed.join(', ')} of ${c.identity} (not in the export; a default was assumed)`,
        export: FULL_CONNECTOR_EXPORT,
      });
    }
    for (const draft of rule.check(context)) {
      if (unobserved.size > 0 && [draft.connector, ...(draft.involves ?? [])].some((c) => c !== undefined && c !== null && unobserved.has(c))) continue;
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

/** Whether a gate at `threshold` fails: any active finding at that severity or worse. */
export function gateFails(doc: FindingsDocument, threshold: Finding['severity']): boolean {
  return doc.findings.some((f) => severityRank(f.severity) <= severityRank(threshold));
}
