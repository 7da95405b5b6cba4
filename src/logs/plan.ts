// `exrelay plan`: the exit plan per sender. Every sender the logs show relaying today (one row of
// the inventory `logs` builds) gets a path by the contract's default decision table, first match
// wins, unless the customer's worksheet names one; then the blockers of that path. Pure: the
// command reads the files, this decides.
//
// Beyond the contract's table (docs/commands/plan.md says why):
// - a sender only message tracking logs saw, on a connector that offers a logon, has an unknown
//   authentication: nothing is concluded from it; it stays on premises with `auth-unknown`
//   until protocol logging or the worksheet says. On a connector that offers no logon it is
//   anonymous by configuration.
// - the external volume is judged on the sender's busiest day (the limit is per 24 hours).
import { PLAN_PATHS, PLAN_SCHEMA, type PlanDocument, type PlanPath, type PlanSender, type PlanTarget, type ReceiveConnector, type Snapshot } from '../model.js';
import { productName } from '../exchange-version.js';
import { containsAddress, formatAddress, parseAddress, parseAddressExact, parseRangeExpression } from '../net/index.js';
import { InputError, UsageError } from '../errors.js';
import { NO_DOMAIN, NULL_SENDER, type LogAggregate, type LogsSender } from './aggregate.js';
import { logConfigFrom, type LogConfig } from './config.js';
import { addressKey, buildInventory } from './inventory.js';
import { BASIC_AUTH_MECHANISMS, BULK_SHARE, basicAuthDeadline, tenantExternalRecipientLimit } from './plan-facts.js';
import type { WorksheetEntry } from './worksheet.js';

export interface PlanOptions {
  target: PlanTarget;
  /** `--egress`: a sender's address → its public egress address (both as `parseEgress` formats them). */
  egress: ReadonlyMap<string, string>;
  /** `--licences`: purchased Exchange Online licences, for the tenant's external recipient limit. */
  licences: number | null;
  worksheet: { file: string; entries: readonly WorksheetEntry[] } | null;
  /** The day the plan is made on (dates in the wording are relative to it). */
  madeOn: Date;
}

interface WorksheetDecision { entry: WorksheetEntry; path: PlanPath | null; used: boolean }

export interface PlanResult { plan: PlanDocument; warnings: string[] }

/** One sender as the plan needs it: the inventory row, its server and the AUTH mechanisms it used. */
export interface PlanInput { sender: LogsSender; server: string; mechanisms: readonly string[] }

const norm = (s: string): string => s.trim().toLowerCase();
const round1 = (n: number): number => Math.round(n * 10) / 10;
const EXCHANGE_ONLINE_PATHS: readonly PlanPath[] = ['client-submission-oauth', 'client-submission-basic', 'connector-ip', 'connector-certificate'];
const LOGON_MECHANISMS = new Set(['Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer']);

// ---------------------------------------------------------------- option parsing

// A public egress address is none of these (RFC 1918, loopback, link-local, CGNAT, ULA).
const NOT_PUBLIC = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10', '0.0.0.0/8', '::1/128', 'fc00::/7', 'fe80::/10']
  .map((r) => parseRangeExpression(r)).filter((i) => i !== null);

/** `--egress IP=PUBLIC,...` (the option may repeat); exit 2 on a malformed item. */
export function parseEgress(items: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items.flatMap((i) => i.split(',')).map((i) => i.trim()).filter((i) => i !== '')) {
    const [inside = '', outside = '', ...rest] = item.split('=');
    const a = parseAddressExact(inside.trim());
    const b = parseAddressExact(outside.trim());
    if (rest.length > 0 || a === null || b === null) throw new UsageError(`--egress ${item}: expected SENDER_IP=PUBLIC_IP (e.g. 10.20.60.11=203.0.113.10)`);
    if (NOT_PUBLIC.some((r) => containsAddress(r, b.family, b.value))) throw new UsageError(`--egress ${item}: ${outside.trim()} is not a public address (the egress Exchange Online would see)`);
    const key = formatAddress(a.family, a.value);
    const pub = formatAddress(b.family, b.value);
    const had = out.get(key);
    if (had !== undefined && had !== pub) throw new UsageError(`--egress ${item}: ${key} is already mapped to ${had}`);
    out.set(key, pub);
  }
  return out;
}

/** `--licences N`: a positive whole number. */
export function parseLicences(value: string): number {
  const t = value.trim();
  if (!/^[1-9]\d*$/.test(t) || !Number.isSafeInteger(Number(t))) throw new UsageError(`--licences ${value}: not a positive whole number of licences`);
  return Number(t);
}

