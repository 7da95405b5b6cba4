// `exrelay migrate`, the decisions: which of OLD's receive connectors are recreated on NEW, how,
// and which are left out and why (contract CLI.md, migrate "Safety"). The PowerShell text is
// migrate-view.ts; this module never writes PowerShell.
//
// Reference §4.5: a 2010 custom connector becomes a FrontendTransport connector on the target
// (on its own port, unless that port belongs to the hub service), the 2010 built-ins map onto
// the target's built-ins. A connector with a critical finding, or bound to an address of the old
// server that no --map-address maps, is left out and named.
import { UsageError } from '../../errors.js';
import { parseExchangeVersion, productName } from '../../exchange-version.js';
import type { JsonValue } from '../../json.js';
import {
  RULE_IDS,
  type AuthMechanism, type Binding, type Certificate, type ExchangeServer, type Finding, type IpRange, type Permission,
  type PermissionGroup, type ReceiveConnector, type Snapshot,
} from '../../model.js';
import { certificatesNamedBy, parseTlsCertificateName } from '../../certificates.js';
import { nonDefaultEntries } from '../../policy/index.js';
import { bannerProblem, DEFAULT_MAX_MESSAGE_SIZE } from '../../connectors.js';
import { formatBinding, normalizeAddress, sameRange } from '../../net/index.js';
import { canonicalPrincipal } from '../../principals.js';
import { unquotableReason } from '../../powershell/quote.js';

export type TargetVersion = '2016' | '2019' | 'se';
export const TARGET_VERSIONS: readonly TargetVersion[] = ['2016', '2019', 'se'];

/** From the target's exported version: Subscription Edition by its build, 15.2 otherwise 2019, else 2016. */
function detectedTargetVersion(version: string | null): TargetVersion {
  const parsed = parseExchangeVersion(version);
  if (parsed?.product === 'se') return 'se';
  if (parsed?.major === 15 && parsed.minor === 2) return '2019';
  return '2016';
}

/** `--carry RULE@CONNECTOR`: the consultant accepts that finding on that source connector. */
export interface CarriedRisk { rule: string; connector: string }

export interface MigrateOptions {
  sourceServer: string;
  targetServer: string;
  /** Default: from the target server's version, else 2016. */
  targetVersion?: TargetVersion;
  /** Shown in the header and in the command lines that would carry a left-out connector. */
  inputs?: readonly string[];
  /** File name of the rollback script, mentioned in the header when one is written. */
  rollbackFile?: string | null;
  version?: string;
  /** The audit of the inputs (the caller runs it): critical findings leave a connector out. */
  findings?: readonly Finding[];
  carry?: readonly CarriedRisk[];
  /** `--map-address OLD=NEW`: where a connector bound to OLD (an address of the source) binds on the target. */
  mapAddress?: Readonly<Record<string, string>>;
  /** Certificates expire relative to this date (default now). */
  now?: Date;
}

export interface ConnectorMapping {
  source: ReceiveConnector;
  /** The connector on the target after migration (the model's view of it). */
  target: ReceiveConnector;
  /** Maps onto a connector setup created on the target (Default Frontend, Client Frontend, …). */
  builtIn: boolean;
  /** The target connector before the script runs (built-ins, and a same-named connector that exists already). */
  before: ReceiveConnector | null;
  /** Modelled parameters the script sets on a connector that exists (only those that differ). */
  changed: string[];
  /** Unmodelled parameters (Comment, rate limits, timeouts, tarpit) the script writes, as values. */
  extras: Record<string, JsonValue>;
  /** For an existing connector: the values of `extras`' parameters before (restored by the rollback). */
  extrasBefore: Record<string, JsonValue>;
  /** AD entries to add (one right each). */
  permissions: Permission[];
  /** The text this script writes into a new connector's Comment, which the rollback checks; null when it creates nothing. */
  mark: string | null;
}

export interface LeftOut {
  source: string;
  reason: string;
  /** The option(s) that would carry it (`--carry …`, `--map-address …`), or null when none can. */
  carryWith: string | null;
}

export interface MigrationPlan {
  source: ExchangeServer | null;
  sourceServer: string;
  targetServer: string;
  targetVersion: TargetVersion;
  mappings: ConnectorMapping[];
  /** Source connectors not carried over, and why (header, stderr). */
  leftOut: LeftOut[];
  /** The exrelay command line that would also carry every left-out connector that can be carried. */
  carryCommand: string | null;
  /** Lines for the header: what the script does. */
  actions: string[];
  /** What the script does not carry over (header). */
  untranslated: string[];
  /** Things the operator must check, high findings carried among them (header, stderr). */
  warnings: string[];
  /** Connectors the target is assumed to have (the inputs held none of it). */
  assumedTarget: ReceiveConnector[];
}

