// The one normalised domain model. Field names are the `exrelay.snapshot/1` and
// `exrelay.findings/1` JSON names (see shared contract CLI.md), so writing a snapshot is
// stableStringify(snapshot) with no mapping layer. Plain data only.
import type { JsonValue } from './json.js';

export const SNAPSHOT_SCHEMA = 'exrelay.snapshot/1';
export const FINDINGS_SCHEMA = 'exrelay.findings/1';
export const SCENARIOS_SCHEMA = 'exrelay.scenarios/1';
export const REPLAY_SCHEMA = 'exrelay.replay/1';
export const LOGS_SCHEMA = 'exrelay.logs/1';

export const PERMISSION_GROUPS = [
  'AnonymousUsers', 'ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers', 'Partners', 'Custom',
] as const;
export type PermissionGroup = (typeof PERMISSION_GROUPS)[number];

export const AUTH_MECHANISMS = [
  'Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer', 'ExternalAuthoritative',
] as const;
export type AuthMechanism = (typeof AUTH_MECHANISMS)[number];

export const TRANSPORT_ROLES = ['FrontendTransport', 'HubTransport'] as const;
export type TransportRole = (typeof TRANSPORT_ROLES)[number];

export const DOMAIN_TYPES = ['Authoritative', 'InternalRelay', 'ExternalRelay'] as const;
export type DomainType = (typeof DOMAIN_TYPES)[number];

export const PROTOCOL_LOGGING_LEVELS = ['None', 'Verbose'] as const;
export type ProtocolLoggingLevel = (typeof PROTOCOL_LOGGING_LEVELS)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const; // worst first
export type Severity = (typeof SEVERITIES)[number];

/** The rule catalogue's ids, copied from shared contract rules.md (a test keeps them in step). */
export const RULE_IDS = [
  'anonymous-open-relay',
  'anonymous-relay-inventory',
  'externally-secured-relay',
  'relay-range-includes-exchange-server',
  'load-balancer-in-relay-range',
  'overlapping-remote-ranges',
  'duplicate-connector-scope',
  'shadowed-connector',
  'basic-auth-without-tls',
  'tls-not-offered',
  'tls-certificate-missing',
  'tls-certificate-expired',
  'hub-transport-relay-connector',
  'port-conflict',
  'protocol-logging-disabled',
  'connector-inconsistent-across-servers',
  'default-frontend-altered',
  'anonymous-sender-spoofing',
  'explicit-deny-present',
  'wildcard-accepted-domain',
  'disabled-connector',
  'unsupported-exchange-version',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Inclusive address range; `first`/`last` in RFC 5952 form (IPv4 dotted quad). */
export interface IpRange { expression: string; first: string; last: string }
/** `address` is `0.0.0.0`, `::` or one address in RFC 5952 form. */
export interface Binding { address: string; port: number }

export interface SourceRef { file: string; line: number | null }

export interface ReceiveConnector {
  identity: string;
  server: string;
  name: string;
  /** null: the export has none (Exchange 2010). */
  transportRole: TransportRole | null;
  enabled: boolean;
  bindings: Binding[];
  remoteIPRanges: IpRange[];
  permissionGroups: PermissionGroup[];
  authMechanism: AuthMechanism[];
  requireTLS: boolean;
  domainSecureEnabled: boolean;
  fqdn: string | null;
  tlsCertificateName: string | null;
  banner: string | null;
  protocolLoggingLevel: ProtocolLoggingLevel;
  /** bytes; null = Unlimited */
  maxMessageSize: number | null;
  /** null = Unlimited */
  maxRecipientsPerMessage: number | null;
  /** Properties we keep but do not model (e.g. source {file, line}, TarpitInterval, ...). */
  extra?: ConnectorExtra;
}

/**
 * A connector's `extra`. `assumed`: the PowerShell names of the properties the export did not
 * contain and the importer filled with a default so the snapshot is complete, sorted (contract
 * rules.md, "Assumed is not observed"); absent when every modelled property was observed.
 */
export type ConnectorExtra = Record<string, JsonValue> & { assumed?: string[] };

export interface Permission {
  identity: string;
  user: string;
  deny: boolean;
  inherited: boolean;
  extendedRights: string[];
  extra?: Record<string, JsonValue>;
}

export interface ExchangeServer {
  name: string;
  fqdn: string | null;
  version: string | null;
  roles: string[];
  ipAddresses: string[];
  extra?: Record<string, JsonValue>;
}

export interface AcceptedDomain {
  domainName: string;
  domainType: DomainType;
  default: boolean;
  extra?: Record<string, JsonValue>;
}

export interface Certificate {
  thumbprint: string;
  subject: string;
  issuer: string;
  /** ISO 8601 UTC */
  notAfter: string;
  dnsNames: string[];
  services: string[];
  server: string | null;
  extra?: Record<string, JsonValue>;
}

export interface ImportWarning { file: string; line: number | null; message: string }

export interface Snapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  servers: ExchangeServer[];
  connectors: ReceiveConnector[];
  permissions: Permission[];
  acceptedDomains: AcceptedDomain[];
  certificates: Certificate[];
  warnings: ImportWarning[];
}