/** A worksheet's `decision` as a path; empty for the default table; exit 2 naming file and line otherwise. */
function worksheetPath(entry: WorksheetEntry, file: string): PlanPath | null {
  const d = entry.decision.trim().toLowerCase();
  if (d === '') return null;
  const hit = PLAN_PATHS.find((p) => p === d);
  if (hit === undefined) throw new InputError(file, entry.line, `unknown decision "${entry.decision}" (one of ${PLAN_PATHS.join(', ')}, or empty for the default)`);
  return hit;
}

// ---------------------------------------------------------------- the plan

interface Facts {
  input: PlanInput;
  auth: 'anonymous' | 'authenticated' | 'unknown';
  authWhy: string;
  messagesPerDay: number;
  externalPerDay: number;
  internalPerDay: number;
  maxExternal: number;
  busiestDay: string;
  externalTotal: number;
  /** sender domains that are not accepted domains */
  foreignDomains: string[];
  senderDomains: string[];
  egressIp: string | null;
  /** other senders (addresses) behind the same public egress */
  egressSharedWith: string[];
}

function factsOf(input: PlanInput, config: LogConfig, connectors: ReadonlyMap<string, ReceiveConnector>, egress: ReadonlyMap<string, string>): Facts {
  const s = input.sender;
  const days = s.perDay.length;
  const sum = (f: (d: LogsSender['perDay'][number]) => number): number => s.perDay.reduce((n, d) => n + f(d), 0);
  const avg = (total: number): number => (days === 0 ? 0 : round1(total / days));
  let maxExternal = 0, busiestDay = '';
  for (const d of s.perDay) if ((d.externalRecipients ?? 0) > maxExternal) { maxExternal = d.externalRecipients ?? 0; busiestDay = d.day; }
  const externalTotal = sum((d) => d.externalRecipients ?? 0);
  let auth: Facts['auth'], authWhy: string;
  if (s.authenticatedAs.length > 0) {
    auth = 'authenticated';
    authWhy = `logs in as ${s.authenticatedAs.join(', ')}${input.mechanisms.length > 0 ? ` (AUTH ${input.mechanisms.join(', ')})` : ''}`;
  } else if (s.seenIn.includes('protocol')) {
    auth = 'anonymous'; authWhy = 'sends without logging in (protocol logs)';
  } else {
    const c = connectors.get(norm(s.connector));
    if (c !== undefined && !c.authMechanism.some((m) => LOGON_MECHANISMS.has(m))) {
      auth = 'anonymous'; authWhy = `sends without logging in: ${c.identity} offers no logon (AuthMechanism ${c.authMechanism.join(', ') || 'None'})`;
    } else {
      auth = 'unknown'; authWhy = 'only message tracking logs saw it, and they do not say whether it logged in';
    }
  }
  const senderDomains = Object.keys(s.mailFromDomains);
  const key = addressKey(s.remoteIp);
  const egressIp = egress.get(key) ?? null;
  const egressSharedWith = egressIp === null ? [] : [...egress].filter(([k, v]) => v === egressIp && k !== key).map(([k]) => k);
  return {
    input, auth, authWhy,
    messagesPerDay: avg(sum((d) => d.messages)),
    externalPerDay: avg(externalTotal),
    internalPerDay: avg(sum((d) => d.recipients - (d.externalRecipients ?? 0))),
    maxExternal, busiestDay, externalTotal,
    foreignDomains: senderDomains.filter((d) => d !== NULL_SENDER && d !== NO_DOMAIN && config.isExternal(d)),
    senderDomains, egressIp, egressSharedWith,
  };
}

function isPublic(address: string): boolean {
  const a = parseAddress(address);
  return a !== null && !NOT_PUBLIC.some((r) => containsAddress(r, a.family, a.value));
}

/** Anonymous mail from a public address, to accepted domains only, from no accepted domain: someone else's server delivering to us. */
function isInboundMail(f: Facts): boolean {
  return f.auth === 'anonymous' && f.externalTotal === 0 && isPublic(f.input.sender.remoteIp)
    && f.senderDomains.every((d) => f.foreignDomains.includes(d) || d === NULL_SENDER || d === NO_DOMAIN);
}

interface Decision { path: PlanPath; reasons: string[]; blockers: Array<{ id: string; text: string }> }