const ALL_V4: IpRange = { expression: '0.0.0.0-255.255.255.255', first: '0.0.0.0', last: '255.255.255.255' };
const ALL_V6: IpRange = { expression: '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' };
const AUTH_31: AuthMechanism[] = ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer'];
/** Ports the hub (Transport) service of a 2013+ Mailbox server listens on (reference §4.1). */
const HUB_PORTS = [2525, 465];
/** Exchange refuses more remote IP entries than this on one connector (AdminLimitExceeded: "between 1,200 and 1,300"). */
const MAX_REMOTE_RANGES = 1200;

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The built-in connectors a 2016/2019 Mailbox server has after setup (reference §1.4). */
export function defaultConnectors(server: string, fqdn: string | null): ReceiveConnector[] {
  const base = (name: string, role: 'FrontendTransport' | 'HubTransport', port: number, auth: AuthMechanism[], groups: PermissionGroup[]): ReceiveConnector => ({
    identity: `${server}\\${name} ${server}`,
    server,
    name: `${name} ${server}`,
    transportRole: role,
    enabled: true,
    bindings: [{ address: '0.0.0.0', port }, { address: '::', port }],
    remoteIPRanges: [ALL_V6, ALL_V4],
    permissionGroups: groups,
    authMechanism: auth,
    requireTLS: false,
    domainSecureEnabled: false,
    fqdn,
    tlsCertificateName: null,
    banner: null,
    protocolLoggingLevel: 'None',
    maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
    maxRecipientsPerMessage: 200,
  });
  const defaultFrontend = base('Default Frontend', 'FrontendTransport', 25, AUTH_31, ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers']);
  defaultFrontend.protocolLoggingLevel = 'Verbose';
  const hubDefault = base('Default', 'HubTransport', 2525, AUTH_31, ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers']);
  hubDefault.maxRecipientsPerMessage = 5000;
  return [
    defaultFrontend,
    base('Client Frontend', 'FrontendTransport', 587, ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS'], ['ExchangeUsers']),
    base('Outbound Proxy Frontend', 'FrontendTransport', 717, AUTH_31, ['ExchangeServers']),
    hubDefault,
    base('Client Proxy', 'HubTransport', 465, AUTH_31, ['ExchangeUsers', 'ExchangeServers']),
  ];
}

/**
 * The target built-in a source connector maps onto: a 2010 hub's `Default X` (port 25) becomes
 * `Default Frontend Y`, `Client X` (587) becomes `Client Frontend Y` (reference §1.5, §4.5); a
 * 2013+ built-in maps onto the same built-in.
 */
export function builtInTargetName(source: ReceiveConnector, sourceServer: string, targetServer: string): string | null {
  const name = source.name.toLowerCase();
  const s = sourceServer.toLowerCase();
  if (source.transportRole === null) {
    if (name === `default ${s}`) return `Default Frontend ${targetServer}`;
    if (name === `client ${s}`) return `Client Frontend ${targetServer}`;
    return null;
  }
  for (const base of ['Default Frontend', 'Client Frontend', 'Outbound Proxy Frontend', 'Default', 'Client Proxy']) {
    if (name === `${base.toLowerCase()} ${s}`) return `${base} ${targetServer}`;
  }
  return null;
}

/** Replaces the source server's name (as a whole word, any case) with the target's. */
function renameForTarget(text: string, sourceServer: string, targetServer: string): string {
  const escaped = sourceServer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?<![A-Za-z0-9-])${escaped}(?![A-Za-z0-9-])`, 'gi'), targetServer);
}

function isAllRanges(ranges: readonly IpRange[]): boolean {
  return ranges.some((r) => sameRange(r, ALL_V4)) && ranges.every((r) => sameRange(r, ALL_V4) || sameRange(r, ALL_V6));
}

function sameSet<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => same(x, y))) && b.every((y) => a.some((x) => same(x, y)));
}

const isWildcard = (address: string): boolean => address === '0.0.0.0' || address === '::';
const family = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

// ------------------------------------------------------------------ unmodelled parameters

/**
 * Parameters the model keeps only in `extra` that change what clients see: Comment, rate
 * limits, timeouts and the tarpit. Each with the value a new connector gets (reference §1.2), so a
 * new connector is only given the ones the source changed.
 */
const CARRIED_EXTRAS: Readonly<Record<string, string | null>> = {
  ConnectionTimeout: '00:10:00',
  ConnectionInactivityTimeout: '00:05:00',
  MessageRateLimit: 'unlimited',
  MessageRateSource: 'ipaddress',
  MaxInboundConnection: '5000',
  MaxInboundConnectionPerSource: '20',
  MaxInboundConnectionPercentagePerSource: '2',
  MaxHeaderSize: '262144',
  MaxLogonFailures: '3',
  MaxProtocolErrors: '5',
  TarpitInterval: '00:00:05',
};

/**
 * The defaults of the source's own version: Exchange 2010 gives a connector a 64 KB
 * MaxHeaderSize (every 2010 connector of the demo estate shows it; reference §1.2 lists only
 * 2013+ defaults: unconfirmed for 2010 in general), so 64 KB on a 2010 connector is not a choice.
 */
function defaultsFor(sc: ReceiveConnector): Readonly<Record<string, string | null>> {
  return sc.transportRole === null ? { ...CARRIED_EXTRAS, MaxHeaderSize: '65536' } : CARRIED_EXTRAS;
}

/** Values setup gives the built-ins themselves (reference §1.4, §1.5): not the admin's choice, never carried. */
const BUILT_IN_OWN: Readonly<Record<string, readonly string[]>> = {
  default: ['MaxInboundConnectionPerSource', 'MaxInboundConnectionPercentagePerSource'],
  client: ['MessageRateLimit', 'MessageRateSource'],
};

/** A comparable form: sizes in bytes, everything else lower case. */
function comparable(name: string, value: JsonValue): string | null {
  if (value === null || typeof value === 'object') return null;
  const text = String(value).trim();
  if (name === 'MaxHeaderSize') {
    const bytes = /\(([\d,.\s]+) bytes\)/i.exec(text);
    if (bytes !== null) return (bytes[1] ?? '').replace(/[^\d]/g, '');
    const m = /^(\d+)\s*(B|KB|MB)?$/i.exec(text);
    if (m === null) return text.toLowerCase();
    const mult: Record<string, number> = { B: 1, KB: 1024, MB: 1024 * 1024 };
    return String(Number(m[1]) * (mult[(m[2] ?? 'B').toUpperCase()] ?? 1));
  }
  return text.toLowerCase();
}

/** The value written for a carried parameter: sizes as bytes (`65536B`), the rest as exported. */
function writable(name: string, value: JsonValue): JsonValue {
  if (name === 'MaxHeaderSize' && typeof value === 'string') {
    const bytes = comparable(name, value);
    if (bytes !== null && /^\d+$/.test(bytes)) return `${bytes}B`;
  }
  return value;
}

/** An `extra` property, or undefined; a value no PowerShell literal can carry (a NUL) counts as absent. */
function extraOf(c: ReceiveConnector, name: string): JsonValue | undefined {
  const extra = c.extra;
  if (extra === undefined) return undefined;
  const key = Object.keys(extra).find((k) => eq(k, name));
  const value = key === undefined ? undefined : extra[key];
  return typeof value === 'string' && unquotableReason(value) !== null ? undefined : value;
}

// ------------------------------------------------------------------ the plan

interface Context {
  snapshot: Snapshot;
  options: MigrateOptions;
  sourceName: string;
  targetName: string;
  targetObj: ExchangeServer | null;
  source: ExchangeServer | null;
  targetConnectors: ReceiveConnector[];
  now: Date;
  warnings: string[];
  untranslated: string[];
  leftOut: LeftOut[];
  /** Options that would carry the left-out connectors. */
  carryOptions: string[];
  usedMappings: Set<string>;
}

export function planMigration(snapshot: Snapshot, options: MigrateOptions): MigrationPlan {
  const findServer = (name: string): ExchangeServer | null => snapshot.servers.find((s) => eq(s.name, name)) ?? null;
  const sourceConnectors = snapshot.connectors.filter((c) => eq(c.server, options.sourceServer));
  const source = findServer(options.sourceServer);
  if (source === null && sourceConnectors.length === 0) {
    throw new UsageError(`--source-server ${options.sourceServer}: no such server in the inputs`);
  }
  const sourceName = source?.name ?? sourceConnectors[0]?.server ?? options.sourceServer;
  const targetObj = findServer(options.targetServer);
  const targetName = targetObj?.name ?? snapshot.connectors.find((c) => eq(c.server, options.targetServer))?.server ?? options.targetServer;
  if (eq(sourceName, targetName)) throw new UsageError('--source-server and --target-server must differ');
  for (const carry of options.carry ?? []) {
    if (!(RULE_IDS as readonly string[]).includes(carry.rule)) throw new UsageError(`--carry ${carry.rule}@${carry.connector}: unknown rule "${carry.rule}"`);
    if (!sourceConnectors.some((c) => eq(c.identity, carry.connector) || eq(c.name, carry.connector))) {
      throw new UsageError(`--carry ${carry.rule}@${carry.connector}: ${sourceName} has no connector "${carry.connector}"`);
    }
  }

  const warnings: string[] = [];
  let targetConnectors = snapshot.connectors.filter((c) => eq(c.server, targetName));
  let assumedTarget: ReceiveConnector[] = [];
  if (targetConnectors.length === 0) {
    targetConnectors = defaultConnectors(targetName, targetObj?.fqdn ?? null);
    assumedTarget = targetConnectors;
    warnings.push(`${targetName} has no connectors in the inputs: assuming the built-in connectors of a new 2016/2019 server (reference §1.4); export its connectors to check`);
  }
  if (targetConnectors.some((c) => c.transportRole === null)) {
    throw new UsageError(`--target-server ${targetName} is an Exchange 2010 server; the target must be 2016, 2019 or SE`);
  }
  const targetVersion: TargetVersion = options.targetVersion ?? detectedTargetVersion(targetObj?.version ?? null);
  // Exchange 2010 cannot coexist with 2019 or Subscription Edition in one organisation (2019's
  // setup refuses an organisation with 2010 servers; docs/reference/lifecycle.md), so no script
  // can move its connectors straight there: the way is through 2016. Judged from the source's
  // exported version; without one, 2010-shaped connectors (no TransportRole) only warn.
  if (targetVersion === '2019' || targetVersion === 'se') {
    const twoStep = `migrate it to an Exchange 2016 server first (--target-version 2016), then from 2016 to ${productName(targetVersion)}`;
    const product = parseExchangeVersion(source?.version ?? null)?.product ?? null;
    if (product === '2010') throw new UsageError(`${sourceName} is Exchange 2010, which cannot coexist with ${productName(targetVersion)}: ${twoStep}`);
    if (product === null && sourceConnectors.some((c) => c.transportRole === null)) {
      warnings.push(`${sourceName}'s version is not in the inputs and its connectors have no TransportRole, as Exchange 2010's do: if it is Exchange 2010, it cannot coexist with ${productName(targetVersion)}: ${twoStep} (export Get-ExchangeServer to check)`);
    }
  }

  const ctx: Context = {
    snapshot, options, sourceName, targetName, targetObj, source, targetConnectors,
    now: options.now ?? new Date(), warnings, untranslated: [], leftOut: [], carryOptions: [], usedMappings: new Set(),
  };
  const mappings: ConnectorMapping[] = [];
  const actions: string[] = [];

  for (let sc of sourceConnectors) {
    if (!sc.enabled) {
      ctx.untranslated.push(`${sc.identity} is disabled: not migrated (it has no effect on mail flow)`);
      continue;
    }
    for (const [what, value] of [['Name', sc.name], ['Banner', sc.banner], ['Fqdn', sc.fqdn], ['TlsCertificateName', sc.tlsCertificateName]] as const) {
      const reason = value === null ? null : unquotableReason(value);
      if (reason !== null) throw new UsageError(`${sc.identity}: ${what} ${reason}; it cannot be written into a PowerShell script`);
    }
    if (!riskAccepted(ctx, sc)) continue;
    const banner = sc.banner === null ? null : bannerProblem(sc.banner);
    if (banner !== null) {
      // Set-/New-ReceiveConnector would refuse it (reference §3.2): the connector goes without it.
      ctx.warnings.push(`${sc.identity}: its Banner is not carried (${banner}); the target answers with its default greeting`);
      sc = { ...sc, banner: null };
    }
    const builtInName = builtInTargetName(sc, sourceName, targetName);
    const mapping = builtInName !== null ? mapBuiltIn(ctx, sc, builtInName) : mapCustom(ctx, sc);
    if (mapping === null) continue;
    mappings.push(mapping);
    actions.push(describeMapping(mapping));
  }

  for (const old of Object.keys(options.mapAddress ?? {})) {
    if (!ctx.usedMappings.has(old)) warnings.push(`--map-address ${old}=…: no carried connector of ${sourceName} binds ${old}`);
  }
  ctx.untranslated.push('inherited AD permissions (they come from the server object, not the connector)');
  ctx.untranslated.push('hop counts, MIME and protocol switches (BinaryMime, Chunking, Pipelining, …): compare Get-ReceiveConnector output of both servers');
  if (sourceConnectors.some((c) => c.transportRole === null)) {
    ctx.untranslated.push('the 2010 sender (send-as) check after DATA on the receiving connector: on 2016/2019 the Front End does not make it, the hub does (reference §6.6)');
    ctx.untranslated.push(`the 2010 hub's own transport (the target's hub "Default ${targetName}" on 2525 and "Client Proxy ${targetName}" on 465 are left as setup made them)`);
  }
  // Built-ins first: a narrowed built-in never conflicts with the connectors created after it,
  // and every later state is a subset of the final one (reference §4.4).
  mappings.sort((a, b) => Number(b.builtIn) - Number(a.builtIn));
  return {
    source, sourceServer: sourceName, targetServer: targetName, targetVersion, mappings,
    leftOut: ctx.leftOut,
    carryCommand: ctx.carryOptions.length === 0 ? null : carryCommandLine(options, sourceName, targetName, ctx.carryOptions),
    actions, untranslated: ctx.untranslated, warnings, assumedTarget,
  };
}

/** A word for a POSIX shell or PowerShell command line: bare when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

function carryCommandLine(options: MigrateOptions, source: string, target: string, extra: readonly string[]): string {
  const words = ['exrelay', 'migrate', ...(options.inputs ?? ['INPUT...']).map(shellWord), '--source-server', shellWord(source), '--target-server', shellWord(target)];
  if (options.targetVersion !== undefined) words.push('--target-version', options.targetVersion);
  for (const c of options.carry ?? []) words.push('--carry', shellWord(`${c.rule}@${c.connector}`));
  for (const [o, n] of Object.entries(options.mapAddress ?? {})) words.push('--map-address', shellWord(`${o}=${n}`));
  return [...words, ...extra].join(' ');
}

function isCarried(ctx: Context, rule: string, sc: ReceiveConnector): boolean {
  return (ctx.options.carry ?? []).some((c) => c.rule === rule && (eq(c.connector, sc.identity) || eq(c.connector, sc.name)));
}

/** Critical findings leave the connector out unless each is carried; high ones are carried and named. */
function riskAccepted(ctx: Context, sc: ReceiveConnector): boolean {
  const own = (ctx.options.findings ?? []).filter((f) => f.connector !== null && eq(f.connector, sc.identity));
  const critical = own.filter((f) => f.severity === 'critical');
  const refused = critical.filter((f) => !isCarried(ctx, f.rule, sc));
  if (refused.length > 0) {
    const carry = refused.map((f) => `--carry ${shellWord(`${f.rule}@${sc.identity}`)}`);
    ctx.leftOut.push({
      source: sc.identity,
      reason: `critical finding${refused.length === 1 ? '' : 's'} ${refused.map((f) => `${f.rule} (${f.title})`).join('; ')}`,
      carryWith: carry.join(' '),
    });
    ctx.carryOptions.push(...carry);
    return false;
  }
  for (const f of critical) ctx.warnings.push(`${sc.identity}: critical finding ${f.rule} carried because --carry accepts it: ${f.title}`);
  for (const f of own.filter((x) => x.severity === 'high')) {
    ctx.warnings.push(`${sc.identity}: high finding ${f.rule} carried over: ${f.title}`);
  }
  return true;
}

/** Whether anonymous clients may relay through it (explicit Accept-Any-Recipient) or it trusts them as Exchange servers. */
function isAnonymousRelay(ctx: Context, sc: ReceiveConnector): boolean {
  if (sc.authMechanism.includes('ExternalAuthoritative')) return true;
  return ctx.snapshot.permissions.some((p) => eq(p.identity, sc.identity) && !p.deny && !p.inherited
    && canonicalPrincipal(p.user) === 'NT AUTHORITY\\ANONYMOUS LOGON'
    && p.extendedRights.some((r) => eq(r, 'ms-Exch-SMTP-Accept-Any-Recipient')));
}

/** Explicit entries the connector's groups do not imply; warns when the export lacks them. */
function explicitEntries(ctx: Context, sc: ReceiveConnector): Permission[] {
  const entries = nonDefaultEntries(sc, ctx.snapshot.permissions);
  const hasAny = ctx.snapshot.permissions.some((p) => eq(p.identity, sc.identity));
  if (sc.permissionGroups.includes('Custom') && entries.length === 0) {
    ctx.warnings.push(hasAny
      ? `${sc.identity} shows PermissionGroups Custom but the inputs hold no explicit AD entry beyond its groups: check its Get-ADPermission output; nothing extra is carried`
      : `${sc.identity} shows PermissionGroups Custom (explicit AD permissions, often the relay right) but the inputs hold no Get-ADPermission entries for it: its explicit rights are NOT carried; export Get-ADPermission (exrelay collect-script) and run migrate again`);
  }
  return entries;
}

/** Entries of `wanted` the target does not already hold (explicitly or through its final groups). */
function missingEntries(wanted: Permission[], target: ReceiveConnector, existing: readonly Permission[], identity: string): Permission[] {
  const have = nonDefaultEntries(target, existing);
  return wanted
    .map((p) => ({ ...p, identity }))
    .filter((p) => nonDefaultEntries(target, [p]).length > 0)
    .filter((p) => !have.some((h) => eq(h.user, p.user) && h.deny === p.deny && eq(h.extendedRights[0] ?? '', p.extendedRights[0] ?? '')));
}

function mapBuiltIn(ctx: Context, sc: ReceiveConnector, builtInName: string): ConnectorMapping | null {
  const before = ctx.targetConnectors.find((c) => eq(c.name, builtInName)) ?? null;
  if (before === null) {
    ctx.untranslated.push(`${sc.identity}: the target has no built-in "${builtInName}" in the inputs; nothing written for it`);
    return null;
  }
  const target = structuredClone(before);
  const changed: string[] = [];
  const isDefaultFrontend = /^default frontend /i.test(before.name);
  const isHubDefault = before.transportRole === 'HubTransport' && /^default /i.test(before.name) && !isDefaultFrontend;
  if (!isAllRanges(sc.remoteIPRanges) && !sameSet(sc.remoteIPRanges, before.remoteIPRanges, sameRange)) {
    target.remoteIPRanges = sc.remoteIPRanges.map((r) => ({ ...r }));
    changed.push('RemoteIPRanges');
  }
  let groups = sc.permissionGroups.filter((g) => g !== 'Custom');
  if (isDefaultFrontend && groups.includes('ExchangeUsers') && !before.permissionGroups.includes('ExchangeUsers')) {
    // 2013+ leaves authenticated relay off the internet port; clients submit on 587.
    groups = groups.filter((g) => g !== 'ExchangeUsers');
    ctx.untranslated.push(`${sc.identity} lets authenticated users relay on port 25 (ExchangeUsers): not added to ${before.identity}, which 2013+ leaves without it on the internet-facing port; authenticated clients submit on 587 (Client Frontend)`);
  }
  if (!sameSet(groups, before.permissionGroups.filter((g) => g !== 'Custom'), (a, b) => a === b)) {
    target.permissionGroups = groups;
    changed.push('PermissionGroups');
    const dropped = before.permissionGroups.filter((g) => g !== 'Custom' && !groups.includes(g));
    if (dropped.length > 0) ctx.warnings.push(`${before.identity} loses ${dropped.join(', ')} to match ${sc.identity}: check who connects to it`);
  }
  if (!sameSet(sc.authMechanism, before.authMechanism, (a, b) => a === b)) {
    target.authMechanism = [...sc.authMechanism];
    changed.push('AuthMechanism');
  }
  if (sc.requireTLS !== before.requireTLS) { target.requireTLS = sc.requireTLS; changed.push('RequireTLS'); }
  if ((sc.banner ?? '') !== (before.banner ?? '')) { target.banner = sc.banner; changed.push('Banner'); }
  if (sc.maxMessageSize !== null && sc.maxMessageSize !== before.maxMessageSize) { target.maxMessageSize = sc.maxMessageSize; changed.push('MaxMessageSize'); }
  if (sc.maxRecipientsPerMessage !== null && sc.maxRecipientsPerMessage !== before.maxRecipientsPerMessage) {
    target.maxRecipientsPerMessage = sc.maxRecipientsPerMessage;
    changed.push('MaxRecipientsPerMessage');
  }
  const fqdn = mapFqdn(ctx, sc);
  const sourceFqdn = ctx.source?.fqdn ?? null;
  if (fqdn !== null && !eq(fqdn, before.fqdn ?? '') && !(sourceFqdn !== null && eq(sc.fqdn ?? '', sourceFqdn))) {
    if (isHubDefault) {
      // Microsoft: never change the Fqdn of the Default (hub) connector; mail flow between servers fails.
      ctx.warnings.push(`${before.identity}: Fqdn left as ${before.fqdn ?? '(unset)'} (${sc.identity} has ${sc.fqdn ?? ''}); Exchange's hub Default connector must keep its own Fqdn`);
    } else {
      target.fqdn = fqdn;
      changed.push('Fqdn');
    }
  }
  const tls = mapTlsName(ctx, sc);
  if (tls !== null && tls !== before.tlsCertificateName) { target.tlsCertificateName = tls; changed.push('TlsCertificateName'); }
  if (before.protocolLoggingLevel !== 'Verbose') { target.protocolLoggingLevel = 'Verbose'; changed.push('ProtocolLoggingLevel'); }
  if (sc.transportRole === null && sc.bindings.some((b) => !isWildcard(b.address))) {
    ctx.untranslated.push(`${sc.identity} binds ${sc.bindings.map(formatBinding).join(', ')}; ${before.identity} keeps its own bindings`);
  }
  const own = BUILT_IN_OWN[builtInName.slice(0, builtInName.length - ctx.targetName.length - 1).toLowerCase().replace(/ frontend$/, '')] ?? [];
  const { extras, extrasBefore } = builtInExtras(ctx, sc, before, own);
  const permissions = missingEntries(explicitEntries(ctx, sc), target, ctx.snapshot.permissions, before.identity);
  return { source: sc, target, builtIn: true, before, changed, extras, extrasBefore, permissions, mark: null };
}

