// `exrelay emit exo`: the Exchange Online PowerShell that creates what an exit plan
// (`exrelay.plan/1`) needs, and the per-sender instruction sheet for the device owners.
//
// What the script creates, per plan path (facts and sources: docs/reference/exchange-online.md):
// - `connector-ip`: one OnPremises inbound connector listing every such sender's dedicated public
//   egress address (`-SenderIPAddresses`, `-RestrictDomainsToIPAddresses $true`);
// - `connector-certificate`: one OnPremises inbound connector per certificate name
//   (`-TlsSenderCertificateName`, `-RequireTls $true`, `-RestrictDomainsToCertificate $true`);
// - `high-volume-email`: one HVE account per application (`New-MailUser -HVEAccount`);
// - every other path: nothing in the tenant, only its row of the instruction sheet.
//
// How it stays safe to paste: every customer value reaches the script through psQuote (quote.ts),
// comments through psComment; every Exchange Online call that changes something carries
// `-ErrorAction Stop` and `-WhatIf:$WhatIfPreference` (the script's own `[CmdletBinding(
// SupportsShouldProcess)]` sets it), reads use `-ErrorAction SilentlyContinue` so that "absent"
// means "create". It converges: a re-run adds only what is missing (addresses are added to the
// ones a connector lists, never replaced), and it changes only connectors whose Comment carries
// its mark; a same-named connector it did not create is reported and left alone.
import type { PlanDocument, PlanPath, PlanSender, Snapshot } from '../../model.js';
import {
  ACS_SMTP_HOST, CLIENT_SUBMISSION_HOST, HVE_HOST, HVE_LEGACY_HOST, buildPolicy, plannedTenant, senderLabel,
  type TenantCertificateConnector, type TenantHveAccount, type TenantIpConnector,
} from '../../policy/index.js';
import { psComment, psQuote, psQuoteList } from '../../powershell/quote.js';
import { csvCell } from '../findings-csv.js';

/** The Comment every connector this script creates carries; the script changes only connectors that have it. */
export const EXO_MARK = 'Created by exrelay emit exo';

/** One row of the instruction sheet: what the device owner sets on the device. */
export interface ExoSheetRow {
  remoteIp: string;
  connector: string;
  owner: string;
  application: string;
  path: PlanPath;
  host: string;
  port: string;
  tls: string;
  auth: string;
  /** What to verify before relying on the row (derived values, unconfirmed facts). */
  check: string;
  blockers: string;
}

export interface ExoPlan {
  /** The default accepted domain the MX host is derived from, or null when the input has none. */
  tenantDomain: string | null;
  /** The tenant's MX endpoint as derived (to be checked), or a placeholder. */
  mxHost: string;
  ipConnector: TenantIpConnector | null;
  certificateConnectors: TenantCertificateConnector[];
  hveAccounts: TenantHveAccount[];
  rows: ExoSheetRow[];
  /** What the script could not create, for stderr and the script header. */
  warnings: string[];
}

export interface ExoEmitOptions {
  version?: string;
  inputs?: readonly string[];
  planFile?: string;
  sheetFile?: string;
}

function senderDescription(s: PlanSender): { connector: string; blockers: string } {
  return { connector: s.connector ?? '', blockers: s.blockers.map((b) => `${b.id}: ${b.text}`).join('; ') };
}

