// `exrelay migrate`: the PowerShell that recreates one server's relay behaviour on another
// (reference §4.5: custom connectors become FrontendTransport connectors, the built-in ones map
// onto the target's built-ins). The plan is computed here; templates/migrate.ps1.hbs and
// templates/rollback.ps1.hbs only lay it out. Every customer value reaches the script through
// psQuote (quote.ts), already quoted in the view; comments go through psComment.
import { UsageError } from '../../errors.js';
import type {
  AuthMechanism, Binding, Certificate, ExchangeServer, IpRange, Permission, PermissionGroup, ReceiveConnector, Snapshot,
} from '../../model.js';
import { nonDefaultEntries } from '../../policy/index.js';
import { formatBinding, sameRange } from '../../net/index.js';
import { template } from '../templates.js';
import { psComment, psQuote, psQuoteList, unquotableReason } from '../../powershell/quote.js';

export type TargetVersion = '2016' | '2019';

export interface MigrateOptions {
  sourceServer: string;
  targetServer: string;
  /** Default: from the target server's version, else 2016. */
  targetVersion?: TargetVersion;
  /** Shown in the header (the inputs the plan was made from). */
  inputs?: readonly string[];
  /** File name of the rollback script, mentioned in the header when one is written. */
  rollbackFile?: string | null;
  version?: string;
}

/**
 * Remote ranges per command. Exchange documents no per-command limit; long lists are written
 * as a first command plus `@{Add=…}` batches so each command line stays short and a failure
 * names the batch (reference §5.3: Add/Remove edit without wiping).
 */
export const RANGE_CHUNK = 100;

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

// ------------------------------------------------------------------ the plan

export interface ConnectorMapping {
  source: ReceiveConnector;
  /** The connector on the target after migration (the model's view of it). */
  target: ReceiveConnector;
  builtIn: boolean;
  /** For built-ins: the target connector before the script runs. */
  before: ReceiveConnector | null;
  /** Parameters the script sets (built-ins: only those that differ). */
  changed: string[];
  /** AD entries to add (one right each). */
  permissions: Permission[];
}

export interface MigrationPlan {
  source: ExchangeServer | null;
  sourceServer: string;
  targetServer: string;
  targetVersion: TargetVersion;
  mappings: ConnectorMapping[];
  /** Lines for the header: what the script does. */
  actions: string[];
  /** What the script does not carry over (header, and stderr warnings). */
  untranslated: string[];
  /** Things the operator must check (also printed to stderr by the CLI). */
  warnings: string[];
}

const ALL_V4: IpRange = { expression: '0.0.0.0-255.255.255.255', first: '0.0.0.0', last: '255.255.255.255' };
const ALL_V6: IpRange = { expression: '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' };
const AUTH_31: AuthMechanism[] = ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer'];

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
    maxMessageSize: 37748736,
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

/** Built-in names of a server: 2010 hub (`Default X`, `Client X`) and 2013+ (reference §1.4, §1.5). */
function builtInTargetName(source: ReceiveConnector, sourceServer: string, targetServer: string): string | null {
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
  const v4 = ranges.some((r) => sameRange(r, ALL_V4));
  const v6 = ranges.some((r) => sameRange(r, ALL_V6));
  const others = ranges.filter((r) => !sameRange(r, ALL_V4) && !sameRange(r, ALL_V6));
  return v4 && others.every((r) => !r.first.includes(':') || v6) && others.length === 0;
}

