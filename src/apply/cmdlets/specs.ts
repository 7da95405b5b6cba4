// The cmdlets a change script may use and their parameters: which take a value, which are
// switches, and which go unmodelled into `extra` (Exchange has many knobs we keep but do not
// reason about). Parameter names match as PowerShell does: case-insensitive, and any
// unambiguous prefix.
import { CONNECTOR_EXTRA_SETTINGS } from '../../model.js';

export type ParamKind = 'value' | 'switch';

export interface CmdletSpec {
  name: string;
  /** The parameter the first positional argument binds to. */
  positional: string | null;
  params: Readonly<Record<string, ParamKind>>;
  /** Parameters accepted and kept in `extra` without a modelled meaning. */
  extraParams?: readonly string[];
  /** Whether the command changes the configuration (so -WhatIf skips it). */
  mutates: boolean;
}

const COMMON: Record<string, ParamKind> = {
  WhatIf: 'switch', Confirm: 'switch', Verbose: 'switch', Debug: 'switch', Force: 'switch',
  ErrorAction: 'value', WarningAction: 'value', ErrorVariable: 'value', WarningVariable: 'value',
  DomainController: 'value', OutVariable: 'value',
};


const CONNECTOR_SETTABLE: Record<string, ParamKind> = {
  Bindings: 'value', RemoteIPRanges: 'value', PermissionGroups: 'value', AuthMechanism: 'value',
  TransportRole: 'value', Enabled: 'value', Fqdn: 'value', TlsCertificateName: 'value', Banner: 'value',
  MaxMessageSize: 'value', MaxRecipientsPerMessage: 'value', ProtocolLoggingLevel: 'value', RequireTLS: 'value',
  DomainSecureEnabled: 'value', Name: 'value',
};

const ACL: Record<string, ParamKind> = {
  Identity: 'value', User: 'value', ExtendedRights: 'value', AccessRights: 'value', Deny: 'switch',
  InheritanceType: 'value', Properties: 'value', ChildObjectTypes: 'value', InheritedObjectType: 'value',
};

function spec(name: string, positional: string | null, params: Record<string, ParamKind>, mutates: boolean, extraParams?: readonly string[]): CmdletSpec {
  return { name, positional, params: { ...params, ...COMMON }, mutates, ...(extraParams === undefined ? {} : { extraParams }) };
}

export const CMDLETS: readonly CmdletSpec[] = [
  spec('New-ReceiveConnector', 'Name', {
    ...CONNECTOR_SETTABLE, Server: 'value', Usage: 'value',
    Custom: 'switch', Internet: 'switch', Internal: 'switch', Client: 'switch', Partner: 'switch',
  }, true, CONNECTOR_EXTRA_SETTINGS),
  spec('Set-ReceiveConnector', 'Identity', { ...CONNECTOR_SETTABLE, Identity: 'value' }, true, CONNECTOR_EXTRA_SETTINGS),
  spec('Remove-ReceiveConnector', 'Identity', { Identity: 'value' }, true),
  spec('Get-ReceiveConnector', 'Identity', { Identity: 'value', Server: 'value' }, false),
  spec('Add-ADPermission', 'Identity', ACL, true),
  spec('Remove-ADPermission', 'Identity', { ...ACL, Instance: 'value' }, true),
  spec('Get-ADPermission', 'Identity', { Identity: 'value', User: 'value' }, false),
  spec('New-AcceptedDomain', 'Name', { Name: 'value', DomainName: 'value', DomainType: 'value', AddressBookEnabled: 'value', MatchSubDomains: 'value' }, true),
  spec('Set-AcceptedDomain', 'Identity', { Identity: 'value', Name: 'value', DomainType: 'value', MakeDefault: 'value', AddressBookEnabled: 'value', MatchSubDomains: 'value' }, true),
  spec('Remove-AcceptedDomain', 'Identity', { Identity: 'value' }, true),
  spec('Get-AcceptedDomain', 'Identity', { Identity: 'value' }, false),
  // The guard `exrelay migrate` defines at the top of its scripts (see templates/migrate.ps1.hbs).
  spec('Test-ExrelayPermission', 'Identity', { Identity: 'value', User: 'value', ExtendedRight: 'value', Deny: 'switch' }, false),
  spec('Test-ExrelayConnector', 'Identity', { Identity: 'value' }, false),
  spec('Test-ExrelayMark', 'Identity', { Identity: 'value', Mark: 'value' }, false),
  spec('Assert-ExrelayConnector', 'Identity', {
    Identity: 'value', Mark: 'value', TransportRole: 'value', Bindings: 'value', RemoteIPRangeCount: 'value', PermissionGroups: 'value', AuthMechanism: 'value',
  }, false),
];

/** Commands with no effect on the configuration, accepted anywhere. */
export const HARMLESS_COMMANDS = ['Write-Host', 'Write-Warning', 'Write-Verbose', 'Write-Output', 'Write-Information', 'Out-Null', 'Set-StrictMode'];

/** Functions `exrelay migrate` defines; their definitions are skipped, their calls understood. */
export const KNOWN_FUNCTIONS = ['Test-ExrelayPermission', 'Get-ExrelayConnector', 'Test-ExrelayConnector', 'Test-ExrelayMark', 'Assert-ExrelayConnector'];

export function findCmdlet(name: string): CmdletSpec | undefined {
  return CMDLETS.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

/** Resolves a parameter as PowerShell does (exact, else unique prefix); null if unknown. */
export function resolveParam(cmdlet: CmdletSpec, written: string): { name: string; kind: ParamKind; extra: boolean } | null | 'ambiguous' {
  const lower = written.toLowerCase();
  const all: Array<{ name: string; kind: ParamKind; extra: boolean }> = [
    ...Object.entries(cmdlet.params).map(([name, kind]) => ({ name, kind, extra: false })),
    ...(cmdlet.extraParams ?? []).map((name) => ({ name, kind: 'value' as const, extra: true })),
  ];
  const exact = all.find((p) => p.name.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const prefixed = all.filter((p) => p.name.toLowerCase().startsWith(lower));
  if (prefixed.length === 1 && prefixed[0] !== undefined) return prefixed[0];
  return prefixed.length > 1 ? 'ambiguous' : null;
}
