// runAudit: every selected rule over one snapshot, stamped, ordered and split into active
// findings and accepted risks. Pure: the caller passes `now` and the options.
import { FINDINGS_SCHEMA, SEVERITIES, type Finding, type FindingsDocument, type Snapshot } from '../model.js';
import { buildPolicy } from '../policy/index.js';
import { psQuote, type FindingDraft, type Need, type Rule, type RuleContext, type RuleOptions } from './rule.js';
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

const severityRank = (s: Finding['severity']): number => SEVERITIES.indexOf(s);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Findings order (style §3.9): severity, rule, server, connector; then message, for full determinism. */
export function compareFindings(a: Finding, b: Finding): number {
  return severityRank(a.severity) - severityRank(b.severity) || cmp(a.rule, b.rule)
    || cmp(a.server ?? '', b.server ?? '') || cmp(a.connector ?? '', b.connector ?? '') || cmp(a.message, b.message);
}

export function stampFinding(rule: Rule, draft: FindingDraft): Finding {
  const connector = draft.connector ?? null;
  const server = draft.server !== undefined ? draft.server : connector?.server ?? null;
  const template = draft.remediation ?? rule.meta.remediation;
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
  };
}

export function selectRules(rules: readonly Rule[], only: readonly string[] | undefined, skip: readonly string[] | undefined): Rule[] {
  const onlySet = only !== undefined && only.length > 0 ? new Set(only) : null;
  const skipSet = new Set(skip ?? []);
  return rules.filter((r) => (onlySet === null || onlySet.has(r.meta.id)) && !skipSet.has(r.meta.id));
}

export function runAudit(snapshot: Snapshot, options: AuditOptions, now: Date): FindingsDocument {
  const ruleOptions: RuleOptions = { exchangeServers: [...(options.exchangeServers ?? [])], loadBalancers: [...(options.loadBalancers ?? [])] };
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
    for (const draft of rule.check(context)) all.push(stampFinding(rule, draft));
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
    findings.push(expired === undefined ? finding
      : { ...finding, message: `${finding.message} (accepted risk expired ${expired.expires}: ${expired.reason})` });
  }

  const summary = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  const doc: FindingsDocument = { schema: FINDINGS_SCHEMA, summary, findings };
  if (accepted.length > 0) doc.accepted = accepted;
  if (notRun.length > 0) doc.notRun = notRun.sort((a, b) => cmp(a.rule, b.rule));
  return doc;
}

/** Whether a gate at `threshold` fails: any active finding at that severity or worse. */
export function gateFails(doc: FindingsDocument, threshold: Finding['severity']): boolean {
  return doc.findings.some((f) => severityRank(f.severity) <= severityRank(threshold));
}