function sameSet<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => same(x, y))) && b.every((y) => a.some((x) => same(x, y)));
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
  const warnings: string[] = [];
  const untranslated: string[] = [];
  const actions: string[] = [];

  let targetConnectors = snapshot.connectors.filter((c) => eq(c.server, targetName));
  if (targetConnectors.length === 0) {
    targetConnectors = defaultConnectors(targetName, targetObj?.fqdn ?? null);
    warnings.push(`${targetName} has no connectors in the inputs: assuming the built-in connectors of a new 2016/2019 server (reference §1.4)`);
  }
  const targetVersion: TargetVersion = options.targetVersion
    ?? (targetObj?.version !== null && targetObj?.version !== undefined && /Version 15\.2/i.test(targetObj.version) ? '2019' : '2016');
  if (targetConnectors.some((c) => c.transportRole === null)) {
    throw new UsageError(`--target-server ${targetName} is an Exchange 2010 server; the target must be 2016 or 2019`);
  }

  const targetFqdn = targetObj?.fqdn ?? null;
  const sourceFqdn = source?.fqdn ?? null;
  const mappings: ConnectorMapping[] = [];
  const targetBuiltInsUsed = new Set<string>();

  for (const sc of sourceConnectors) {
    if (!sc.enabled) {
      untranslated.push(`${sc.identity} is disabled: not migrated (it has no effect on mail flow)`);
      continue;
    }
    for (const [what, value] of [['Name', sc.name], ['Banner', sc.banner], ['Fqdn', sc.fqdn], ['TlsCertificateName', sc.tlsCertificateName]] as const) {
      const reason = value === null ? null : unquotableReason(value);
      if (reason !== null) throw new UsageError(`${sc.identity}: ${what} ${reason}; it cannot be written into a PowerShell script`);
    }
    const builtInName = builtInTargetName(sc, sourceName, targetName);
    const fqdn = mapFqdn(sc, sourceName, targetName, sourceFqdn, targetFqdn, warnings);
    const tls = mapTlsName(sc, sourceFqdn, targetFqdn, targetName, snapshot.certificates, warnings);
    if (builtInName !== null) {
      const before = targetConnectors.find((c) => eq(c.name, builtInName)) ?? null;
      if (before === null) {
        untranslated.push(`${sc.identity}: the target has no built-in "${builtInName}" in the inputs; nothing written for it`);
        continue;
      }
      targetBuiltInsUsed.add(before.identity.toLowerCase());
      const target = structuredClone(before);
      const changed: string[] = [];
      if (!isAllRanges(sc.remoteIPRanges) && !sameSet(sc.remoteIPRanges, before.remoteIPRanges, sameRange)) {
        target.remoteIPRanges = sc.remoteIPRanges.map((r) => ({ ...r }));
        changed.push('RemoteIPRanges');
      }
      const groups = sc.permissionGroups.filter((g) => g !== 'Custom');
      if (!sameSet(groups, before.permissionGroups.filter((g) => g !== 'Custom'), (a, b) => a === b)) {
        target.permissionGroups = groups;
        changed.push('PermissionGroups');
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
      if (fqdn !== null && !eq(fqdn, before.fqdn ?? '') && !(sourceFqdn !== null && eq(sc.fqdn ?? '', sourceFqdn))) {
        target.fqdn = fqdn;
        changed.push('Fqdn');
      }
      if (tls !== null && tls !== before.tlsCertificateName) { target.tlsCertificateName = tls; changed.push('TlsCertificateName'); }
      if (before.protocolLoggingLevel !== 'Verbose') { target.protocolLoggingLevel = 'Verbose'; changed.push('ProtocolLoggingLevel'); }
      if (sc.transportRole === null && sc.bindings.some((b) => !(b.address === '0.0.0.0' || b.address === '::'))) {
        untranslated.push(`${sc.identity} binds ${sc.bindings.map(formatBinding).join(', ')}; ${before.identity} keeps its own bindings`);
      }
      const permissions = missingEntries(nonDefaultEntries(sc, snapshot.permissions), target, snapshot.permissions, before.identity);
      mappings.push({ source: sc, target, builtIn: true, before, changed, permissions });
      const what = [...changed, ...(permissions.length > 0 ? [`${permissions.length} AD permission entr${permissions.length === 1 ? 'y' : 'ies'}`] : [])];
      actions.push(what.length === 0
        ? `${before.identity}: already matches ${sc.identity}; nothing to change`
        : `update built-in ${before.identity} to match ${sc.identity}: ${what.join(', ')}`);
      continue;
    }
    // A custom connector: FrontendTransport on the target (reference §4.5), unless the source
    // is already 2013+ and chose a role.
    const name = renameForTarget(sc.name, sourceName, targetName);
    if (name.length > 64) warnings.push(`${sc.identity}: the target name "${name}" is longer than Exchange's 64 characters`);
    const identity = `${targetName}\\${name}`;
    const existing = targetConnectors.find((c) => eq(c.identity, identity)) ?? null;
    const bindings = sc.bindings.map((b) => mapBinding(b, sc, source, targetObj, warnings));
    const target: ReceiveConnector = {
      identity,
      server: targetName,
      name,
      transportRole: sc.transportRole ?? 'FrontendTransport',
      enabled: true,
      bindings: dedupeBindings(bindings),
      remoteIPRanges: sc.remoteIPRanges.map((r) => ({ ...r })),
      permissionGroups: sc.permissionGroups.filter((g) => g !== 'Custom'),
      authMechanism: [...sc.authMechanism],
      requireTLS: sc.requireTLS,
      domainSecureEnabled: sc.domainSecureEnabled,
      fqdn: fqdn ?? targetFqdn,
      tlsCertificateName: tls,
      banner: sc.banner,
      protocolLoggingLevel: 'Verbose',
      maxMessageSize: sc.maxMessageSize ?? 37748736,
      maxRecipientsPerMessage: sc.maxRecipientsPerMessage ?? 200,
    };
    // A port the target's hub service already owns (2525, 465, or any port a HubTransport
    // connector binds) can only take a HubTransport connector (reference §4.4 rule 2, §4.5).
    const owner = targetConnectors.find((t) => t.transportRole !== null && t.bindings.some((tb) => target.bindings.some((b) => b.port === tb.port
      && (b.address === tb.address || b.address === '0.0.0.0' || b.address === '::' || tb.address === '0.0.0.0' || tb.address === '::'))));
    if (owner !== undefined && owner.transportRole !== target.transportRole) {
      warnings.push(`${sc.identity}: port ${target.bindings.map((b) => b.port).join(', ')} belongs to the ${owner.transportRole} service on ${targetName} (${owner.identity}); created as a ${owner.transportRole} connector`);
      target.transportRole = owner.transportRole;
    }
    if (existing !== null) {
      warnings.push(`${identity} already exists on ${targetName}: the script leaves it as it is; compare it with ${sc.identity}`);
    }
    // An existing connector only gets the entries it lacks, so the rollback removes only those.
    const permissions = existing === null
      ? nonDefaultEntries(sc, snapshot.permissions).map((p) => ({ ...p, identity }))
      : missingEntries(nonDefaultEntries(sc, snapshot.permissions), existing, snapshot.permissions, identity);
    mappings.push({ source: sc, target, builtIn: false, before: existing, changed: [], permissions });
    actions.push(existing !== null
      ? `keep ${identity} (exists already on ${targetName}; not changed) for ${sc.identity}${permissions.length > 0 ? `; its missing AD permission entries are added` : ''}`
      : `create ${identity} from ${sc.identity}: ${target.transportRole}, ${target.bindings.map(formatBinding).join(', ')}, ${target.remoteIPRanges.length} remote range(s), groups ${target.permissionGroups.join(', ') || 'None'}, auth ${target.authMechanism.join(', ') || 'None'}${permissions.length > 0 ? `, ${permissions.length} AD permission entr${permissions.length === 1 ? 'y' : 'ies'}` : ''}`);
  }
  untranslated.push(
    'inherited AD permissions (they come from the server object, not the connector)',
    'properties exrelay does not model (timeouts, rate limits, hop counts, …): compare Get-ReceiveConnector output of both servers',
  );
  if (sourceConnectors.some((c) => c.transportRole === null)) {
    untranslated.push('the 2010 sender (send-as) check after DATA on the receiving connector: on 2016/2019 the Front End does not make it, the hub does (reference §6.6)');
    untranslated.push(`the 2010 hub's own transport (the target's hub "Default ${targetName}" on 2525 and "Client Proxy ${targetName}" on 465 are left as setup made them)`);
  }
  void targetBuiltInsUsed;
  // Built-ins first: a narrowed built-in never conflicts with the connectors created after it,
  // and every later state is a subset of the final one (reference §4.4).
  mappings.sort((a, b) => Number(b.builtIn) - Number(a.builtIn));
  return { source, sourceServer: sourceName, targetServer: targetName, targetVersion, mappings, actions, untranslated, warnings };
}

