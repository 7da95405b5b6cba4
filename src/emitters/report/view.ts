// Snapshot + findings + policy (+ a replay comparison) → everything the report template shows.
// Pure: no clock (generatedAt comes in), no disk. Every decision about what to show lives here;
// templates/report.html.hbs only lays it out. Anchors are built from indices, never from
// customer values, so a hostile connector name cannot break navigation or ids.
import type { JsonValue } from '../../json.js';
import {
  SEVERITIES, compareFindings, type Finding, type FindingFix, type FindingsDocument, type FixVerification, type ReceiveConnector, type RuleInfo, type Severity, type Snapshot,
} from '../../model.js';
import { presentedCertificate } from '../../certificates.js';
import { ipv4SizeText, ipv6SizeText, scopeText } from '../../sizes.js';
import {
  intervalsWonBy, portsOf, winningIntervals, type PolicyIndex, type WonInterval,
} from '../../policy/index.js';
import { formatAddress, formatBinding, intervalSize, isPublicInterval, type Family } from '../../net/index.js';
import {
  effectiveRights, isExternallySecured, type EffectiveRight, type PrincipalKind, type RightSource,
} from '../../policy/rights.js';
import { psQuote } from '../../powershell/quote.js';
import { parseReplayComparison, type ComparisonDocument } from './replay.js';
import { PALETTE, buildSeverityChart, layoutBands, paletteColour, type ChartView, type SegmentView } from './svg.js';
import { SEVERITY_LABEL, SEVERITY_WEIGHT, wordingFor } from './wording.js';

export interface ReportInput {
  snapshot: Snapshot;
  findings: FindingsDocument;
  /** The rule catalogue (each rule's meta): the customer's wording of every finding comes from it. */
  rules: readonly RuleInfo[];
  policy: PolicyIndex;
  /** A `replay --compare` JSON document as read from disk (validated here). */
  replay?: unknown;
  /** Name of the replay file, for error messages. */
  replayFile?: string;
  generatedAt: Date;
}

// ---------------------------------------------------------------- view types

export interface SeverityCount { severity: Severity; label: string; count: number }
export interface TopFix { anchor: string; severity: Severity; severityLabel: string; action: string; where: string | null; why: string }
export interface EvidenceItem { label: string; values: string[] }
export interface ReferenceView { text: string; href: string | null }
export interface RightLine { right: string; allowed: boolean; sources: string[] }
/** A proved fix as the report shows it: the script and the one line that says what was proved. */
export interface FixView { script: string; proved: string; provedClass: string }
/** One affected place (connector, server or the organisation) of a rule group. */
export interface FindingView {
  anchor: string; rule: string; severity: Severity; severityLabel: string;
  title: string; message: string; server: string | null; connector: string | null; connectorAnchor: string | null;
  /** Where the finding is: the connector, else the server, else "Organisation-wide". */
  place: string;
  /** The message as its row shows it (without the connector the row already names). */
  rowMessage: string;
  evidence: EvidenceItem[]; rights: RightLine[]; rightsPrincipal: string | null;
  impact: string; remediation: string; powershell: string | null; references: ReferenceView[];
  /** The proved fix (audit's verifier), when the document carries one. */
  fix: FixView | null;
  /** Why no script is safe, when the verifier found none (`fix: null`). */
  manual: string | null;
  /** False when the card says the manual text once for every row. */
  manualShown: boolean;
}
/**
 * One rule at one severity, with every place it fired listed inside: nine connectors with the
 * same problem are one card, not nine.
 */
export interface RuleGroupView {
  anchor: string; rule: string; severity: Severity; severityLabel: string;
  title: string; impact: string; action: string; affectedText: string;
  affected: FindingView[];
  /** Prose remediation shared by every place (identity already filled in per place otherwise). */
  remediation: string;
  /** PowerShell that is the same for every place but the identity, written once with `<connector>`. */
  sharedPowershell: string | null;
  /** Whether that script is the rows' proved fix (each row then says what was proved for it). */
  sharedIsFix: boolean;
  /** What was proved, when it is the same for every row (said once; the rows then say nothing). */
  commonProved: string; commonProvedClass: string;
  /** Why no script is safe, when it is the same for every row. */
  commonManual: string;
  /** Evidence every place shares, said once for the card instead of on every row. */
  commonEvidence: EvidenceItem[];
  /** Rights' provenance every place shares, said once for the card. */
  commonRights: RightLine[]; commonRightsPrincipal: string | null;
  references: ReferenceView[];
}
export interface SeverityGroup { severity: Severity; label: string; anchor: string; count: number; countText: string; rules: RuleGroupView[] }
export interface AcceptedView {
  rule: string; severity: Severity; severityLabel: string; title: string; connector: string | null;
  reason: string; expires: string; expired: boolean;
}
export interface NotRunView { rule: string; missing: string; export: string }
export interface FindingLink { anchor: string; rule: string; severity: Severity; severityLabel: string; title: string }
export interface ConnectorView {
  anchor: string; identity: string; name: string; role: string; enabled: boolean;
  bindings: string[]; ranges: string[]; rangesMore: number;
  groups: string; auth: string; tls: string; certificate: string; certificateClass: string; fqdn: string; banner: string | null;
  logging: string; limits: string; findings: FindingLink[];
}
export interface ServerView {
  anchor: string; name: string; fqdn: string; version: string; roles: string; addresses: string;
  connectors: ConnectorView[];
}
export interface IntervalView { port: number; local: string; range: string; size: string; isPublic: boolean }
export interface RelayView {
  anchor: string; identity: string; server: string; colour: string; colourIndex: number; enabled: boolean;
  verdict: string; verdictClass: string;
  anonymous: string; anonymousClass: string; authenticated: string; authenticatedClass: string;
  intervals: IntervalView[]; intervalsMore: number; wins: string; findings: FindingLink[];
  /** Anonymous relay or externally secured, on addresses it wins. */
  relaysWithoutPassword: boolean;
}
export interface LegendEntry { identity: string; colour: string; colourIndex: number }
export interface AddressMapView {
  title: string; server: string; port: number; family: string; local: string | null; width: number; height: number;
  segments: SegmentView[]; legend: LegendEntry[]; hasGap: boolean; endLabel: string; description: string;
}
export interface ReplayRow {
  name: string; status: string; statusClass: string;
  beforeConnector: string; beforeOutcome: string; afterConnector: string; afterOutcome: string;
  beforeReply: string; afterReply: string;
}
export interface ReplayView { total: number; changed: number; breaks: number; newlyAccepted: number; rows: ReplayRow[]; unchanged: number }
export interface UniformPort { title: string; connector: string; colourIndex: number }
export interface NavEntry { anchor: string; label: string }