/** The contract's default decision table, first match wins. */
function decide(f: Facts, limit: number | null, licences: number | null): Decision {
  const reasons: string[] = [f.authWhy];
  if (limit !== null && licences !== null && f.maxExternal > BULK_SHARE * limit) {
    reasons.push(`${f.maxExternal} external recipients on its busiest day (${f.busiestDay}), above 10 % of the tenant's external recipient limit (${limit} a day for ${licences} licences): bulk mail belongs on Azure Communication Services, which the limit does not count (table row 1)`);
    return { path: 'azure-communication-services', reasons, blockers: [] };
  }
  if (f.auth === 'authenticated') {
    reasons.push('authenticated: client submission (SMTP AUTH) to Exchange Online with OAuth (table row 2)');
    return { path: 'client-submission-oauth', reasons, blockers: [] };
  }
  if (f.auth === 'unknown') {
    return {
      path: 'keep-on-premises', reasons: [...reasons, 'not decided from the logs: whether it logs in is unknown'],
      blockers: [{ id: 'auth-unknown', text: 'only message tracking logs saw this sender: turn protocol logging on for its connector (Set-ReceiveConnector -ProtocolLoggingLevel Verbose) and plan again, or write its decision in the worksheet' }],
    };
  }
  if (f.externalTotal === 0) {
    reasons.push('anonymous, internal recipients only: High Volume Email (table row 3)');
    return { path: 'high-volume-email', reasons, blockers: [] };
  }
  if (f.egressIp !== null && f.egressSharedWith.length === 0) {
    reasons.push(`anonymous, external recipients, dedicated public egress ${f.egressIp}: an OnPremises inbound connector that accepts its address (table row 4)`);
    return { path: 'connector-ip', reasons, blockers: [] };
  }
  reasons.push('anonymous, external recipients, and no public egress address of its own: stays on an on-premises relay (table row 4)');
  return { path: 'keep-on-premises', reasons, blockers: [] };
}

function egressBlocker(f: Facts): { id: string; text: string } | null {
  if (f.egressIp === null) return { id: 'no-dedicated-egress', text: 'no public egress address given for it (--egress): a connector that attributes mail by address needs one that only this sender uses' };
  if (f.egressSharedWith.length > 0) return { id: 'no-dedicated-egress', text: `its public egress ${f.egressIp} is shared (NAT) with ${f.egressSharedWith.join(', ')}: a connector on that address would let them all relay` };
  return null;
}

/** The blockers of the path chosen (default or worksheet) for the m365 target. */
function blockersOf(f: Facts, path: PlanPath, madeOn: Date, certificate: string | undefined): Array<{ id: string; text: string }> {
  const out: Array<{ id: string; text: string }> = [];
  const basic = f.input.mechanisms.filter((m) => BASIC_AUTH_MECHANISMS.includes(m));
  if (path === 'client-submission-basic') {
    out.push({ id: 'basic-auth', text: `this path logs in with Basic auth: ${basicAuthDeadline(madeOn)}; move it to OAuth before then` });
  } else if (path === 'client-submission-oauth' && basic.length > 0) {
    out.push({ id: 'basic-auth', text: `logs in with ${basic.join('/')} (Basic auth) today: ${basicAuthDeadline(madeOn)}; the device must use OAuth (XOAUTH2)` });
  }
  if ((path === 'client-submission-oauth' || path === 'client-submission-basic') && f.auth !== 'authenticated') {
    out.push({ id: 'authentication-required', text: `${f.auth === 'anonymous' ? 'it does not log in today' : 'whether it logs in is unknown'}: client submission needs a mailbox account configured on the device` });
  }
  if (path === 'connector-ip') {
    const b = egressBlocker(f);
    if (b !== null) out.push(b);
  }
  if (path === 'connector-certificate' && (certificate ?? '') === '') {
    out.push({ id: 'certificate-name-missing', text: 'no certificate name for it: add a tlsCertificateName column to the worksheet with the name (subject or SAN domain) the device presents' });
  }
  if (path === 'high-volume-email' && f.externalTotal > 0) {
    out.push({ id: 'external-recipients', text: `it sends to external recipients (${f.externalTotal} in these logs): High Volume Email takes internal recipients only` });
  }
  if (path !== 'azure-communication-services' && path !== 'keep-on-premises' && f.foreignDomains.length > 0) {
    out.push({ id: 'sender-domain-not-accepted', text: `it sends as ${f.foreignDomains.join(', ')}, not an accepted domain: add the domain to the tenant or change the sender address` });
  }
  return out;
}

