// What an audit rule is: everything about it lives in its own file — metadata (id, default
// severity, title, description, references, the data and connector properties it needs), the
// customer's wording (impact and action), the remediation, and a pure check that returns
// drafts. run.ts stamps the drafts into findings, so a rule never repeats its own metadata
// (style §3.6); emitters and docs/rules/ read the same meta.
import type { JsonValue } from '../json.js';
import type { IpRange, ObservedSender, ReceiveConnector, RuleId, RuleInfo, RuleWording, Severity, Snapshot } from '../model.js';
import { type PolicyIndex } from '../policy/index.js';
import { builtInConnectorBase } from '../connectors.js';

/**
 * Data a rule cannot work without. When the input lacks it the rule does not run and the
 * audit says so once, with the export that would enable it.
 */
export type Need = 'permissions' | 'certificates' | 'exchangeServerAddresses' | 'loadBalancers';

/**
 * Receive connector properties, by their PowerShell names (as `extra.assumed` lists them). A
 * rule names those its trigger reads; where one was assumed (not in the export) the rule does
 * not run for that connector (rules.md, "Assumed is not observed").
 */
export const CONNECTOR_PROPERTIES = [
  'Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism',
  'ProtocolLoggingLevel', 'Fqdn', 'TlsCertificateName', 'RequireTLS',
] as const;
export type ConnectorProperty = (typeof CONNECTOR_PROPERTIES)[number];

/**
 * What a rule's findings depend on, so that the fix verifier re-audits after a script only the
 * rules and connectors it can have changed (src/proof). A change to the servers, certificates or
 * accepted domains re-audits every rule; otherwise a finding depends on:
 * - 'connector': the connector it is about alone (its properties and its AD permission entries);
 * - 'server': the connectors of its server (e.g. which one wins an address or a port);
 * - 'organisation': connectors of any server (e.g. the same connector compared across servers);
 * - 'no-connector': no connector at all (only servers, certificates or accepted domains).
 * Too narrow a scope makes the verifier wrong: test/proof/incremental*.test.ts compares the
 * incremental re-audit with the full one for every candidate fix of every test estate.
 */
export type RuleScope = 'connector' | 'server' | 'organisation' | 'no-connector';

export interface RuleMeta extends RuleInfo {
  id: RuleId;
  /** What its findings depend on (see RuleScope); absent: 'organisation' (always re-run). */
  scope?: RuleScope;
  defaultSeverity: Severity;
  /** One line, the finding's title. */
  title: string;
  /** When the rule fires, one sentence (docs/rules/ and the rule table). */
  description: string;
  /**
   * Copy-ready PowerShell. `{identity}` is replaced by the connector's identity, quoted for
   * PowerShell; `{server}` by its server. A draft may give a more precise remediation.
   */
  remediation: string;
  /** Microsoft documentation. */
  references: string[];
  needs?: Need[];
  /** Connector properties the trigger reads (of the connector a finding is about). */
  dependsOn?: ConnectorProperty[];
  /** For the customer: what goes wrong and what to do (the report's summary and cards). */
  wording: RuleWording;
  gradedWording?: Partial<Record<Severity, RuleWording>>;
}

export interface RuleOptions {
  /** Addresses of the organisation's Exchange servers beyond the snapshot's `servers[].ipAddresses`. */
  exchangeServers: string[];
  /** Inside addresses of load balancers in front of Exchange. */
  loadBalancers: string[];
  /** Hosts seen sending in the logs (`audit --logs`); absent when no logs were given. */
  observedSenders?: readonly ObservedSender[];
}

/**
 * A rule's candidate remediation for one finding: a script for the verifier to prove (apply,
 * re-audit, replay; rules.md "Fixes"), or `manual` advice when no script can be safe (e.g.
 * the hosts that must keep relaying are unknown). A script that fails its proof is replaced by
 * `manual` text, never shown.
 */
export type FixCandidate =
  | {
    script: string; manual?: undefined; /** what to do by hand if the proof fails */ fallback?: string;
    /**
     * Connectors (identities) whose relay hosts the script deliberately changes beyond the
     * finding's own (the copies on the other servers): their sample hosts are not held against
     * it; hosts seen in the logs still are.
     */
    changesRelayHostsOf?: readonly string[];
  }
  | { manual: string; script?: undefined };

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
  /** Other connectors whose properties the finding rests on (e.g. the other side of a conflict). */
  involves?: ReceiveConnector[];
  /** Defaults to the connector's server. */
  server?: string | null;
  /** Only for rules that rules.md grades (e.g. critical vs high). */
  severity?: Severity | undefined;
  message: string;
  evidence: Record<string, JsonValue>;
  /** A remediation for this finding; default the rule's `remediation` (see Rule.remediation). */
  remediation?: string | undefined;
}

export interface Rule {
  meta: RuleMeta;
  /**
   * Which connectors the check looks at, when not all of them (e.g. only Default Frontend):
   * a connector outside it is never reported as "not run" for this rule.
   */
  appliesTo?(connector: ReceiveConnector): boolean;
  check(context: RuleContext): FindingDraft[];
  /**
   * The fix seam. Today: the advice text a finding carries (the draft's own remediation or the
   * meta's template). A generator of proved fixes (`fix: {script, verified}` or `manual` in
   * exrelay.findings/1, rules.md "Fixes") takes its place rule by rule.
   */
  remediation?(draft: FindingDraft, context: RuleContext): string | undefined;
  /**
   * The remediation text is the fix candidate's own script or manual text, so the two never
   * disagree; the runner takes it from the candidate it already computed (a generator may be
   * costly, e.g. reading the ACL of a connector, and runs once per finding).
   */
  remediationFromFix?: boolean;
  /** The fix generator (rules.md "Fixes"): a candidate script or manual advice for one finding. */
  fix?(draft: FindingDraft, context: RuleContext): FixCandidate;
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
