// `exrelay migrate`, the PowerShell text of a plan (migrate-plan.ts decides). Every customer
// value reaches the script through psQuote (quote.ts), already quoted here; comments go through
// psComment. templates/migrate.ps1.hbs and templates/rollback.ps1.hbs only lay it out.
//
// How the script stays safe to paste into production:
// - every Exchange cmdlet carries `-ErrorAction Stop` (Exchange's proxy functions ignore the
//   caller's $ErrorActionPreference);
// - a new connector is created disabled, with all its remote ranges in the one New- command (so
//   it never exists with part of them), its Comment carries the mark; then its AD entries are
//   added, it is read back and checked (Assert-ExrelayConnector), and only then enabled. A re-run
//   finds each step done or not and completes what is missing;
// - steps on a connector that -WhatIf did not create are printed as "What if:" lines, so -WhatIf
//   shows every step, AD entries included.
import type { JsonValue } from '../../json.js';
import type { IpRange, Permission, ReceiveConnector } from '../../model.js';
import { formatBinding } from '../../net/index.js';
import { template } from '../templates.js';
import type { ConnectorMapping, MigrateOptions, MigrationPlan } from './migrate-plan.js';
import { psComment, psQuote, psQuoteList } from '../../powershell/quote.js';

/** One command line and, for -WhatIf, the text that says what it would do. */
interface StepView { text: string; whatIfQ: string }

interface SectionView {
  title: string;
  /** A connector this script creates. */
  isCreate: boolean;
  identityQ: string;
  markQ: string;
  create: StepView | null;
  createMessageQ: string;
  /** Built-in / existing connector: one Set- of what differs. */
  update: StepView | null;
  updateMessageQ: string;
  addPermissions: PermissionView[];
  /** Read-back check before enabling (created connectors). */
  assertArgs: string;
  enable: StepView | null;
  enableMessageQ: string;
  // rollback
  removeMessageQ: string;
  leaveMessageQ: string;
  removePermissions: PermissionView[];
  restore: StepView | null;
  restoreMessageQ: string;
}

interface PermissionView { testArgs: string; step: StepView }

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

function flagsArg(values: readonly string[]): string {
  return values.length === 0 ? psQuote('None') : psQuoteList(values);
}

/** A JSON value as a PowerShell argument of the same type (numbers and booleans stay typed). */
function valueArg(value: JsonValue): string {
  if (value === null) return '$null';
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return psQuote(value);
  return psQuote(JSON.stringify(value));
}

function rangesArg(ranges: readonly IpRange[]): string {
  return psQuoteList(ranges.map((r) => r.expression));
}