/** Entries of `wanted` the target does not already hold (explicitly or through its final groups). */
function missingEntries(wanted: Permission[], target: ReceiveConnector, existing: readonly Permission[], identity: string): Permission[] {
  const have = nonDefaultEntries(target, existing);
  return wanted
    .map((p) => ({ ...p, identity }))
    .filter((p) => nonDefaultEntries(target, [p]).length > 0)
    .filter((p) => !have.some((h) => eq(h.user, p.user) && h.deny === p.deny && eq(h.extendedRights[0] ?? '', p.extendedRights[0] ?? '')));
}

function dedupeBindings(bindings: Binding[]): Binding[] {
  const out: Binding[] = [];
  for (const b of bindings) if (!out.some((o) => o.address === b.address && o.port === b.port)) out.push(b);
  return out;
}

function mapBinding(b: Binding, sc: ReceiveConnector, source: ExchangeServer | null, target: ExchangeServer | null, warnings: string[]): Binding {
  if (b.address === '0.0.0.0' || b.address === '::') return b;
  const index = source?.ipAddresses.findIndex((a) => a === b.address) ?? -1;
  const family = b.address.includes(':') ? 6 : 4;
  const candidates = (target?.ipAddresses ?? []).filter((a) => (a.includes(':') ? 6 : 4) === family);
  const mapped = index >= 0 ? (target?.ipAddresses[index] ?? candidates[0]) : candidates[0];
  if (mapped !== undefined && (mapped.includes(':') ? 6 : 4) === family) {
    warnings.push(`${sc.identity} binds ${formatBinding(b)}: written as ${formatBinding({ address: mapped, port: b.port })} (the target's address); check it`);
    return { address: mapped, port: b.port };
  }
  const wildcard = family === 4 ? '0.0.0.0' : '::';
  warnings.push(`${sc.identity} binds ${formatBinding(b)} and the target's addresses are unknown: written as ${formatBinding({ address: wildcard, port: b.port })}`);
  return { address: wildcard, port: b.port };
}