/** What the audit read: the executive summary's scope line, so nobody signs for more than was read. */
export interface ScopeView {
  servers: string; connectors: string; domains: string;
  /** The export files read (from the snapshot's record sources), at most MAX_INPUTS_SHOWN. */
  inputs: string[]; inputsMore: number;
  /** When the exports were taken, as far as they say it. */
  collected: string;
}

export interface ReportView {
  title: string;
  scope: ScopeView;
  /** The before/after line of the summary when a `replay --compare` result was given. */
  comparison: string | null;
  /** The organisation, named by its default accepted domain when the export has one. */
  organisation: string | null;
  generatedAt: string;
  nav: NavEntry[];
  estate: { servers: number; connectors: number; relayConnectors: number; acceptedDomains: string; certificates: number };
  summary: {
    score: number; rating: string; ratingClass: string; ratingTextClass: string; total: number; counts: SeverityCount[];
    topFixes: TopFix[]; headline: string;
  };
  chart: ChartView;
  groups: SeverityGroup[];
  accepted: AcceptedView[];
  notRun: NotRunView[];
  servers: ServerView[];
  relay: RelayView[];
  maps: AddressMapView[];
  /** Ports where one connector answers every address of a family (no map needed). */
  uniformPorts: UniformPort[];
  replay: ReplayView | null;
  warnings: string[];
}

// ---------------------------------------------------------------- helpers

const RIGHTS_SHOWN = [
  'ms-Exch-SMTP-Submit',
  'ms-Exch-SMTP-Accept-Any-Recipient',
  'ms-Exch-SMTP-Accept-Any-Sender',
  'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender',
  'ms-Exch-Bypass-Anti-Spam',
] as const;
const SUBMIT = 'ms-exch-smtp-submit';
const ANY_RECIPIENT = 'ms-exch-smtp-accept-any-recipient';
const ANY_SENDER = 'ms-exch-smtp-accept-any-sender';


function lc(s: string): string { return s.toLowerCase(); }


function humanLabel(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1).toLowerCase()
    .replace(/\bip\b/g, 'IP').replace(/\btls\b/g, 'TLS').replace(/\bfqdn\b/g, 'FQDN');
}

/** A size in a consultant's words ("256 IPv4 addresses", "one IPv6 /64"): the audit's own wording. */
function countText(n: bigint, family: Family): string {
  return family === 4 ? ipv4SizeText(Number(n)) : ipv6SizeText(n);
}

function rangeText(family: Family, first: bigint, last: bigint): string {
  return first === last ? formatAddress(family, first) : `${formatAddress(family, first)} – ${formatAddress(family, last)}`;
}

function isRangeObject(v: JsonValue): v is { expression: string; first: string; last: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    && typeof v.expression === 'string' && typeof v.first === 'string' && typeof v.last === 'string';
}

function isSourceObject(v: JsonValue): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v.kind === 'group' || v.kind === 'permission');
}

function isRightObject(v: JsonValue): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.right === 'string' && typeof v.allowed === 'boolean';
}

function sourceObjectText(v: { [k: string]: JsonValue }): string {
  if (v.kind === 'group') return `permission group ${scalarText(v.group ?? null)} (${scalarText(v.principal ?? null)})`;
  return `AD entry for ${scalarText(v.user ?? null)}${v.deny === true ? ' (Deny)' : ''}${v.inherited === true ? ' (inherited)' : ' (explicit)'}`;
}

function scalarText(v: JsonValue): string {
  if (v === null) return '—';
  // Counts too big for a JSON number arrive as digit strings; group them like numbers.
  if (typeof v === 'string') return /^\d{5,}$/.test(v) ? BigInt(v).toLocaleString('en-US') : v;
  if (typeof v === 'number') return v.toLocaleString('en-US');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (isSourceObject(v)) return sourceObjectText(v);
  if (isRightObject(v)) {
    const granted = Array.isArray(v.grantedBy) ? v.grantedBy.map((g) => `granted by ${scalarText(g)}`) : [];
    const denied = Array.isArray(v.deniedBy) ? v.deniedBy.map((g) => `denied by ${scalarText(g)}`) : [];
    return `${v.right as string} — ${v.allowed === true ? 'allowed' : 'not allowed'}${[...granted, ...denied].length > 0 ? `: ${[...granted, ...denied].join('; ')}` : ''}`;
  }
  if (isRangeObject(v)) {
    // A CIDR block or a single address says its bounds itself; an other form gets them spelled out.
    return v.first === v.last || v.expression === `${v.first}-${v.last}` || v.expression.includes('/') ? v.expression : `${v.expression} (${v.first} – ${v.last})`;
  }
  if (Array.isArray(v)) return v.map(scalarText).join(', ');
  return Object.entries(v as { [k: string]: JsonValue }).map(([k, x]) => `${humanLabel(k)}: ${scalarText(x)}`).join('; ');
}

/** Evidence is whatever the rule recorded: render each key as a labelled list of lines. */
function evidenceItems(evidence: Record<string, JsonValue>): EvidenceItem[] {
  return Object.entries(evidence).map(([key, value]) => ({
    label: humanLabel(key),
    values: Array.isArray(value) ? (value.length === 0 ? ['(none)'] : value.map(scalarText)) : [scalarText(value)],
  }));
}

function sourceText(s: RightSource): string {
  if (s.kind === 'group') return `permission group ${s.group} (${s.principal})`;
  return `AD entry for ${s.user}${s.deny ? ' (Deny)' : ''}${s.inherited ? ' (inherited)' : ' (explicit)'}`;
}

function rightsFor(policy: PolicyIndex, c: ReceiveConnector, who: PrincipalKind): RightLine[] {
  const all = effectiveRights(policy, c, who);
  const lines: RightLine[] = [];
  for (const name of RIGHTS_SHOWN) {
    const r = all.find((x) => lc(x.right) === lc(name));
    if (r === undefined || (r.grantedBy.length === 0 && r.deniedBy.length === 0)) continue;
    lines.push({
      right: name,
      allowed: r.allowed,
      sources: [...r.grantedBy.map((s) => `granted by ${sourceText(s)}`), ...r.deniedBy.map((s) => `denied by ${sourceText(s)}`)],
    });
  }
  return lines;
}