/** Extras that differ from both the new-connector default and the target's value; only those whose previous value is known (the rollback restores it). */
function builtInExtras(ctx: Context, sc: ReceiveConnector, before: ReceiveConnector, own: readonly string[]): { extras: Record<string, JsonValue>; extrasBefore: Record<string, JsonValue> } {
  const extras: Record<string, JsonValue> = {};
  const extrasBefore: Record<string, JsonValue> = {};
  for (const [name, fallback] of Object.entries(defaultsFor(sc))) {
    if (own.includes(name)) continue;
    const value = extraOf(sc, name);
    if (value === undefined || value === null) continue;
    const wanted = comparable(name, value);
    if (wanted === null || wanted === fallback) continue;
    const previous = extraOf(before, name);
    if (previous !== undefined && comparable(name, previous) === wanted) continue;
    if (previous === undefined) {
      ctx.untranslated.push(`${sc.identity}: ${name} ${typeof value === 'string' ? value : JSON.stringify(value)} not carried to ${before.identity} (its current value is not in the inputs, so the rollback could not restore it)`);
      continue;
    }
    extras[name] = writable(name, value);
    extrasBefore[name] = previous;
  }
  return { extras, extrasBefore };
}

function mapCustom(ctx: Context, sc: ReceiveConnector): ConnectorMapping | null {
  const { targetName, sourceName } = ctx;
  const name = renameForTarget(sc.name, sourceName, targetName);
  if (name.length > 64) ctx.warnings.push(`${sc.identity}: the target name "${name}" is longer than Exchange's 64 characters`);
  const identity = `${targetName}\\${name}`;
  const bindings = mapBindings(ctx, sc);
  if (bindings === null) return null;
  // A 2010 connector becomes a Front End connector on the same port unless the target's hub
  // service owns the port (reference §4.4 rule 2, §4.5); a 2013+ connector keeps its role.
  let role = sc.transportRole ?? 'FrontendTransport';
  const hubPort = bindings.find((b) => HUB_PORTS.includes(b.port) || ctx.targetConnectors.some((t) => t.transportRole === 'HubTransport'
    && t.bindings.some((tb) => tb.port === b.port && family(tb.address) === family(b.address) && (tb.address === b.address || isWildcard(tb.address) || isWildcard(b.address)))));
  if (role !== 'HubTransport' && hubPort !== undefined) {
    if (isAnonymousRelay(ctx, sc) && !isCarried(ctx, 'hub-transport-relay-connector', sc)) {
      const carry = `--carry ${shellWord(`hub-transport-relay-connector@${sc.identity}`)}`;
      ctx.leftOut.push({
        source: sc.identity,
        reason: `a relay for anonymous or externally secured clients on port ${hubPort.port}, which belongs to the hub (Transport) service on ${targetName}: it could only be a HubTransport relay connector (rule hub-transport-relay-connector); move its clients to a Front End port (25 or a free one) instead`,
        carryWith: carry,
      });
      ctx.carryOptions.push(carry);
      return null;
    }
    role = 'HubTransport';
    ctx.warnings.push(`${sc.identity}: port ${hubPort.port} belongs to the hub (Transport) service on ${targetName}: created as a HubTransport connector`);
  }
  const existing = ctx.targetConnectors.find((c) => eq(c.identity, identity)) ?? null;
  const fqdn = mapFqdn(ctx, sc);
  const target: ReceiveConnector = {
    identity,
    server: targetName,
    name,
    transportRole: role,
    enabled: true,
    bindings,
    remoteIPRanges: sc.remoteIPRanges.map((r) => ({ ...r })),
    permissionGroups: sc.permissionGroups.filter((g) => g !== 'Custom'),
    authMechanism: [...sc.authMechanism],
    requireTLS: sc.requireTLS,
    domainSecureEnabled: sc.domainSecureEnabled,
    fqdn: fqdn ?? ctx.targetObj?.fqdn ?? null,
    tlsCertificateName: mapTlsName(ctx, sc),
    banner: sc.banner,
    protocolLoggingLevel: 'Verbose',
    maxMessageSize: sc.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    maxRecipientsPerMessage: sc.maxRecipientsPerMessage ?? 200,
  };
  if (target.remoteIPRanges.length > MAX_REMOTE_RANGES) {
    ctx.warnings.push(`${sc.identity} has ${target.remoteIPRanges.length} remote ranges; Exchange refuses more than about ${MAX_REMOTE_RANGES} on one connector (AdminLimitExceeded): merge ranges or split the connector first`);
  }
  if (existing !== null) {
    ctx.warnings.push(`${identity} already exists on ${targetName}: the script leaves its settings as they are (only missing AD entries are added); compare it with ${sc.identity}`);
    const permissions = missingEntries(explicitEntries(ctx, sc), existing, ctx.snapshot.permissions, identity);
    return { source: sc, target: existing, builtIn: false, before: existing, changed: [], extras: {}, extrasBefore: {}, permissions, mark: null };
  }
  const mark = `[exrelay migrate: created from ${sc.identity}]`;
  const extras: Record<string, JsonValue> = {};
  const missing: string[] = [];
  for (const [param, fallback] of Object.entries(defaultsFor(sc))) {
    const value = extraOf(sc, param);
    if (value === undefined || value === null) { missing.push(param); continue; }
    const c = comparable(param, value);
    if (c !== null && c !== fallback) extras[param] = writable(param, value);
  }
  const comment = extraOf(sc, 'Comment');
  extras['Comment'] = typeof comment === 'string' && comment.trim() !== '' ? `${comment} ${mark}` : mark;
  if (missing.length === Object.keys(CARRIED_EXTRAS).length) {
    ctx.untranslated.push(`${sc.identity}: the inputs hold no rate limits, timeouts or tarpit interval for it; ${identity} gets Exchange's defaults`);
  } else if (missing.length > 0) {
    ctx.untranslated.push(`${sc.identity}: ${missing.join(', ')} not in the inputs; ${identity} gets Exchange's defaults for them`);
  }
  const permissions = explicitEntries(ctx, sc).map((p) => ({ ...p, identity }));
  return { source: sc, target, builtIn: false, before: null, changed: [], extras, extrasBefore: {}, permissions, mark };
}