export function emptySnapshot(): Snapshot {
  return { schema: SNAPSHOT_SCHEMA, servers: [], connectors: [], permissions: [], acceptedDomains: [], certificates: [], warnings: [] };
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  server: string | null;
  connector: string | null;
  title: string;
  message: string;
  evidence: Record<string, JsonValue>;
  remediation: string;
  references: string[];
  /**
   * A script exrelay proved in its own model (rules.md "Fixes"), or null when none could be
   * proved safe; then `manual` says what to decide by hand and why. Absent on documents
   * written before fixes existed.
   */
  fix?: FindingFix | null;
  manual?: string | null;
}

/** What exrelay's dry run proved about a fix (exrelay.findings/1 `fix.verified`). */
export interface FixVerification {
  /** `apply` of the script on the audited snapshot succeeded. */
  accepted: boolean;
  /** Re-auditing the result no longer reports the finding. */
  resolves: boolean;
  /** Findings of equal or higher severity the result adds (rule and connector), must be empty. */
  newFindings: string[];
  /** Behaviour replay showed unchanged, in words ("inbound internet mail to corp.example on port 25"). */
  kept: string[];
}

export interface FindingFix {
  script: string;
  /** null when the proof was skipped (`audit --no-verify`): the fix then says "not verified". */
  verified: FixVerification | null;
}

/**
 * Traffic seen in the estate's logs (`audit --logs`): the hosts a relay fix must keep. Built by
 * the command from the logs inventory so analyzers need not read logs.
 */
export interface ObservedSender {
  /** Connector identity the host used (the selected one, when the configuration was given). */
  connector: string | null;
  server: string | null;
  remoteIp: string;
  authenticated: boolean;
  messages: number;
  externalRecipients: number | null;
}

/** What a finding means for the organisation, in the customer's words (the report's "why" and "do"). */
export interface RuleWording {
  /** What goes wrong if it is left as it is (one or two sentences, no jargon). */
  impact: string;
  /** The action, imperative, completed by " on <connector>" where there is one. */
  action: string;
}

/**
 * What emitters need to know about a rule, read from the rule itself (its file's meta) and
 * handed to them by the command, so no emitter keeps its own copy of a rule's words.
 */
export interface RuleInfo {
  id: RuleId;
  defaultSeverity: Severity;
  title: string;
  wording: RuleWording;
  /** Where the severity changes the story (rules.md grades some rules). */
  gradedWording?: Partial<Record<Severity, RuleWording>>;
}

const textOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The one order of findings (style §3.9): severity, rule, server, connector; then message, for
 * full determinism. The audit sorts with it and every format (text, JSON, CSV, HTML) keeps it.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || textOrder(a.rule, b.rule)
    || textOrder(a.server ?? '', b.server ?? '') || textOrder(a.connector ?? '', b.connector ?? '') || textOrder(a.message, b.message);
}

export interface FindingsSummary { critical: number; high: number; medium: number; low: number; info: number }

export interface FindingsDocument {
  schema: typeof FINDINGS_SCHEMA;
  summary: FindingsSummary;
  findings: Finding[];
  /** Suppressed findings: listed as accepted risks, never dropped. */
  accepted?: Array<{ finding: Finding; reason: string; expires: string }>;
  /**
   * Checks that could not run for lack of data, and the export that would enable them. With
   * `connector`, the check ran for the other connectors but not for this one, because a
   * property it depends on was assumed (`extra.assumed`), not exported.
   */
  notRun?: Array<{ rule: RuleId; connector?: string; missing: string; export: string }>;
}

// ---- scenarios and replay (exrelay.scenarios/1, exrelay.replay/1) ----

export interface ScenarioUser { user: string; password: string; addresses: string[] }
export interface ScenarioAuth { user: string; password: string; mechanism: string }

export interface Scenario {
  name: string;
  server?: string;
  clientIp: string;
  port: number;
  tls: boolean;
  auth: ScenarioAuth | null;
  helo: string;
  mailFrom: string;
  rcptTo: string[];
  localAddress?: string;
  data?: string;
  messageSize?: number;
  bdat?: boolean;
  /** The outcome the consultant wants (after a migration or fix); a comparison reports reaching it as "fixed". */
  expect?: 'accepted' | 'rejected';
  /** Header lines put on top of the message (e.g. `Received: …` for MaxHopCount, a long one for MaxHeaderSize). */
  headers?: string[];
  /** Messages sent one after another in the same session (MessageRateLimit); default 1. */
  repeat?: number;
}

export interface ScenariosDocument {
  schema: typeof SCENARIOS_SCHEMA;
  users: ScenarioUser[];
  scenarios: Scenario[];
}

export const SMTP_STAGES = ['connect', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'message'] as const;
export type SmtpStage = (typeof SMTP_STAGES)[number];

/** One SMTP reply as Exchange would send it. `enhanced` is the RFC 3463 code or null. */
export interface Reply { code: number; enhanced: string | null; text: string }
export interface StageReply extends Reply { stage: SmtpStage }
export interface RecipientReply extends Reply { address: string }

export type ReplayOutcome = 'accepted' | 'rejected' | 'refused';

export interface ReplayResult {
  name: string;
  connector: string | null;
  outcome: ReplayOutcome;
  replies: StageReply[];
  recipients: RecipientReply[];
}

export interface ReplayComparison { name: string; before: ReplayResult; after: ReplayResult; changed: boolean }

export type ReplayDocument =
  | { schema: typeof REPLAY_SCHEMA; results: ReplayResult[] }
  | { schema: typeof REPLAY_SCHEMA; summary: { total: number; changed: number }; results: ReplayComparison[] };

// ---------------------------------------------------------------- exit plan (exrelay.plan/1)

export const PLAN_SCHEMA = 'exrelay.plan/1';

/** The paths of shared/contract/CLI.md `plan` (target m365; `keep-on-premises` for every target). */
export const PLAN_PATHS = [
  'client-submission-oauth', 'client-submission-basic', 'high-volume-email', 'azure-communication-services',
  'connector-ip', 'connector-certificate', 'keep-on-premises',
] as const;
export type PlanPath = (typeof PLAN_PATHS)[number];

export type PlanTarget = 'm365' | 'se' | 'postfix';