function allowedSet(rights: EffectiveRight[]): Set<string> {
  return new Set(rights.filter((r) => r.allowed).map((r) => lc(r.right)));
}

const CODE_LINE = /^\s*(?:(?:Set|New|Remove|Add|Get|Enable|Disable|Import|Export)-[A-Za-z]+\b|\$[A-Za-z_])/m;

/**
 * The remediation as the rule wrote it. When it holds PowerShell (the rules write commands with
 * the connector's identity already quoted), all of it is the copy-ready block, comments
 * included; otherwise it is prose, with a `<identity>` placeholder filled in.
 */
function remediationParts(f: Finding): { prose: string; code: string | null } {
  if (CODE_LINE.test(f.remediation)) return { prose: '', code: f.remediation.trim() };
  const identity = f.connector === null ? null : psQuote(f.connector);
  const filled = identity === null ? f.remediation : f.remediation.replace(/<(?:identity|connector|Identity|Connector)>/g, identity);
  return { prose: filled.trim(), code: null };
}

function referenceView(ref: string): ReferenceView {
  // Only plain https/http URLs become links; anything else (javascript:, data:, …) stays text.
  return { text: ref, href: /^https?:\/\/[^\s"'<>`]+$/i.test(ref) ? ref : null };
}

/**
 * Rules whose finding is about who may relay or send: for them the rights' provenance (which
 * permission group or AD entry grants them) explains the finding; on a TLS or logging finding
 * it would only be noise.
 */
const RIGHTS_EXPLAIN: ReadonlySet<string> = new Set([
  'anonymous-open-relay', 'anonymous-relay-inventory', 'externally-secured-relay', 'anonymous-sender-spoofing',
  'relay-range-includes-exchange-server', 'load-balancer-in-relay-range', 'default-frontend-altered', 'hub-transport-relay-connector',
]);

/** "proved: accepted · resolves · adds no finding · keeps …", from what the verifier recorded. */
function provedLine(verified: FixVerification | null): { text: string; ok: boolean } {
  if (verified === null) return { text: 'not verified: the proof was skipped (audit --no-verify)', ok: false };
  const parts = [
    verified.accepted ? 'accepted' : 'NOT accepted (apply refused it)',
    verified.resolves ? 'resolves' : 'does NOT resolve the finding',
    verified.newFindings.length === 0 ? 'adds no finding' : `adds ${verified.newFindings.join(', ')}`,
    ...keptText(verified.kept),
  ];
  const ok = verified.accepted && verified.resolves && verified.newFindings.length === 0;
  return { text: `${ok ? 'proved' : 'not proved'}: ${parts.join(' · ')}`, ok };
}

/**
 * The behaviour a fix keeps, said compactly: the inbound mail of several domains on one port is
 * one item, and the relay hosts kept are one list ("relay from 10.0.0.1 through A; 10.0.0.2
 * through B"). Every item the verifier recorded is still named.
 */
function keptText(kept: readonly string[]): string[] {
  const out: string[] = [];
  const inbound = new Map<string, string[]>();
  const relays: string[] = [];
  for (const k of kept) {
    const mail = /^inbound internet mail to (\S+) on (port \d+)$/.exec(k);
    const relay = /^relay from (.+)$/.exec(k);
    if (mail !== null) {
      const port = mail[2] as string;
      if (!inbound.has(port)) { inbound.set(port, []); out.push(`\u0000mail ${port}`); }
      inbound.get(port)?.push(mail[1] as string);
    } else if (relay !== null) {
      if (relays.length === 0) out.push('\u0000relay');
      relays.push(relay[1] as string);
    } else out.push(`keeps ${k}`);
  }
  return out.map((item) => {
    if (item === '\u0000relay') return `keeps relay from ${relays.join('; ')}`;
    if (item.startsWith('\u0000mail ')) {
      const port = item.slice('\u0000mail '.length);
      return `keeps inbound internet mail to ${(inbound.get(port) ?? []).join(', ')} on ${port}`;
    }
    return item;
  });
}

function fixView(fix: FindingFix): FixView {
  const proved = provedLine(fix.verified);
  return { script: fix.script.trim(), proved: proved.text, provedClass: proved.ok ? 'ok' : 'warn' };
}

const CONNECTOR_PLACEHOLDER = "'<connector>'";

/** One card for one rule at one severity: what it means once, then every place it fired. */
function ruleGroupView(anchor: string, list: FindingView[], rules: ReadonlyMap<string, RuleInfo>): RuleGroupView {
  const first = list[0] as FindingView;
  const words = wordingFor(rules, first.rule, first.severity);
  const sameTitle = list.every((f) => f.title === first.title);
  const title = sameTitle ? first.title : rules.get(first.rule)?.title ?? first.title;
  // Advice that differs only by the connector's identity is written once, with a placeholder.
  // A proved fix that is the same script for every row but the identity is written once too;
  // each row keeps its own "proved" line (what was kept differs from connector to connector).
  const generic = (script: string | null, connector: string | null): string | null =>
    script === null || connector === null ? null : script.split(psQuote(connector)).join(CONNECTOR_PLACEHOLDER);
  const sharedOf = (scripts: Array<string | null>): string | null => {
    const g = scripts[0];
    return list.length > 1 && g !== null && g !== undefined && g.includes(CONNECTOR_PLACEHOLDER) && scripts.every((x) => x === g) ? g : null;
  };
  const sharedFix = list.every((f) => f.fix !== null) ? sharedOf(list.map((f) => generic(f.fix?.script ?? null, f.connector))) : null;
  const sharedPowershell = sharedFix ?? (list.every((f) => f.fix === null && f.manual === null)
    ? sharedOf(list.map((f) => generic(f.powershell, f.connector))) : null);
  const sameProse = list.every((f) => f.remediation === first.remediation);
  const sameProved = list.length > 1 && first.fix !== null && list.every((f) => f.fix !== null && f.fix.proved === first.fix?.proved);
  const sameManual = list.length > 1 && first.manual !== null && list.every((f) => f.manual === first.manual);
  const references: ReferenceView[] = [];
  for (const f of list) for (const r of f.references) if (!references.some((x) => x.text === r.text)) references.push(r);
  // Evidence lines and rights that are the same on every row are said once, above the rows.
  const key = (x: unknown): string => JSON.stringify(x);
  const commonEvidence = list.length < 2 ? [] : first.evidence.filter((e) => list.every((f) => f.evidence.some((x) => key(x) === key(e))));
  const commonKeys = new Set(commonEvidence.map(key));
  const sameRights = list.length > 1 && first.rights.length > 0
    && list.every((f) => key(f.rights) === key(first.rights) && f.rightsPrincipal === first.rightsPrincipal);
  const affected = list.map((f) => ({
    ...f,
    evidence: f.evidence.filter((e) => !commonKeys.has(key(e))),
    rights: sameRights ? [] : f.rights,
    title: sameTitle ? '' : f.title,
    powershell: sharedPowershell === null ? f.powershell : null,
    fix: f.fix === null ? null : { ...f.fix, script: sharedFix === null ? f.fix.script : '', proved: sameProved ? '' : f.fix.proved },
    manualShown: !sameManual,
    remediation: sameProse ? '' : f.remediation,
  }));
  const places = list.filter((f) => f.connector !== null).length;
  const affectedText = places === list.length
    ? `${list.length} connector${list.length === 1 ? '' : 's'}`
    : `${list.length} place${list.length === 1 ? '' : 's'}`;
  return {
    anchor, rule: first.rule, severity: first.severity, severityLabel: first.severityLabel,
    title, impact: words.impact, action: words.action, affectedText, affected,
    remediation: sameProse ? first.remediation : '', sharedPowershell, sharedIsFix: sharedFix !== null, references,
    commonProved: sameProved ? first.fix?.proved ?? '' : '', commonProvedClass: first.fix?.provedClass ?? '',
    commonManual: sameManual ? first.manual ?? '' : '',
    commonEvidence, commonRights: sameRights ? first.rights : [], commonRightsPrincipal: sameRights ? first.rightsPrincipal : null,
  };
}

// ---------------------------------------------------------------- builder

export function buildReportView(input: ReportInput): ReportView {
  const { snapshot, findings: doc, policy } = input;
  const connectors = [...snapshot.connectors].sort((a, b) => lc(a.server).localeCompare(lc(b.server)) || lc(a.name).localeCompare(lc(b.name)) || a.identity.localeCompare(b.identity));
  const connectorAnchor = new Map<string, string>();
  const connectorByIdentity = new Map<string, ReceiveConnector>();
  connectors.forEach((c, i) => {
    connectorAnchor.set(lc(c.identity), `c-${i + 1}`);
    connectorByIdentity.set(lc(c.identity), c);
  });
  // Colours by connector, as palette indices (the stylesheet has a class per index; SVG uses the hex).
  const colourOf = new Map<string, number>(connectors.map((c, i) => [lc(c.identity), i % PALETTE.length]));

  // Findings in the one order of findings (model.ts, the JSON document's), each with a stable anchor.
  const ruleInfo = new Map<string, RuleInfo>(input.rules.map((r) => [r.id, r]));
  const ordered = [...doc.findings].sort(compareFindings);
  const findingViews = ordered.map((f, i): FindingView => {
    const c = f.connector === null ? null : connectorByIdentity.get(lc(f.connector)) ?? null;
    const { prose, code: powershell } = remediationParts(f);
    // Where the rights come from, only where it explains the finding (the relay rules) and the
    // rule's evidence does not already say it.
    const evidenceHasRights = Object.values(f.evidence).some((v) => Array.isArray(v) && v.some((x) => isRightObject(x) || isSourceObject(x)));
    const principal: PrincipalKind | null = c === null || evidenceHasRights || !RIGHTS_EXPLAIN.has(f.rule) ? null
      : isExternallySecured(c) ? 'externallySecured' : 'anonymous';
    const rights = c === null || principal === null ? [] : rightsFor(policy, c, principal);
    return {
      anchor: `f-${i + 1}`, rule: f.rule, severity: f.severity, severityLabel: SEVERITY_LABEL[f.severity],
      title: f.title, message: f.message, server: f.server, connector: f.connector,
      connectorAnchor: f.connector === null ? null : connectorAnchor.get(lc(f.connector)) ?? null,
      place: f.connector ?? (f.server === null ? 'Organisation-wide' : `server ${f.server}`),
      // The row already names its connector: a message that starts with it need not say it again.
      rowMessage: f.connector !== null && f.message.startsWith(`${f.connector}: `) ? f.message.slice(f.connector.length + 2)
        : f.connector !== null && f.message.startsWith(`${f.connector} `) ? `… ${f.message.slice(f.connector.length + 1)}` : f.message,
      evidence: evidenceItems(f.evidence),
      rights, rightsPrincipal: rights.length === 0 ? null : principal === 'externallySecured'
        ? 'Externally secured session (MS Exchange\\Externally Secured Servers)' : 'Anonymous client (NT AUTHORITY\\ANONYMOUS LOGON)',
      impact: wordingFor(ruleInfo, f.rule, f.severity).impact,
      remediation: prose,
      powershell,
      references: f.references.map(referenceView),
      fix: f.fix === undefined || f.fix === null ? null : fixView(f.fix),
      manual: f.fix === null ? (f.manual ?? 'No script could be proved safe for this finding: decide the change by hand.') : null,
      manualShown: true,
    };
  });
  const linksByConnector = new Map<string, FindingLink[]>();
  for (const f of findingViews) {
    if (f.connector === null) continue;
    const list = linksByConnector.get(lc(f.connector)) ?? [];
    list.push({ anchor: f.anchor, rule: f.rule, severity: f.severity, severityLabel: f.severityLabel, title: f.title });
    linksByConnector.set(lc(f.connector), list);
  }

  // Summary: counts from the findings themselves (the document's summary must agree).
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of ordered) counts[f.severity] += 1;
  const worst = SEVERITIES.find((s) => s !== 'info' && counts[s] > 0) ?? null;
  const score = riskScore(counts, worst);
  const rating = worst === null ? 'Minimal' : worst === 'medium' ? 'Elevated' : SEVERITY_LABEL[worst];
  // The same connector on several servers is one fix ("… on Relay (EX01, EX02)").
  const fixes = new Map<string, { first: FindingView; where: string[] }>();
  for (const f of findingViews) {
    if (f.severity === 'info') continue;
    const c = f.connector === null ? null : connectorByIdentity.get(lc(f.connector)) ?? null;
    const key = `${f.severity}|${f.rule}|${c === null ? lc(f.connector ?? '') : lc(sharedName(c))}`;
    const hit = fixes.get(key);
    if (hit === undefined) fixes.set(key, { first: f, where: f.connector === null ? [] : [f.connector] });
    else if (f.connector !== null && !hit.where.includes(f.connector)) hit.where.push(f.connector);
  }
  const topFixes: TopFix[] = [...fixes.values()].slice(0, 3).map(({ first: f, where }) => {
    const words = wordingFor(ruleInfo, f.rule, f.severity);
    const c = f.connector === null ? null : connectorByIdentity.get(lc(f.connector)) ?? null;
    const place = where.length <= 1 || c === null ? (where[0] ?? null)
      : `${sharedName(c)} (${where.map((w) => connectorByIdentity.get(lc(w))?.server ?? w).join(', ')})`;
    return { anchor: f.anchor, severity: f.severity, severityLabel: f.severityLabel, action: words.action, where: place, why: words.impact };
  });
  const headline = worst === null
    ? 'No finding needs action: the relay configuration matches Microsoft\'s guidance for everything this audit could check.'
    : `${counts.critical + counts.high} finding${counts.critical + counts.high === 1 ? '' : 's'} need${counts.critical + counts.high === 1 ? 's' : ''} prompt action` +
      (counts.critical > 0 ? `, ${counts.critical} of them critical.` : '.');

  // Findings grouped by severity, then by rule (one card per rule with every place inside).
  const groups: SeverityGroup[] = [];
  let ruleGroupIndex = 0;
  for (const severity of SEVERITIES) {
    const inSeverity = findingViews.filter((f) => f.severity === severity);
    if (inSeverity.length === 0) continue;
    const byRule = new Map<string, FindingView[]>();
    for (const f of inSeverity) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
    const rules = [...byRule.values()].map((list) => {
      ruleGroupIndex += 1;
      return ruleGroupView(`g-${ruleGroupIndex}`, list, ruleInfo);
    });
    groups.push({ severity, label: SEVERITY_LABEL[severity], anchor: `sev-${severity}`, count: inSeverity.length, countText: `${inSeverity.length} finding${inSeverity.length === 1 ? '' : 's'}`, rules });
  }

  const now = input.generatedAt.getTime();
  const accepted: AcceptedView[] = (doc.accepted ?? []).map((a) => ({
    rule: a.finding.rule, severity: a.finding.severity, severityLabel: SEVERITY_LABEL[a.finding.severity],
    title: a.finding.title, connector: a.finding.connector, reason: a.reason, expires: a.expires,
    expired: Number.isFinite(Date.parse(a.expires)) && Date.parse(a.expires) < now,
  }));
  // Checks skipped for one connector (an assumed property) are listed once per connector.
  const notRun: NotRunView[] = (doc.notRun ?? []).filter((n) => n.connector === undefined).map((n) => ({ rule: n.rule, missing: n.missing, export: n.export }));
  const perConnector = new Map<string, { rules: string[]; properties: Set<string>; export: string }>();
  for (const n of doc.notRun ?? []) {
    if (n.connector === undefined) continue;
    const g = perConnector.get(n.connector) ?? { rules: [], properties: new Set<string>(), export: n.export };
    g.rules.push(n.rule);
    for (const p of n.missing.replace(/ of .*$/s, '').split(', ')) g.properties.add(p);
    perConnector.set(n.connector, g);
  }
  for (const [connector, g] of perConnector) {
    notRun.push({ rule: g.rules.join(', '), missing: `${[...g.properties].join(', ')} of ${connector} (not in the export; a default was assumed)`, export: g.export });
  }

  // Inventory, per server (servers known only from connectors are listed too).
  const serverNames = new Map<string, string>();
  for (const s of snapshot.servers) serverNames.set(lc(s.name), s.name);
  for (const c of connectors) if (!serverNames.has(lc(c.server))) serverNames.set(lc(c.server), c.server);
  const servers: ServerView[] = [...serverNames.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, name], i) => {
    const s = snapshot.servers.find((x) => lc(x.name) === key);
    return {
      anchor: `s-${i + 1}`, name,
      fqdn: s?.fqdn ?? '—', version: s?.version ?? 'not in the export', roles: s === undefined || s.roles.length === 0 ? '—' : s.roles.join(', '),
      addresses: s === undefined || s.ipAddresses.length === 0 ? '—' : s.ipAddresses.join(', '),
      connectors: connectors.filter((c) => lc(c.server) === key).map((c) => connectorView(c, snapshot, connectorAnchor, linksByConnector, input.generatedAt)),
    };
  });

  // Who can relay: every connector, the intervals it wins, what each kind of client may do.
  const relay: RelayView[] = connectors.map((c) => relayView(policy, c, connectorAnchor, colourOf, linksByConnector));
  const allMaps = addressMaps(policy, snapshot, colourOf);
  const isUniform = (m: AddressMapView): boolean => m.segments.length === 1 && !(m.segments[0]?.pattern ?? true);
  const maps = allMaps.filter((m) => !isUniform(m));
  const uniformPorts: UniformPort[] = allMaps.filter(isUniform).map((m) => ({
    title: m.title, connector: m.legend[0]?.identity ?? '', colourIndex: m.legend[0]?.colourIndex ?? 0,
  }));

  const replay = input.replay === undefined || input.replay === null ? null : replayView(parseReplayComparison(input.replay, input.replayFile));

  const nav: NavEntry[] = [
    { anchor: 'summary', label: 'Summary' },
    { anchor: 'findings', label: `Findings (${ordered.length})` },
    ...(accepted.length > 0 ? [{ anchor: 'accepted', label: `Accepted risks (${accepted.length})` }] : []),
    { anchor: 'relay', label: 'Who can relay' },
    { anchor: 'map', label: 'Address map' },
    { anchor: 'inventory', label: 'Inventory' },
    ...(replay === null ? [] : [{ anchor: 'replay', label: 'Before / after' }]),
    ...(notRun.length > 0 ? [{ anchor: 'not-run', label: 'Checks not run' }] : []),
  ];

  const relayConnectors = relay.filter((r) => r.relaysWithoutPassword).length;
  return {
    title: 'Exchange SMTP relay risk report',
    scope: scopeView(snapshot, servers.map((x) => x.name)),
    comparison: replay === null ? null
      : `Before / after (${replay.total} replayed scenario${replay.total === 1 ? '' : 's'}): ${replay.breaks} stop working, ${replay.newlyAccepted} newly accepted, ${replay.changed} changed in total, ${replay.unchanged} unchanged.`,
    organisation: snapshot.acceptedDomains.find((d) => d.default)?.domainName ?? snapshot.acceptedDomains[0]?.domainName ?? null,
    generatedAt: input.generatedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    nav,
    estate: {
      servers: servers.length,
      connectors: connectors.length,
      relayConnectors,
      acceptedDomains: snapshot.acceptedDomains.length === 0 ? 'none imported' : snapshot.acceptedDomains.map((d) => d.domainName).join(', '),
      certificates: snapshot.certificates.length,
    },
    summary: {
      score, rating, ratingClass: worst === null ? 'sev-none' : `sev-${worst}`, ratingTextClass: worst === null ? 'txt-none' : `txt-${worst}`, total: ordered.length,
      counts: SEVERITIES.map((s) => ({ severity: s, label: SEVERITY_LABEL[s], count: counts[s] })),
      topFixes, headline,
    },
    chart: buildSeverityChart(counts, SEVERITIES),
    groups, accepted, notRun, servers, relay, maps, uniformPorts, replay,
    warnings: snapshot.warnings.map((w) => `${w.file}${w.line === null ? '' : `:${w.line}`}: ${w.message}`),
  };
}