/** Bindings on the target, or null (left out) when an address of the source is not mapped. */
function mapBindings(ctx: Context, sc: ReceiveConnector): Binding[] | null {
  const out: Binding[] = [];
  const unmapped: Binding[] = [];
  for (const b of sc.bindings) {
    if (isWildcard(b.address)) { out.push(b); continue; }
    const key = normalizeAddress(b.address) ?? b.address;
    const mapped = Object.entries(ctx.options.mapAddress ?? {}).find(([o]) => (normalizeAddress(o) ?? o) === key)?.[1];
    if (mapped === undefined) { unmapped.push(b); continue; }
    ctx.usedMappings.add(Object.keys(ctx.options.mapAddress ?? {}).find((o) => (normalizeAddress(o) ?? o) === key) ?? key);
    if (family(mapped) !== family(b.address)) {
      throw new UsageError(`--map-address ${b.address}=${mapped}: both addresses must be IPv4 or both IPv6`);
    }
    const known = ctx.targetObj?.ipAddresses ?? [];
    if (known.length > 0 && !known.some((a) => normalizeAddress(a) === normalizeAddress(mapped))) {
      ctx.warnings.push(`${sc.identity}: --map-address ${b.address}=${mapped}, but ${ctx.targetName}'s known addresses are ${known.join(', ')}; Exchange cannot bind an address the server does not have`);
    }
    out.push({ address: normalizeAddress(mapped) ?? mapped, port: b.port });
  }
  if (unmapped.length > 0) {
    const known = (ctx.targetObj?.ipAddresses ?? []).join(', ');
    const carry = unmapped.map((b) => `--map-address ${b.address}=NEW`);
    ctx.leftOut.push({
      source: sc.identity,
      reason: `binds ${unmapped.map(formatBinding).join(', ')}, an address of ${ctx.sourceName}; it is not re-bound to all addresses: say which address of ${ctx.targetName} takes it${known === '' ? '' : ` (known: ${known})`}`,
      carryWith: carry.join(' '),
    });
    ctx.carryOptions.push(...carry);
    return null;
  }
  const deduped: Binding[] = [];
  for (const b of out) if (!deduped.some((o) => o.address === b.address && o.port === b.port)) deduped.push(b);
  return deduped;
}