/** One sender of the exit plan: what the logs (and the worksheet) show it does, where it goes, what blocks it. */
export interface PlanSender {
  remoteIp: string;
  /** Connector identity the sender uses today. */
  connector: string | null;
  server: string | null;
  path: PlanPath;
  /** Why this path (the decision-table row, or the worksheet's decision). */
  reasons: string[];
  /** Machine names (`basic-auth`, `no-dedicated-egress`, `sender-domain-not-accepted`, `tenant-outbound-limit`, …) with their explanation. */
  blockers: Array<{ id: string; text: string }>;
  messagesPerDay: number;
  externalRecipientsPerDay: number;
  internalRecipientsPerDay: number;
  authenticated: boolean;
  /** Accounts it logs in with, and the mechanisms (LOGIN/PLAIN are Basic auth). */
  accounts: string[];
  senderDomains: string[];
  /** The dedicated public egress address (`--egress`), when known. */
  egressIp: string | null;
  owner: string;
  application: string;
  /** Where the path came from: the default decision table or the worksheet. */
  decidedBy: 'table' | 'worksheet';
  /**
   * For `connector-certificate`: the certificate name (subject or SAN domain) the sender
   * presents, which the Exchange Online connector checks (`-TlsSenderCertificateName`). Optional:
   * filled in by hand or by the worksheet; `emit exo` creates no connector without it.
   */
  tlsCertificateName?: string | null;
  /** Added by `plan` (optional so older producers stay valid): the busiest day's external recipients, which decision row 1 and the tenant limit judge. */
  maxExternalRecipientsPerDay?: number;
  /** `unknown` when only message tracking logs saw the sender on a connector that offers a logon. */
  auth?: 'anonymous' | 'authenticated' | 'unknown';
  /** AUTH mechanisms of its logons (`LOGIN`, `PLAIN` are Basic auth). */
  authMechanisms?: string[];
}

export interface PlanDocument {
  schema: typeof PLAN_SCHEMA;
  target: PlanTarget;
  senders: PlanSender[];
  /** Added by `plan`: the day it was made (YYYY-MM-DD; dates such as Basic auth's end are said relative to it). */
  madeOn?: string;
  /** `--licences`, and the tenant external recipient limit computed from it (null without). */
  licences?: number | null;
  tenantExternalRecipientLimit?: number | null;
}

/**
 * Receive connector properties of reference §1.2 that New-/Set-ReceiveConnector take and that the
 * model keeps only in `extra` (as the export printed them): apply sets them, and a fix that
 * recreates a connector carries every one of them over or is not offered.
 */
export const CONNECTOR_EXTRA_SETTINGS: readonly string[] = [
  'Comment', 'ConnectionTimeout', 'ConnectionInactivityTimeout', 'MessageRateLimit', 'MessageRateSource',
  'MaxInboundConnection', 'MaxInboundConnectionPerSource', 'MaxInboundConnectionPercentagePerSource',
  'MaxHeaderSize', 'MaxHopCount', 'MaxLocalHopCount', 'MaxLogonFailures', 'MaxProtocolErrors',
  'BinaryMimeEnabled', 'ChunkingEnabled', 'DefaultDomain', 'DeliveryStatusNotificationEnabled',
  'EightBitMimeEnabled', 'SmtpUtf8Enabled', 'BareLinefeedRejectionEnabled', 'EnhancedStatusCodesEnabled',
  'LongAddressesEnabled', 'OrarEnabled', 'SuppressXAnonymousTls', 'ProxyEnabled', 'AdvertiseClientSettings',
  'ServiceDiscoveryFqdn', 'PipeliningEnabled', 'RequireEHLODomain', 'EnableAuthGSSAPI',
  'ExtendedProtectionPolicy', 'LiveCredentialEnabled', 'TlsDomainCapabilities', 'SizeEnabled',
  'TarpitInterval', 'AuthTarpitInterval', 'MaxAcknowledgementDelay', 'RejectReservedTopLevelRecipientDomains',
  'RejectReservedSecondLevelRecipientDomains', 'RejectSingleLabelRecipientDomains', 'AcceptConsumerMail',
];