const MAX_INPUTS_SHOWN = 40;

function sourceFile(extra: Record<string, JsonValue> | undefined): string | null {
  const src = extra?.source;
  if (typeof src === 'string') return src;
  if (typeof src === 'object' && src !== null && !Array.isArray(src) && typeof src.file === 'string') return src.file;
  return null;
}

/**
 * Exchange exports carry no export timestamp; the newest WhenChanged of a connector is the only
 * date they hold, and it bounds the collection from below. Without it the date is unknown.
 */
function collectedText(snapshot: Snapshot): string {
  let newest: number | null = null;
  for (const c of snapshot.connectors) {
    for (const key of ['WhenChangedUTC', 'WhenChanged']) {
      const v = c.extra?.[key];
      const t = typeof v === 'string' ? Date.parse(v) : NaN;
      if (Number.isFinite(t) && (newest === null || t > newest)) newest = t;
    }
  }
  return newest === null
    ? 'unknown (the exports record no collection date)'
    : `unknown (the exports record no collection date); they were taken after ${new Date(newest).toISOString().slice(0, 10)}, the newest connector change they show`;
}

function scopeView(snapshot: Snapshot, servers: string[]): ScopeView {
  const files = new Set<string>();
  for (const list of [snapshot.servers, snapshot.connectors, snapshot.permissions, snapshot.acceptedDomains, snapshot.certificates]) {
    for (const r of list) { const f = sourceFile(r.extra); if (f !== null) files.add(f); }
  }
  const inputs = [...files].sort();
  const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
  return {
    servers: `${plural(servers.length, 'server')}${servers.length === 0 ? '' : ` (${servers.join(', ')})`}`,
    connectors: `${plural(snapshot.connectors.length, 'receive connector')}, ${plural(snapshot.permissions.length, 'permission entry', 'permission entries')}, ${plural(snapshot.certificates.length, 'certificate')}`,
    domains: snapshot.acceptedDomains.length === 0 ? 'no accepted domain imported' : `${plural(snapshot.acceptedDomains.length, 'accepted domain')} (${snapshot.acceptedDomains.map((d) => d.domainName).join(', ')})`,
    inputs: inputs.slice(0, MAX_INPUTS_SHOWN), inputsMore: Math.max(0, inputs.length - MAX_INPUTS_SHOWN),
    collected: collectedText(snapshot),
  };
}