/** Decides what the script creates (policy's plannedTenant) and what each sender's row says. Pure. */
export function planExo(snapshot: Snapshot, plan: PlanDocument): ExoPlan {
  const tenant = plannedTenant(snapshot, buildPolicy(snapshot), plan);
  const { mxHost, tenantDomain } = tenant;
  const mxCheck = tenantDomain === null
    ? 'the input has no default accepted domain: take the MX host from the domain\'s MX record in the Microsoft 365 admin center'
    : `MX host derived from ${tenantDomain}: check it against the domain's MX record in the Microsoft 365 admin center`;
  const rows: ExoSheetRow[] = [];
  for (const s of plan.senders) {
    const base = { remoteIp: s.remoteIp, owner: s.owner, application: s.application, path: s.path, ...senderDescription(s) };
    const accounts = s.accounts.join(' ');
    switch (s.path) {
      case 'connector-ip':
        rows.push(s.egressIp === null || tenant.ipConnector === null
          ? { ...base, host: mxHost, port: '25', tls: 'STARTTLS recommended', auth: 'none: the connector recognises the egress address, which the plan does not give', check: `${mxCheck}; the egress address is missing: the connector does not list this sender` }
          : { ...base, host: mxHost, port: '25', tls: 'STARTTLS recommended', auth: `none: connector "${tenant.ipConnector.name}" recognises egress address ${s.egressIp}`, check: `${mxCheck}; the device must reach the internet from ${s.egressIp} only; sender address in an accepted domain` });
        break;
      case 'connector-certificate': {
        const connector = tenant.certificateOf.get(s);
        rows.push(connector === undefined
          ? { ...base, host: mxHost, port: '25', tls: 'STARTTLS with a client certificate', auth: 'none: certificate, whose name the plan does not give', check: `${mxCheck}; add "tlsCertificateName" to the plan row and emit again` }
          : { ...base, host: mxHost, port: '25', tls: `STARTTLS required, presenting the certificate for ${connector.certificateName}`, auth: `none: connector "${connector.name}" recognises the certificate name`, check: `${mxCheck}; the certificate's subject or SAN must be ${connector.certificateName}, a domain of the tenant` });
        break;
      }
      case 'high-volume-email': {
        const account = tenant.hveOf.get(s);
        rows.push(account === undefined
          ? { ...base, host: HVE_HOST, port: '587', tls: 'STARTTLS required', auth: 'an HVE account, not created (no accepted domain for it)', check: 'add the sender domain as an accepted domain, then emit again' }
          : { ...base, host: HVE_HOST, port: '587', tls: 'STARTTLS required', auth: `HVE account ${account.address} (its password, or OAuth)`, check: `${HVE_LEGACY_HOST} is the older name of the same endpoint; internal recipients only` });
        break;
      }
      case 'client-submission-oauth':
        rows.push({ ...base, host: CLIENT_SUBMISSION_HOST, port: '587', tls: 'STARTTLS required (TLS 1.2 or later)', auth: `OAuth 2.0 (XOAUTH2)${accounts === '' ? '' : ` as ${accounts}`}`, check: 'a licensed mailbox; SMTP AUTH enabled for it' });
        break;
      case 'client-submission-basic':
        rows.push({ ...base, host: CLIENT_SUBMISSION_HOST, port: '587', tls: 'STARTTLS required (TLS 1.2 or later)', auth: `LOGIN/PLAIN (Basic)${accounts === '' ? '' : ` as ${accounts}`}, until Microsoft disables Basic auth for SMTP AUTH`, check: 'Basic auth for SMTP AUTH: disabled by default from the end of December 2026 (day unconfirmed); move to OAuth before' });
        break;
      case 'azure-communication-services':
        rows.push({ ...base, host: ACS_SMTP_HOST, port: '587', tls: 'STARTTLS required', auth: 'the SMTP username of the Azure Communication Services resource and its Microsoft Entra application secret', check: 'created in Azure, not by this script: an Email Communication resource with a verified domain and an SMTP username; host name unconfirmed on a Microsoft page' });
        break;
      case 'keep-on-premises': {
        const server = snapshot.servers.find((x) => x.name.toLowerCase() === (s.server ?? '').toLowerCase());
        rows.push({ ...base, host: server?.fqdn ?? s.server ?? '(the relay that stays)', port: '25', tls: 'as today', auth: 'as today', check: 'stays on premises (Subscription Edition or a plain relay): no change on the device' });
        break;
      }
    }
  }
  return {
    tenantDomain, mxHost, ipConnector: tenant.ipConnector, certificateConnectors: tenant.certificateConnectors, hveAccounts: tenant.hveAccounts, rows, warnings: tenant.warnings,
  };
}

/** `-ErrorAction Stop -WhatIf:$WhatIfPreference` on a command that changes the tenant. */
function change(command: string): string {
  return `${command} -ErrorAction Stop -WhatIf:$WhatIfPreference`;
}