function mapFqdn(sc: ReceiveConnector, sourceName: string, targetName: string, sourceFqdn: string | null, targetFqdn: string | null, warnings: string[]): string | null {
  if (sc.fqdn === null) return null;
  if (sourceFqdn !== null && eq(sc.fqdn, sourceFqdn)) return targetFqdn;
  const renamed = renameForTarget(sc.fqdn, sourceName, targetName);
  if (renamed !== sc.fqdn) warnings.push(`${sc.identity}: Fqdn ${sc.fqdn} names the source server; written as ${renamed}`);
  return renamed;
}

function mapTlsName(sc: ReceiveConnector, sourceFqdn: string | null, targetFqdn: string | null, targetName: string, certificates: readonly Certificate[], warnings: string[]): string | null {
  const name = sc.tlsCertificateName;
  if (name === null) return null;
  if (targetFqdn === null) {
    warnings.push(`${sc.identity}: TlsCertificateName ${name} is kept as it is (the target's Fqdn is unknown); check the certificate exists on ${targetName}`);
    return name;
  }
  const m = /^<I>(.*)<S>(.*)$/s.exec(name);
  if (m === null) return name;
  const wanted = targetFqdn.toLowerCase();
  const cert = certificates.find((c) => c.server !== null && eq(c.server, targetName) && c.services.some((s) => eq(s, 'SMTP'))
    && c.dnsNames.some((d) => d.toLowerCase() === wanted));
  const subject = m[2] ?? '';
  const namesSource = sourceFqdn !== null && subject.toLowerCase().includes(sourceFqdn.toLowerCase());
  if (cert !== undefined && namesSource) {
    const rewritten = `<I>${cert.issuer}<S>${cert.subject}`;
    warnings.push(`${sc.identity}: TlsCertificateName rewritten for ${targetFqdn} to ${rewritten} (a certificate of ${targetName})`);
    return rewritten;
  }
  if (namesSource && sourceFqdn !== null) {
    const rewritten = `<I>${m[1] ?? ''}<S>${subject.replace(new RegExp(sourceFqdn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), targetFqdn)}`;
    warnings.push(`${sc.identity}: TlsCertificateName rewritten for ${targetFqdn} to ${rewritten}: install a certificate with that issuer and subject on ${targetName} before running the script`);
    return rewritten;
  }
  warnings.push(`${sc.identity}: TlsCertificateName ${name} kept; make sure that certificate is installed on ${targetName}`);
  return name;
}

// ------------------------------------------------------------------ the view

/** One parameter of a command line, already rendered (`-Name 'x'`, `-Custom`). */
interface CommandView { text: string }

interface PermissionView { testArgs: string; identityQ: string; addArgs: string; removeArgs: string }