/**
 * 0–100. The worst finding sets the band (critical 70–100, high 45–69, medium 20–44, low 1–19,
 * nothing to fix 0); how many findings there are, weighted by severity, sets the place within it.
 */
export function riskScore(counts: Record<Severity, number>, worst: Severity | null): number {
  if (worst === null) return 0;
  const bands: Record<Severity, [number, number]> = { critical: [70, 100], high: [45, 69], medium: [20, 44], low: [1, 19], info: [0, 0] };
  const [lo, hi] = bands[worst];
  const points = SEVERITIES.reduce((sum, s) => sum + counts[s] * SEVERITY_WEIGHT[s], 0);
  return Math.round(lo + (hi - lo) * (1 - Math.exp(-points / 150)));
}

function connectorView(c: ReceiveConnector, snapshot: Snapshot, anchors: Map<string, string>, links: Map<string, FindingLink[]>, now: Date): ConnectorView {
  const ranges = c.remoteIPRanges.map((r) => r.expression);
  const tlsParts = [
    c.authMechanism.includes('Tls') ? 'STARTTLS offered' : 'no STARTTLS',
    c.requireTLS ? 'TLS required' : 'TLS not required',
  ];
  if (c.authMechanism.includes('BasicAuth')) tlsParts.push(c.authMechanism.includes('BasicAuthRequireTLS') ? 'passwords only after TLS' : 'passwords accepted before TLS');
  if (c.domainSecureEnabled) tlsParts.push('domain security');
  const presented = presentedCertificate(snapshot, c, now);
  const found = presented === null ? null : {
    text: `${presented.certificate.subject} — ${presented.expired ? 'EXPIRED' : 'valid until'} ${presented.certificate.notAfter.slice(0, 10)}${presented.namedByTlsCertificateName ? ' (named by TlsCertificateName)' : ''}`,
    expired: presented.expired,
  };
  const cert = found?.text ?? (c.tlsCertificateName === null ? null : `named: ${c.tlsCertificateName} (not among the imported certificates)`);
  return {
    anchor: anchors.get(lc(c.identity)) ?? '', identity: c.identity, name: c.name,
    role: c.transportRole ?? 'Hub Transport (2010)', enabled: c.enabled,
    bindings: c.bindings.map(formatBinding),
    ranges, rangesMore: 0,
    groups: c.permissionGroups.length === 0 ? 'None' : c.permissionGroups.join(', '),
    auth: c.authMechanism.length === 0 ? 'None' : c.authMechanism.join(', '),
    tls: tlsParts.join('; '),
    certificate: cert ?? 'no certificate assigned or matching the FQDN',
    certificateClass: found?.expired === true ? 'bad' : cert === null ? 'warn' : 'muted',
    fqdn: c.fqdn ?? '—',
    banner: c.banner,
    logging: c.protocolLoggingLevel,
    limits: `${c.maxMessageSize === null ? 'unlimited size' : `${(c.maxMessageSize / 1048576).toFixed(c.maxMessageSize % 1048576 === 0 ? 0 : 1)} MB`}, ${c.maxRecipientsPerMessage === null ? 'unlimited' : c.maxRecipientsPerMessage} recipients`,
    findings: links.get(lc(c.identity)) ?? [],
  };
}