function ipConnectorLines(c: TenantIpConnector): string[] {
  const nameQ = psQuote(c.name);
  const wanted = psQuoteList(c.addresses);
  return [
    '',
    `# ---- ${psComment(`connector-ip: ${c.name}`)}`,
    ...c.senders.map((s) => `#      ${psComment(senderLabel(s))}`),
    `$connector = Get-InboundConnector -Identity ${nameQ} -ErrorAction SilentlyContinue`,
    'if ($null -eq $connector) {',
    `    Write-Host ${psQuote(`Creating inbound connector ${c.name} (${c.addresses.length} egress addresses)`)}`,
    `    ${change(`New-InboundConnector -Name ${nameQ} -ConnectorType OnPremises -SenderDomains @('*') -SenderIPAddresses ${wanted} -RestrictDomainsToIPAddresses $true -Comment ${psQuote(EXO_MARK)}`)}`,
    `} elseif ([string]$connector.Comment -notlike ${psQuote(`*${EXO_MARK}*`)}) {`,
    `    Write-Warning ${psQuote(`${c.name} exists and was not created by exrelay emit exo: left alone. Addresses it should list: ${c.addresses.join(', ')}`)}`,
    '} else {',
    '    $listed = @($connector.SenderIPAddresses | ForEach-Object { [string]$_ })',
    `    $missing = @(${wanted} | Where-Object { $listed -notcontains $_ })`,
    "    if ($missing.Count -gt 0 -or [string]$connector.ConnectorType -ne 'OnPremises' -or -not $connector.RestrictDomainsToIPAddresses) {",
    `        Write-Host ${psQuote(`Updating inbound connector ${c.name} (addresses added, none removed)`)}`,
    `        ${change(`Set-InboundConnector -Identity ${nameQ} -ConnectorType OnPremises -SenderIPAddresses @($listed + $missing) -RestrictDomainsToIPAddresses $true`)}`,
    '    }',
    '}',
  ];
}

function certificateConnectorLines(c: TenantCertificateConnector): string[] {
  const nameQ = psQuote(c.name);
  const certQ = psQuote(c.certificateName);
  return [
    '',
    `# ---- ${psComment(`connector-certificate: ${c.name}`)}`,
    ...c.senders.map((s) => `#      ${psComment(senderLabel(s))}`),
    `$connector = Get-InboundConnector -Identity ${nameQ} -ErrorAction SilentlyContinue`,
    'if ($null -eq $connector) {',
    `    Write-Host ${psQuote(`Creating inbound connector ${c.name}`)}`,
    `    ${change(`New-InboundConnector -Name ${nameQ} -ConnectorType OnPremises -SenderDomains @('*') -TlsSenderCertificateName ${certQ} -RequireTls $true -RestrictDomainsToCertificate $true -Comment ${psQuote(EXO_MARK)}`)}`,
    `} elseif ([string]$connector.Comment -notlike ${psQuote(`*${EXO_MARK}*`)}) {`,
    `    Write-Warning ${psQuote(`${c.name} exists and was not created by exrelay emit exo: left alone`)}`,
    `} elseif ([string]$connector.TlsSenderCertificateName -ne ${certQ} -or -not $connector.RequireTls -or -not $connector.RestrictDomainsToCertificate -or [string]$connector.ConnectorType -ne 'OnPremises') {`,
    `    Write-Host ${psQuote(`Updating inbound connector ${c.name}`)}`,
    `    ${change(`Set-InboundConnector -Identity ${nameQ} -ConnectorType OnPremises -TlsSenderCertificateName ${certQ} -RequireTls $true -RestrictDomainsToCertificate $true`)}`,
    '}',
  ];
}

function hveLines(a: TenantHveAccount): string[] {
  const addressQ = psQuote(a.address);
  const create = `New-MailUser -HVEAccount -Name ${psQuote(a.name)} -PrimarySmtpAddress ${addressQ}`;
  return [
    '',
    `# ---- ${psComment(`high-volume-email: ${a.address}`)}`,
    ...a.senders.map((s) => `#      ${psComment(senderLabel(s))}`),
    `if (@($hveAccounts | Where-Object { [string]$_.PrimarySmtpAddress -eq ${addressQ} }).Count -eq 0) {`,
    `    if ($null -ne (Get-Recipient -Identity ${addressQ} -ErrorAction SilentlyContinue)) {`,
    `        Write-Warning ${psQuote(`${a.address} is already used by a recipient that is not an HVE account: left alone`)}`,
    '    } elseif ($WhatIfPreference) {',
    `        Write-Host ${psQuote(`What if: ${create} -Password (asked for)`)}`,
    '    } else {',
    `        Write-Host ${psQuote(`Creating HVE account ${a.address}`)}`,
    `        $password = Read-Host -AsSecureString -Prompt ${psQuote(`Password for the HVE account ${a.address}`)}`,
    `        ${change(`${create} -Password $password`)}`,
    '    }',
    '}',
  ];
}