function mapFqdn(ctx: Context, sc: ReceiveConnector): string | null {
  if (sc.fqdn === null) return null;
  const sourceFqdn = ctx.source?.fqdn ?? null;
  if (sourceFqdn !== null && eq(sc.fqdn, sourceFqdn)) return ctx.targetObj?.fqdn ?? null;
  const renamed = renameForTarget(sc.fqdn, ctx.sourceName, ctx.targetName);
  if (renamed !== sc.fqdn) ctx.warnings.push(`${sc.identity}: Fqdn ${sc.fqdn} names the source server; written as ${renamed}`);
  return renamed;
}

function commonName(dn: string): string | null {
  const m = /(?:^|,)\s*CN=([^,]+)/i.exec(dn);
  return m === null ? null : (m[1] ?? '').trim();
}

/**
 * The TlsCertificateName written on the target: only a certificate the target's imported
 * certificates contain (issuer and subject) and that has not expired. A name the target lacks
 * is replaced by the target's valid certificate for the same name (a renewal), else not written.
 */
function mapTlsName(ctx: Context, sc: ReceiveConnector): string | null {
  const name = sc.tlsCertificateName;
  if (name === null || name.trim() === '') return null;
  const parsed = parseTlsCertificateName(name);
  if (parsed === null) {
    ctx.warnings.push(`${sc.identity}: TlsCertificateName ${name} is not <I>issuer<S>subject; not written`);
    return null;
  }
  const valid = (c: Certificate): boolean => {
    const t = Date.parse(c.notAfter);
    return Number.isNaN(t) || t > ctx.now.getTime();
  };
  const onTarget = { ...sc, server: ctx.targetName, identity: `${ctx.targetName}\\${sc.name}` };
  const named = certificatesNamedBy(ctx.snapshot, onTarget);
  if (named.some(valid)) return name;
  const cn = commonName(parsed.subject);
  const sourceNames = [ctx.sourceName, ctx.source?.fqdn ?? ''].filter((n) => n !== '');
  if (cn !== null && sourceNames.some((n) => eq(n, cn))) {
    ctx.warnings.push(`${sc.identity}: TlsCertificateName names ${ctx.sourceName}'s own certificate (${parsed.subject}); not written, ${ctx.targetName} presents its own`);
    return null;
  }
  const wanted = cn === null ? null : cn.toLowerCase();
  const renewals = wanted === null ? [] : ctx.snapshot.certificates.filter((c) => c.server !== null && eq(c.server, ctx.targetName) && valid(c)
    && c.services.some((s) => eq(s.trim(), 'SMTP'))
    && (commonName(c.subject)?.toLowerCase() === wanted || c.dnsNames.some((d) => d.toLowerCase() === wanted)));
  renewals.sort((a, b) => Date.parse(b.notAfter) - Date.parse(a.notAfter));
  const renewal = renewals[0];
  if (renewal !== undefined) {
    const rewritten = `<I>${renewal.issuer}<S>${renewal.subject}`;
    ctx.warnings.push(`${sc.identity}: TlsCertificateName ${name} is ${named.length > 0 ? 'expired' : 'not installed'} on ${ctx.targetName}; written as its valid certificate for ${cn ?? ''}: ${rewritten}`);
    return rewritten;
  }
  ctx.warnings.push(`${sc.identity}: TlsCertificateName ${name} is ${named.length > 0 ? 'expired' : 'not among the imported certificates'} on ${ctx.targetName}: not written; install a valid certificate for ${cn ?? 'that name'} and set it`);
  return null;
}