function relayView(policy: PolicyIndex, c: ReceiveConnector, anchors: Map<string, string>, colours: Map<string, number>, links: Map<string, FindingLink[]>): RelayView {
  const won: WonInterval[] = c.enabled ? intervalsWonBy(policy, c) : [];
  const anon = allowedSet(effectiveRights(policy, c, 'anonymous'));
  const authd = allowedSet(effectiveRights(policy, c, 'authenticatedUser'));
  const secured = isExternallySecured(c);
  const offersAuth = c.authMechanism.includes('BasicAuth') || c.authMechanism.includes('Integrated');
  let anonymous: string; let anonymousClass: string;
  if (secured) {
    anonymous = 'Treated as an Exchange server: may relay to any domain, send as any sender, bypass anti-spam and size limits.';
    anonymousClass = 'bad';
  } else if (anon.has(SUBMIT) && anon.has(ANY_RECIPIENT)) {
    anonymous = `May relay to any domain${anon.has(ANY_SENDER) ? ', with any sender address' : ''}.`;
    anonymousClass = 'bad';
  } else if (anon.has(SUBMIT)) {
    anonymous = 'May send to the organisation\'s accepted domains only (no relay).';
    anonymousClass = 'ok';
  } else {
    anonymous = 'May not send (530 not authenticated).';
    anonymousClass = 'none';
  }
  let authenticated: string; let authenticatedClass: string;
  if (!offersAuth) {
    authenticated = 'No authentication offered on this connector.';
    authenticatedClass = 'none';
  } else if (authd.has(SUBMIT) && authd.has(ANY_RECIPIENT)) {
    const clear = c.authMechanism.includes('BasicAuth') && !c.authMechanism.includes('BasicAuthRequireTLS');
    authenticated = `Any valid account may relay to any domain${clear ? '; passwords may be sent before TLS' : ''}.`;
    authenticatedClass = clear ? 'warn' : 'ok';
  } else if (authd.has(SUBMIT)) {
    authenticated = 'May send to accepted domains only.';
    authenticatedClass = 'ok';
  } else {
    authenticated = 'Authentication is offered but grants no right to send.';
    authenticatedClass = 'none';
  }
  let publicWon = false;
  const relays = secured || (anon.has(SUBMIT) && anon.has(ANY_RECIPIENT));
  const intervals: IntervalView[] = won.map((w) => {
    const i = { family: w.family, first: w.first, last: w.last };
    const pub = isPublicInterval(i);
    publicWon ||= pub;
    const local = w.localAddress === '0.0.0.0' || w.localAddress === '::' ? '' : w.localAddress;
    return { port: w.port, local, range: rangeText(w.family, w.first, w.last), size: countText(intervalSize(i), w.family), isPublic: pub && relays };
  });
  // The verdict says what the configuration does; how bad it is comes from the findings on this
  // connector (their severity tiers, rules.md), never from the report's own judgement: a narrow
  // public reach is a high finding, not an "open relay".
  const worst = relayFindingSeverity(links.get(lc(c.identity)) ?? []);
  const severityClass = worst === null ? 'sev-info' : `sev-${worst}`;
  let verdict: string; let verdictClass: string;
  if (!c.enabled) { verdict = 'Disabled'; verdictClass = 'sev-info'; }
  else if (won.length === 0) { verdict = 'Answers nobody (shadowed)'; verdictClass = 'sev-low'; }
  else if (relays) {
    const reach = publicWon ? 'public addresses reach it' : 'private addresses only';
    verdict = secured ? `Trusted relay (externally secured): ${reach}`
      : worst === 'critical' && publicWon ? 'Open relay: broad public reach' : `Anonymous relay: ${reach}`;
    verdictClass = severityClass;
  }
  else if (authenticatedClass === 'warn' || (authenticatedClass === 'ok' && authd.has(ANY_RECIPIENT))) {
    verdict = 'Authenticated relay';
    verdictClass = authenticatedClass === 'warn' ? (worst === null ? 'sev-info' : severityClass) : 'sev-none';
  }
  else { verdict = 'No relay'; verdictClass = 'sev-none'; }
  return {
    anchor: `r-${anchors.get(lc(c.identity)) ?? ''}`, identity: c.identity, server: c.server, enabled: c.enabled,
    colourIndex: colours.get(lc(c.identity)) ?? 0,
    colour: paletteColour(colours.get(lc(c.identity)) ?? 0),
    verdict, verdictClass, anonymous, anonymousClass, authenticated, authenticatedClass,
    intervals, intervalsMore: 0,
    wins: won.length === 0 ? 'no address' : `${scopeText(won)} in ${won.length} interval${won.length === 1 ? '' : 's'}`,
    findings: links.get(lc(c.identity)) ?? [],
    relaysWithoutPassword: relays && won.length > 0,
  };
}