/** The settings of `c` as parameters; `only` limits them to the named ones. */
function settingArgs(c: ReceiveConnector, only: readonly string[] | null): string[] {
  const want = (p: string): boolean => only === null || only.includes(p);
  const args: string[] = [];
  if (want('RemoteIPRanges')) args.push(`-RemoteIPRanges ${rangesArg(c.remoteIPRanges)}`);
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

function extraArgs(extras: Readonly<Record<string, JsonValue>>): string[] {
  return Object.entries(extras).map(([name, value]) => `-${name} ${valueArg(value)}`);
}

/** A mutating step: the command with -ErrorAction Stop, and the "What if:" text printed instead under -WhatIf. */
function step(command: string): StepView {
  return { text: `${command} -ErrorAction Stop`, whatIfQ: psQuote(`What if: ${command}`) };
}

function permissionTestArgs(identity: string, p: Permission): string {
  return `-Identity ${psQuote(identity)} -User ${psQuote(p.user)} -ExtendedRight ${psQuote(p.extendedRights[0] ?? '')}${p.deny ? ' -Deny' : ''}`;
}

function permissionStep(identity: string, p: Permission, op: 'Add' | 'Remove'): PermissionView {
  const args = `-User ${psQuote(p.user)} -ExtendedRights ${psQuote(p.extendedRights[0] ?? '')}${p.deny ? ' -Deny' : ''}${op === 'Remove' ? ' -Confirm:$false' : ''}`;
  return {
    testArgs: permissionTestArgs(identity, p),
    // Add-ADPermission -Identity wants the AD object; the connector piped in gives it.
    step: step(`Get-ReceiveConnector -Identity ${psQuote(identity)} -ErrorAction Stop | ${op}-ADPermission ${args}`),
  };
}

function section(m: ConnectorMapping): SectionView {
  const c = m.target;
  const identityQ = psQuote(c.identity);
  const creates = m.mark !== null;
  const base: SectionView = {
    title: psComment(`${m.source.identity} -> ${c.identity} (${m.builtIn ? 'built-in' : creates ? 'new connector' : 'exists already'})`),
    isCreate: creates,
    identityQ,
    markQ: psQuote(m.mark ?? ''),
    create: null,
    createMessageQ: psQuote(`Creating receive connector ${c.identity} (disabled until it is checked)`),
    update: null,
    updateMessageQ: psQuote(`Updating receive connector ${c.identity}`),
    addPermissions: m.permissions.map((p) => permissionStep(c.identity, p, 'Add')),
    assertArgs: '',
    enable: null,
    enableMessageQ: psQuote(`Enabling receive connector ${c.identity}`),
    removeMessageQ: psQuote(`Removing receive connector ${c.identity} (created by the migration)`),
    leaveMessageQ: psQuote(`${c.identity} exists but its Comment lacks ${m.mark ?? ''}: it was not created by the migration script and is left alone`),
    removePermissions: m.permissions.map((p) => permissionStep(c.identity, p, 'Remove')),
    restore: null,
    restoreMessageQ: psQuote(`Restoring receive connector ${c.identity}`),
  };
  if (creates) {
    const args = [
      `-Name ${psQuote(c.name)}`,
      `-Server ${psQuote(c.server)}`,
      `-TransportRole ${psQuote(c.transportRole ?? 'FrontendTransport')}`,
      '-Custom',
      `-Bindings ${psQuoteList(c.bindings.map(formatBinding))}`,
      ...settingArgs(c, null),
      ...extraArgs(m.extras),
      '-Enabled $false',
    ];
    base.create = { text: `New-ReceiveConnector ${args.join(' ')} -ErrorAction Stop`, whatIfQ: '' };
    base.assertArgs = [
      `-Identity ${identityQ}`,
      `-Mark ${base.markQ}`,
      `-TransportRole ${psQuote(c.transportRole ?? 'FrontendTransport')}`,
      `-Bindings ${psQuoteList(c.bindings.map(formatBinding))}`,
      `-RemoteIPRangeCount ${c.remoteIPRanges.length}`,
      `-PermissionGroups ${flagsArg(c.permissionGroups.filter((g) => g !== 'Custom'))}`,
      `-AuthMechanism ${flagsArg(c.authMechanism)}`,
    ].join(' ');
    base.enable = step(`Set-ReceiveConnector -Identity ${identityQ} -Enabled $true`);
    return base;
  }
  const before = m.before ?? c;
  const extras = extraArgs(m.extras);
  if (m.changed.length > 0 || extras.length > 0) {
    base.update = { text: `Set-ReceiveConnector -Identity ${identityQ} ${[...settingArgs(c, m.changed), ...extras].join(' ')} -ErrorAction Stop`, whatIfQ: '' };
    base.restore = { text: `Set-ReceiveConnector -Identity ${identityQ} ${[...settingArgs(before, m.changed), ...extraArgs(m.extrasBefore)].join(' ')} -ErrorAction Stop`, whatIfQ: '' };
  }
  return base;
}

function headerLines(plan: MigrationPlan, options: MigrateOptions): string[] {
  const version = plan.targetVersion === 'se' ? 'Subscription Edition (SE)' : plan.targetVersion;
  const check = [
    ...plan.leftOut.map((l) => `LEFT OUT ${l.source}: ${l.reason}${l.carryWith === null ? '' : `; to carry it: ${l.carryWith}`}`),
    ...(plan.carryCommand === null ? [] : [`The command line that would carry what can be carried: ${plan.carryCommand}`]),
    ...plan.warnings,
  ];
  return [
    `exrelay migrate: recreate the relay behaviour of ${plan.sourceServer}'s receive connectors on ${plan.targetServer} (Exchange ${version}).`,
    `Generated by exrelay ${options.version ?? ''} from: ${(options.inputs ?? []).join(', ') || '(snapshot)'}`,
    'Run it in the Exchange Management Shell. Try it first with -WhatIf: nothing changes, every step says what it would do.',
    'Every Exchange command stops the script on error. New connectors are created disabled, checked, then enabled.',
    'Running it again after a failure completes what is missing; running it again after success changes nothing.',
    'Prove it before running: exrelay apply (dry run on the snapshot) and exrelay replay --compare.',
    ...(options.rollbackFile ? [`Undo with the rollback script: ${options.rollbackFile}`] : []),
    '',
    'Check before running:',
    ...(check.length === 0 ? ['  (nothing)'] : check.map((w) => `  - ${w}`)),
    '',
    'What it will do:',
    ...(plan.actions.length === 0 ? ['  (nothing)'] : plan.actions.map((a) => `  - ${a}`)),
    '',
    'What it does not carry over:',
    ...plan.untranslated.map((u) => `  - ${u}`),
  ].map(psComment);
}

export function buildMigrationView(plan: MigrationPlan, options: MigrateOptions): MigrationView {
  const sections = plan.mappings.map(section);
  const rollbackHeader = [
    `exrelay migrate rollback: undo what the migration script of ${plan.sourceServer} -> ${plan.targetServer} did.`,
    'Removes only the connectors the migration created (their Comment carries the mark it wrote), removes the AD',
    'permission entries it added, and restores the settings it changed on connectors that existed before.',
    'Every Exchange command stops the script on error; re-runnable and -WhatIf-able like the migration script.',
  ].map(psComment);
  return { header: headerLines(plan, options), sections, reversedSections: [...sections].reverse(), rollbackHeader };
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