function describeMapping(m: ConnectorMapping): string {
  const entries = m.permissions.length > 0 ? [`${m.permissions.length} AD permission entr${m.permissions.length === 1 ? 'y' : 'ies'}`] : [];
  if (m.builtIn) {
    const what = [...m.changed, ...Object.keys(m.extras), ...entries];
    return what.length === 0
      ? `${m.target.identity}: already matches ${m.source.identity}; nothing to change`
      : `update built-in ${m.target.identity} to match ${m.source.identity}: ${what.join(', ')}`;
  }
  if (m.before !== null) {
    return `keep ${m.target.identity} (exists already; not changed) for ${m.source.identity}${entries.length > 0 ? '; its missing AD permission entries are added' : ''}`;
  }
  const t = m.target;
  const carried = Object.keys(m.extras).filter((k) => k !== 'Comment');
  return `create ${t.identity} from ${m.source.identity} (disabled until read back and checked): ${t.transportRole ?? 'FrontendTransport'}, ${t.bindings.map(formatBinding).join(', ')}, `
    + `${t.remoteIPRanges.length} remote range(s), groups ${t.permissionGroups.join(', ') || 'None'}, auth ${t.authMechanism.join(', ') || 'None'}`
    + `${entries.length > 0 ? `, ${entries[0] ?? ''}` : ''}${carried.length > 0 ? `, ${carried.join(', ')}` : ''}`;
}