/** Findings that judge who may relay through a connector (their severity is the verdict's colour). */
const RELAY_VERDICT_RULES: ReadonlySet<string> = new Set([
  'anonymous-open-relay', 'anonymous-relay-inventory', 'externally-secured-relay', 'relay-range-includes-exchange-server',
  'load-balancer-in-relay-range', 'basic-auth-without-tls', 'hub-transport-relay-connector', 'default-frontend-altered',
]);

function relayFindingSeverity(links: readonly FindingLink[]): Severity | null {
  const relevant = links.filter((l) => RELAY_VERDICT_RULES.has(l.rule)).map((l) => l.severity);
  return SEVERITIES.find((s) => relevant.includes(s)) ?? null;
}

const FAMILY_MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

function addressMaps(policy: PolicyIndex, snapshot: Snapshot, colours: Map<string, number>): AddressMapView[] {
  const out: AddressMapView[] = [];
  const serverList = [...new Set(snapshot.connectors.map((c) => c.server))].sort((a, b) => lc(a).localeCompare(lc(b)));
  const width = 960;
  for (const server of serverList) {
    for (const port of portsOf(policy, server)) {
      // One map for clients reaching any address, plus one per address a connector binds exactly.
      const exact = [...new Set(snapshot.connectors
        .filter((c) => c.enabled && lc(c.server) === lc(server))
        .flatMap((c) => c.bindings.filter((b) => b.port === port && b.address !== '0.0.0.0' && b.address !== '::').map((b) => b.address)))].sort();
      for (const local of [null, ...exact]) {
      const won = winningIntervals(policy, { server, port, localAddress: local });
      for (const family of [4, 6] as const) {
        if (local !== null && local.includes(':') !== (family === 6)) continue;
        const mine = won.filter((w) => w.family === family).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
        if (mine.length === 0) continue;
        const parts: Array<{ first: bigint; last: bigint; key: string | null; connector: string | null }> = [];
        let next = 0n;
        for (const w of mine) {
          if (w.first > next) parts.push({ first: next, last: w.first - 1n, key: null, connector: null });
          const prev = parts[parts.length - 1];
          // Adjacent intervals of one connector read as one band.
          if (prev !== undefined && prev.key === lc(w.connector.identity) && prev.last + 1n === w.first) prev.last = w.last;
          else parts.push({ first: w.first, last: w.last, key: lc(w.connector.identity), connector: w.connector.identity });
          next = w.last + 1n;
        }
        if (next <= FAMILY_MAX[family]) parts.push({ first: next, last: FAMILY_MAX[family], key: null, connector: null });
        const segments = layoutBands(parts, width, (p) => {
          const part = parts.find((x) => x.first === p.first && x.last === p.last);
          const who = part?.connector ?? null;
          const range = rangeText(family, p.first, p.last);
          return {
            title: `${range} (${countText(p.last - p.first + 1n, family)}): ${who ?? 'no connector — 421 4.3.2 Service not available'}`,
            label: who === null ? '' : shortName(who),
            colour: who === null ? '#d9d9d9' : paletteColour(colours.get(lc(who)) ?? 0),
            tick: formatAddress(family, p.first),
          };
        });
        const legend: LegendEntry[] = [];
        for (const p of parts) {
          if (p.connector !== null && !legend.some((l) => lc(l.identity) === p.key)) legend.push({ identity: p.connector, colour: paletteColour(colours.get(p.key ?? '') ?? 0), colourIndex: colours.get(p.key ?? '') ?? 0 });
        }
        out.push({
          title: `${server} — port ${port}${local === null ? '' : ` on ${local}`} — IPv${family}`, server, port, family: `IPv${family}`, local, width, height: 68,
          segments, legend,
          hasGap: parts.some((p) => p.key === null), endLabel: formatAddress(family, FAMILY_MAX[family]),
          description: `${legend.length} connector${legend.length === 1 ? '' : 's'} answer on port ${port} over IPv${family}; grey bands get 421.`,
        });
      }
      }
    }
  }
  return out;
}