interface SectionView {
  title: string;
  isCreate: boolean;
  /** Rollback may remove it: the migration creates it (it did not exist when the script was made). */
  removable: boolean;
  identityQ: string;
  create: CommandView;
  /** `@{Add=…}` batches after the first for long range lists (create) or for an update. */
  addBatches: CommandView[];
  update: CommandView | null;
  permissions: PermissionView[];
  existsMessageQ: string;
  createMessageQ: string;
  /** Rollback: restore the built-in's previous values. */
  restore: CommandView | null;
  restoreBatches: CommandView[];
  removeMessageQ: string;
}

export interface MigrationView {
  header: string[];
  sections: SectionView[];
  reversedSections: SectionView[];
  rollbackHeader: string[];
}

function sizeArg(bytes: number): string {
  // ByteQuantifiedSize reads `36MB`; an unqualified number is bytes.
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)}MB` : `${bytes}B`;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function flagsArg(values: readonly string[]): string {
  return values.length === 0 ? psQuote('None') : psQuoteList(values);
}

/** The settings of `c` as parameters; `only` limits them to the named ones. */
function settingArgs(c: ReceiveConnector, only: readonly string[] | null, firstRanges: readonly IpRange[]): string[] {
  const want = (p: string): boolean => only === null || only.includes(p);
  const args: string[] = [];
  if (want('RemoteIPRanges')) args.push(`-RemoteIPRanges ${psQuoteList(firstRanges.map((r) => r.expression))}`);
  if (want('PermissionGroups')) args.push(`-PermissionGroups ${flagsArg(c.permissionGroups.filter((g) => g !== 'Custom'))}`);
  if (want('AuthMechanism')) args.push(`-AuthMechanism ${flagsArg(c.authMechanism)}`);
  if (want('RequireTLS')) args.push(`-RequireTLS $${c.requireTLS ? 'true' : 'false'}`);
  if (want('DomainSecureEnabled') && (only !== null || c.domainSecureEnabled)) args.push(`-DomainSecureEnabled $${c.domainSecureEnabled ? 'true' : 'false'}`);
  if (want('Fqdn') && c.fqdn !== null) args.push(`-Fqdn ${psQuote(c.fqdn)}`);
  if (want('TlsCertificateName')) {
    if (c.tlsCertificateName !== null) args.push(`-TlsCertificateName ${psQuote(c.tlsCertificateName)}`);
    else if (only !== null) args.push('-TlsCertificateName $null');
  }
  if (want('Banner')) {
    if (c.banner !== null) args.push(`-Banner ${psQuote(c.banner)}`);
    else if (only !== null) args.push('-Banner $null');
  }
  if (want('MaxMessageSize') && c.maxMessageSize !== null) args.push(`-MaxMessageSize ${psQuote(sizeArg(c.maxMessageSize))}`);
  if (want('MaxRecipientsPerMessage') && c.maxRecipientsPerMessage !== null) args.push(`-MaxRecipientsPerMessage ${String(Math.trunc(c.maxRecipientsPerMessage))}`);
  if (want('ProtocolLoggingLevel')) args.push(`-ProtocolLoggingLevel ${psQuote(c.protocolLoggingLevel)}`);
  return args;
}

function permissionView(p: Permission): PermissionView {
  const right = p.extendedRights[0] ?? '';
  const deny = p.deny ? ' -Deny' : '';
  return {
    testArgs: `-Identity ${psQuote(p.identity)} -User ${psQuote(p.user)} -ExtendedRight ${psQuote(right)}${deny}`,
    identityQ: psQuote(p.identity),
    addArgs: `-User ${psQuote(p.user)} -ExtendedRights ${psQuote(right)}${deny}`,
    removeArgs: `-User ${psQuote(p.user)} -ExtendedRights ${psQuote(right)}${deny}`,
  };
}

export function buildMigrationView(plan: MigrationPlan, options: MigrateOptions): MigrationView {
  const sections: SectionView[] = plan.mappings.map((m) => {
    const c = m.target;
    const identityQ = psQuote(c.identity);
    const rangeBatches = chunks(c.remoteIPRanges, RANGE_CHUNK);
    const addBatches = rangeBatches.slice(1).map((batch) => ({ text: `Set-ReceiveConnector -Identity ${identityQ} -RemoteIPRanges @{Add=${psQuoteList(batch.map((r) => r.expression))}}` }));
    const permissions = m.permissions.map((p) => permissionView({ ...p, identity: c.identity }));
    if (!m.builtIn) {
      const args = [
        `-Name ${psQuote(c.name)}`,
        `-Server ${psQuote(c.server)}`,
        `-TransportRole ${psQuote(c.transportRole ?? 'FrontendTransport')}`,
        '-Custom',
        `-Bindings ${psQuoteList(c.bindings.map(formatBinding))}`,
        ...settingArgs(c, null, rangeBatches[0] ?? []),
      ];
      return {
        title: psComment(`${m.source.identity} -> ${c.identity} (new connector)`),
        isCreate: true,
        removable: m.before === null,
        identityQ,
        create: { text: `New-ReceiveConnector ${args.join(' ')}` },
        addBatches,
        update: null,
        permissions,
        existsMessageQ: psQuote(`${c.identity} already exists: left as it is (compare it with ${m.source.identity})`),
        createMessageQ: psQuote(`Creating receive connector ${c.identity}`),
        restore: null,
        restoreBatches: [],
        removeMessageQ: psQuote(`Removing receive connector ${c.identity}`),
      };
    }
    const before = m.before ?? c;
    const update = m.changed.length === 0 ? null : { text: `Set-ReceiveConnector -Identity ${identityQ} ${settingArgs(c, m.changed, rangeBatches[0] ?? []).join(' ')}` };
    const beforeBatches = chunks(before.remoteIPRanges, RANGE_CHUNK);
    const restore = m.changed.length === 0 ? null : { text: `Set-ReceiveConnector -Identity ${identityQ} ${settingArgs(before, m.changed, beforeBatches[0] ?? []).join(' ')}` };
    return {
      title: psComment(`${m.source.identity} -> ${c.identity} (built-in)`),
      isCreate: false,
      removable: false,
      identityQ,
      create: { text: '' },
      addBatches: m.changed.includes('RemoteIPRanges') ? addBatches : [],
      update,
      permissions,
      existsMessageQ: psQuote(''),
      createMessageQ: psQuote(`Updating built-in receive connector ${c.identity}`),
      restore,
      restoreBatches: m.changed.includes('RemoteIPRanges')
        ? beforeBatches.slice(1).map((batch) => ({ text: `Set-ReceiveConnector -Identity ${identityQ} -RemoteIPRanges @{Add=${psQuoteList(batch.map((r) => r.expression))}}` }))
        : [],
      removeMessageQ: psQuote(`Restoring built-in receive connector ${c.identity}`),
    };
  });
  const header = [
    `exrelay migrate: recreate the relay behaviour of ${plan.sourceServer}'s receive connectors on ${plan.targetServer} (Exchange ${plan.targetVersion}).`,
    `Generated by exrelay ${options.version ?? ''} from: ${(options.inputs ?? []).join(', ') || '(snapshot)'}`,
    'Run it in the Exchange Management Shell. Try it first with -WhatIf: nothing changes, each step says what it would do.',
    'It is idempotent: every step checks before it creates or adds, so running it again changes nothing.',
    'Prove it before running: exrelay apply (dry run on the snapshot) and exrelay replay --compare.',
    ...(options.rollbackFile ? [`Undo with the rollback script: ${options.rollbackFile}`] : []),
    '',
    'What it will do:',
    ...plan.actions.map((a) => `  - ${a}`),
    '',
    'What it cannot translate:',
    ...plan.untranslated.map((u) => `  - ${u}`),
    ...(plan.warnings.length > 0 ? ['', 'Check before running:', ...plan.warnings.map((w) => `  - ${w}`)] : []),
  ].map(psComment);
  const rollbackHeader = [
    `exrelay migrate rollback: undo what the migration script of ${plan.sourceServer} -> ${plan.targetServer} did.`,
    'Removes the connectors it created, the AD permission entries it added, and restores the settings it changed on built-in connectors.',
    'Idempotent and -WhatIf-able like the migration script.',
  ].map(psComment);
  return { header, sections, reversedSections: [...sections].reverse(), rollbackHeader };
}

const BOM = '\uFEFF';

// Line ends stay LF: PowerShell reads them, and a CRLF rewrite would also change newlines
// inside quoted values (a multi-line banner).

/** The migration script, text starting with a BOM (Windows PowerShell 5.1 reads UTF-8 only with it). */
export function renderMigration(view: MigrationView): string {
  return BOM + template<MigrationView>('migrate.ps1.hbs', { text: true })(view);
}

/** The rollback script, same conventions. */
export function renderRollback(view: MigrationView): string {
  return BOM + template<MigrationView>('rollback.ps1.hbs', { text: true })(view);
}