/** `OLD=NEW` pairs of --map-address, checked and normalised. */
export function parseAddressMap(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([^=]+)=([^=]+)$/.exec(pair.trim());
    const oldA = m === null ? null : normalizeAddress((m[1] ?? '').trim().replace(/^\[(.*)\]$/, '$1'));
    const newA = m === null ? null : normalizeAddress((m[2] ?? '').trim().replace(/^\[(.*)\]$/, '$1'));
    if (oldA === null || newA === null) throw new UsageError(`--map-address ${pair}: expected OLD=NEW, two IP addresses (e.g. 10.20.0.111=10.20.0.121)`);
    if (isWildcard(oldA) || isWildcard(newA)) throw new UsageError(`--map-address ${pair}: give single addresses, not 0.0.0.0 or ::`);
    if (family(oldA) !== family(newA)) throw new UsageError(`--map-address ${pair}: both addresses must be IPv4 or both IPv6`);
    out[oldA] = newA;
  }
  return out;
}

/** `RULE@CONNECTOR` values of --carry. */
export function parseCarry(values: readonly string[]): CarriedRisk[] {
  return values.map((v) => {
    const at = v.indexOf('@');
    const rule = at < 0 ? '' : v.slice(0, at).trim();
    const connector = at < 0 ? '' : v.slice(at + 1).trim();
    if (rule === '' || connector === '') throw new UsageError(`--carry ${v}: expected RULE@CONNECTOR (e.g. anonymous-open-relay@'EX10\\Relay EX10')`);
    return { rule, connector };
  });
}