/** A connector's name with its server's name taken out: "Relay EX01" on EX01 → "Relay". */
function sharedName(c: ReceiveConnector): string {
  const re = new RegExp(`(^|[\\s_-])${c.server.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s_-])`, 'i');
  return c.server === '' ? c.name : c.name.replace(re, ' ').replace(/\s+/g, ' ').trim();
}

function shortName(identity: string): string {
  const i = identity.indexOf('\\');
  return i >= 0 ? identity.slice(i + 1) : identity;
}

/** The reply that decided the outcome: the final one when accepted, else the first refusal. */
function decidingReply(r: { outcome: string; replies: Array<{ code: number; enhanced: string | null; text: string }>; recipients: Array<{ code: number; enhanced: string | null; text: string; address: string }> }): string {
  const text = (x: { code: number; enhanced: string | null; text: string }): string => `${x.code}${x.enhanced === null ? '' : ` ${x.enhanced}`} ${x.text}`.trim();
  const refusedRcpts = r.recipients.filter((x) => x.code >= 400).length;
  if (r.outcome === 'accepted') {
    const last = r.replies[r.replies.length - 1];
    const base = last === undefined ? '—' : text(last);
    return refusedRcpts === 0 ? base : `${base} (${refusedRcpts} recipient${refusedRcpts === 1 ? '' : 's'} refused)`;
  }
  const bad = [...r.replies, ...r.recipients].find((x) => x.code >= 400) ?? r.replies[r.replies.length - 1];
  return bad === undefined ? '—' : text(bad);
}

function replayView(doc: ComparisonDocument): ReplayView {
  const rows: ReplayRow[] = doc.results.map((r) => {
    const wasOk = r.before.outcome === 'accepted';
    const isOk = r.after.outcome === 'accepted';
    let status: string; let statusClass: string;
    if (!r.changed) { status = 'unchanged'; statusClass = 'none'; }
    else if (wasOk && !isOk) { status = 'breaks'; statusClass = 'bad'; }
    else if (!wasOk && isOk) { status = 'newly accepted'; statusClass = 'warn'; }
    else { status = 'changed'; statusClass = 'warn'; }
    return {
      name: r.name, status, statusClass,
      beforeConnector: r.before.connector ?? '(none)', beforeOutcome: r.before.outcome,
      afterConnector: r.after.connector ?? '(none)', afterOutcome: r.after.outcome,
      beforeReply: decidingReply(r.before), afterReply: decidingReply(r.after),
    };
  });
  const rank = (s: string): number => ['breaks', 'newly accepted', 'changed', 'unchanged'].indexOf(s);
  rows.sort((a, b) => rank(a.status) - rank(b.status) || a.name.localeCompare(b.name));
  return {
    total: doc.summary.total, changed: doc.summary.changed,
    breaks: rows.filter((r) => r.status === 'breaks').length,
    newlyAccepted: rows.filter((r) => r.status === 'newly accepted').length,
    rows: rows.filter((r) => r.status !== 'unchanged'),
    unchanged: rows.filter((r) => r.status === 'unchanged').length,
  };
}