/** One plan row per inventory row (and per worksheet decision the logs did not show). */
export function planFromInputs(inputs: readonly PlanInput[], snapshot: Snapshot, options: PlanOptions): PlanResult {
  const warnings: string[] = [];
  const config = logConfigFrom(snapshot);
  const connectors = new Map(snapshot.connectors.map((c) => [norm(c.identity), c]));
  const limit = options.licences === null ? null : tenantExternalRecipientLimit(options.licences);

  // The worksheet, keyed by sender address and connector.
  const decisions = new Map<string, WorksheetDecision>();
  const ws = options.worksheet;
  if (ws !== null) {
    for (const entry of ws.entries) {
      const path = worksheetPath(entry, ws.file);
      const key = `${addressKey(entry.remoteIp)}\u0000${norm(entry.connector)}`;
      const had = decisions.get(key);
      if (had !== undefined) throw new InputError(ws.file, entry.line, `a second row for ${entry.remoteIp} on ${entry.connector} (the first is line ${had.entry.line})`);
      decisions.set(key, { entry, path, used: false });
    }
  }

  const wsOf = (s: LogsSender): WorksheetDecision | undefined => decisions.get(`${addressKey(s.remoteIp)}\u0000${norm(s.connector)}`);
  const all = inputs.map((i) => factsOf(i, config, connectors, options.egress));
  // Mail from the internet to the organisation is not relay: after cut-over it reaches the
  // tenant by MX. Left out unless the worksheet decides for it.
  const inbound = all.filter((f) => isInboundMail(f) && wsOf(f.input.sender)?.path == null);
  if (inbound.length > 0) {
    warnings.push(`${inbound.length} sender(s) left out as inbound mail, not relay (anonymous, from a public address, to accepted domains only, sending as no accepted domain): ${inbound.slice(0, 5).map((f) => `${f.input.sender.remoteIp} on ${f.input.sender.connector}`).join(', ')}${inbound.length > 5 ? ', …' : ''}`);
  }
  for (const f of inbound) { const w = wsOf(f.input.sender); if (w !== undefined) w.used = true; }
  const facts = all.filter((f) => !inbound.includes(f));
  const senders: PlanSender[] = [];
  for (const f of facts) {
    const s = f.input.sender;
    const ws = wsOf(s);
    if (ws !== undefined) ws.used = true;
    let d: Decision;
    let decidedBy: PlanSender['decidedBy'] = 'table';
    if (options.target !== 'm365') {
      d = { path: 'keep-on-premises', reasons: [f.authWhy, `target ${options.target}: every sender stays on an on-premises relay, ${targetName(options.target)}`], blockers: [] };
    } else if (ws?.path != null) {
      decidedBy = 'worksheet';
      d = { path: ws.path, reasons: [f.authWhy, `the worksheet says ${ws.path} (${options.worksheet?.file ?? ''} line ${ws.entry.line})`], blockers: [] };
      d.blockers = blockersOf(f, d.path, options.madeOn, ws.entry.tlsCertificateName);
    } else {
      d = decide(f, limit, options.licences);
      d.blockers.push(...blockersOf(f, d.path, options.madeOn, undefined));
      if (d.path === 'keep-on-premises' && f.auth === 'anonymous' && f.externalTotal > 0) {
        const b = egressBlocker(f);
        if (b !== null) d.blockers.push(b);
      }
    }
    if (limit === null && options.target === 'm365' && f.externalTotal > 0 && EXCHANGE_ONLINE_PATHS.includes(d.path)) {
      d.reasons.push('its external volume was not compared with the tenant\'s outbound limit (give --licences N)');
    }
    senders.push({
      remoteIp: s.remoteIp, connector: s.connector, server: f.input.server === '' ? null : f.input.server, path: d.path,
      reasons: d.reasons, blockers: d.blockers,
      messagesPerDay: f.messagesPerDay, externalRecipientsPerDay: f.externalPerDay, internalRecipientsPerDay: f.internalPerDay,
      maxExternalRecipientsPerDay: f.maxExternal,
      authenticated: f.auth === 'authenticated', auth: f.auth, accounts: [...s.authenticatedAs], authMechanisms: [...f.input.mechanisms].sort(),
      senderDomains: f.senderDomains, egressIp: f.egressIp,
      owner: ws?.entry.owner ?? '', application: ws?.entry.application ?? '', decidedBy,
      ...(ws?.entry.tlsCertificateName === undefined ? {} : { tlsCertificateName: ws.entry.tlsCertificateName }),
    });
  }

  // The tenant limit counts every external recipient sent through Exchange Online on one day.
  if (limit !== null && options.target === 'm365') tenantLimitBlockers(senders, facts, limit, options.licences ?? 0);

  // Worksheet rows the logs did not show: a decision is still the customer's word; the rest is noise.
  for (const w of decisions.values()) {
    if (w.used) continue;
    if (w.path === null || options.target !== 'm365') {
      warnings.push(`${options.worksheet?.file ?? ''}:${w.entry.line}: ${w.entry.remoteIp} on ${w.entry.connector} is not in these logs${w.path === null ? '' : ' (its decision applies to target m365 only)'}; left out`);
      continue;
    }
    senders.push({
      remoteIp: w.entry.remoteIp, connector: w.entry.connector === '' ? null : w.entry.connector, server: null, path: w.path,
      reasons: [`not in these logs; the worksheet says ${w.path} (${options.worksheet?.file ?? ''} line ${w.entry.line})`],
      blockers: w.path === 'client-submission-basic' ? [{ id: 'basic-auth', text: `this path logs in with Basic auth: ${basicAuthDeadline(options.madeOn)}; move it to OAuth before then` }] : [],
      messagesPerDay: 0, externalRecipientsPerDay: 0, internalRecipientsPerDay: 0, maxExternalRecipientsPerDay: 0,
      authenticated: false, auth: 'unknown', accounts: [], authMechanisms: [], senderDomains: [], egressIp: options.egress.get(addressKey(w.entry.remoteIp)) ?? null,
      owner: w.entry.owner, application: w.entry.application, decidedBy: 'worksheet',
      ...(w.entry.tlsCertificateName === undefined ? {} : { tlsCertificateName: w.entry.tlsCertificateName }),
    });
  }
  if (options.target !== 'm365') {
    const ignored = [...decisions.values()].filter((w) => w.used && w.path !== null && w.path !== 'keep-on-premises').length;
    if (ignored > 0) warnings.push(`${options.worksheet?.file ?? ''}: ${ignored} worksheet decision(s) name a Microsoft 365 path; with --target ${options.target} every sender stays on premises`);
  }

  return {
    plan: {
      schema: PLAN_SCHEMA, target: options.target, madeOn: options.madeOn.toISOString().slice(0, 10),
      licences: options.licences, tenantExternalRecipientLimit: limit, senders,
    },
    warnings,
  };
}

