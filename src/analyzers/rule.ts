// What an audit rule is: metadata (id, default severity, title, remediation, references,
// the data it needs) and a pure check that returns drafts. run.ts stamps the drafts into
// findings, so a rule never repeats its own metadata (style §3.6).
import type { JsonValue } from '../json.js';
import type { IpRange, ReceiveConnector, RuleId, Severity, Snapshot } from '../model.js';
import { type PolicyIndex } from '../policy/index.js';
import { builtInConnectorBase } from '../connectors.js';

/**
 * Data a rule cannot work without. When the input lacks it the rule does not run and the
 * audit says so once, with the export that would enable it.
 */
export type Need = 'permissions' | 'certificates' | 'exchangeServerAddresses' | 'loadBalancers';

export interface RuleMeta {
  id: RuleId;
  defaultSeverity: Severity;
  /** One line, the finding's title. */
  title: string;
  /** When the rule fires, one sentence (the README's rule table). */
  description: string;
  /**
   * Copy-ready PowerShell. `{identity}` is replaced by the connector's identity, quoted for
   * PowerShell; `{server}` by its server. A draft may give a more precise remediation.
   */
  remediation: string;
  /** Microsoft documentation. */
  references: string[];
  needs?: Need[];
}

export interface RuleOptions {
  /** Addresses of the organisation's Exchange servers beyond the snapshot's `servers[].ipAddresses`. */
  exchangeServers: string[];
  /** Inside addresses of load balancers in front of Exchange. */
  loadBalancers: string[];
}

export interface RuleContext {
  snapshot: Snapshot;
  policy: PolicyIndex;
  now: Date;
  options: RuleOptions;
}

/** What a rule reports; run.ts adds rule, title, references and the default severity. */
export interface FindingDraft {
  /** The connector the finding is about; null/absent for the organisation as a whole. */
  connector?: ReceiveConnector | null;
  /** Defaults to the connector's server. */
  server?: string | null;
  /** Only for rules that rules.md grades (e.g. critical vs high). */
  severity?: Severity | undefined;
  message: string;
  evidence: Record<string, JsonValue>;
  remediation?: string | undefined;
}

export interface Rule {
  meta: RuleMeta;
  check(context: RuleContext): FindingDraft[];
}

export function defineRule(rule: Rule): Rule {
  return rule;
}

// ---------------------------------------------------------------- helpers shared by rules

export { psQuote } from '../powershell/quote.js';

export function rangeEvidence(range: IpRange): { expression: string; first: string; last: string } {
  return { expression: range.expression, first: range.first, last: range.last };
}

/** Evidence lists are capped so a connector with half a million ranges stays readable. */
export const EVIDENCE_LIMIT = 50;

// Default connector names end with a space and the server's NetBIOS name (reference §1.1, §1.4, §1.5).
export { builtInConnectorBase as defaultConnectorKind } from '../connectors.js';

/** A connector the administrator created (not one of setup's). */
export function isCustomConnector(c: ReceiveConnector): boolean {
  return builtInConnectorBase(c) === null;
}

/** Connectors that compete for the same listener: same server and transport role (2010: no role). */
export function roleKey(c: ReceiveConnector): string {
  return `${c.server.toLowerCase()}|${c.transportRole ?? 'HubTransport'}`;
}