function headerLines(p: ExoPlan, options: ExoEmitOptions): string[] {
  const creates = [
    ...(p.ipConnector === null ? [] : [`inbound connector "${p.ipConnector.name}" (OnPremises) for ${p.ipConnector.addresses.length} egress addresses: ${p.ipConnector.addresses.join(', ')}`]),
    ...p.certificateConnectors.map((c) => `inbound connector "${c.name}" (OnPremises) for certificate ${c.certificateName}`),
    ...p.hveAccounts.map((a) => `HVE account ${a.address}`),
  ];
  return [
    'exrelay emit exo: what the exit plan needs in Exchange Online.',
    `Generated by exrelay ${options.version ?? ''} from the plan ${options.planFile ?? '(plan)'} and: ${(options.inputs ?? []).join(', ') || '(snapshot)'}`,
    'Run it in Exchange Online PowerShell (Connect-ExchangeOnline first). Try it first with -WhatIf: nothing changes, every step says what it would do.',
    'Every change stops the script on error. Running it again adds only what is missing; it never removes an address,',
    `and it changes only connectors whose Comment says "${EXO_MARK}".`,
    `The device owners' settings, one row per sender: ${options.sheetFile ?? 'the instruction sheet'}`,
    '',
    'What it creates:',
    ...(creates.length === 0 ? ['  (nothing: no sender of the plan needs a connector or an HVE account)'] : creates.map((c) => `  - ${c}`)),
    '',
    'Not created, see the warnings:',
    ...(p.warnings.length === 0 ? ['  (nothing)'] : p.warnings.map((w) => `  - ${w}`)),
  ].map(psComment);
}

const BOM = '\uFEFF';

/** The Exchange Online script: text with a BOM (Windows PowerShell 5.1 reads UTF-8 only with it), LF line ends. */
export function renderExoScript(p: ExoPlan, options: ExoEmitOptions): string {
  const lines = [
    ...headerLines(p, options).map((l) => (l === '' ? '#' : `# ${l}`)),
    '',
    '[CmdletBinding(SupportsShouldProcess)]',
    'param()',
    '',
    "$ErrorActionPreference = 'Stop'",
    "if ($null -eq (Get-Command -Name 'Get-InboundConnector' -ErrorAction SilentlyContinue)) {",
    "    throw 'Exchange Online PowerShell is not connected: run Connect-ExchangeOnline first'",
    '}',
  ];
  if (p.ipConnector !== null) lines.push(...ipConnectorLines(p.ipConnector));
  for (const c of p.certificateConnectors) lines.push(...certificateConnectorLines(c));
  if (p.hveAccounts.length > 0) {
    lines.push('', '$hveAccounts = @(Get-MailUser -HVEAccount -ResultSize Unlimited -ErrorAction Stop)');
    for (const a of p.hveAccounts) lines.push(...hveLines(a));
  }
  return `${BOM}${lines.join('\n')}\n`;
}

export const SHEET_COLUMNS = ['remoteIp', 'connector', 'owner', 'application', 'path', 'host', 'port', 'tls', 'auth', 'check', 'blockers'] as const;

/** The instruction sheet as CSV (RFC 4180, formula-looking cells made text), one row per sender. */
export function renderExoSheet(p: ExoPlan): string {
  const line = (cells: readonly string[]) => `${cells.map(csvCell).join(',')}\r\n`;
  return line(SHEET_COLUMNS) + p.rows.map((r) => line(SHEET_COLUMNS.map((c) => r[c]))).join('');
}

/** `exo.ps1` → `exo-senders.csv` beside it. */
export function sheetFileFor(scriptFile: string): string {
  return `${scriptFile.replace(/\.ps1$/i, '')}-senders.csv`;
}