function tenantLimitBlockers(senders: PlanSender[], facts: readonly Facts[], limit: number, licences: number): void {
  const perDay = new Map<string, number>();
  facts.forEach((f, i) => {
    if (!EXCHANGE_ONLINE_PATHS.includes(senders[i]?.path ?? 'keep-on-premises')) return;
    for (const d of f.input.sender.perDay) perDay.set(d.day, (perDay.get(d.day) ?? 0) + (d.externalRecipients ?? 0));
  });
  let worstDay = '', worst = 0;
  for (const [day, n] of perDay) if (n > worst) { worst = n; worstDay = day; }
  facts.forEach((f, i) => {
    const s = senders[i];
    if (s === undefined || !EXCHANGE_ONLINE_PATHS.includes(s.path) || f.externalTotal === 0) return;
    if (worst > limit) {
      s.blockers.push({ id: 'tenant-outbound-limit', text: `the senders planned through Exchange Online send ${worst} external recipients on ${worstDay}, above the tenant's limit of ${limit} a day for ${licences} licences (before the mailboxes' own mail): move bulk senders to Azure Communication Services or High Volume Email` });
    } else if (f.maxExternal > BULK_SHARE * limit) {
      s.blockers.push({ id: 'tenant-outbound-limit', text: `${f.maxExternal} external recipients on its busiest day (${f.busiestDay}) are more than 10 % of the tenant's limit of ${limit} a day for ${licences} licences, which the mailboxes' own mail shares` });
    }
  });
}

function targetName(target: PlanTarget): string {
  return target === 'se' ? `${productName('se')} (exrelay migrate --target-version se)` : target === 'postfix' ? 'Postfix (exrelay emit postfix)' : 'Microsoft 365';
}

/** The plan from what `readLogs` gathered and the configuration. */
export function buildPlan(agg: LogAggregate, snapshot: Snapshot, options: PlanOptions): PlanResult {
  const config = logConfigFrom(snapshot);
  const mechanisms = new Map<string, string[]>();
  for (const st of agg.senders.values()) {
    const key = `${norm(st.connector)}\u0000${addressKey(st.remoteIp)}`;
    const have = mechanisms.get(key) ?? [];
    for (const m of st.mechanisms) if (!have.includes(m)) have.push(m);
    mechanisms.set(key, have);
  }
  const inputs = buildInventory(agg, config).map((r) => ({
    sender: r.sender, server: r.server, mechanisms: mechanisms.get(`${norm(r.sender.connector)}\u0000${addressKey(r.sender.remoteIp)}`) ?? [],
  }));
  return planFromInputs(inputs, snapshot, options);
}
