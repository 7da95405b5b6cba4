// The planned Exchange Online side of an exit plan: which inbound connectors recognise which
// senders, which HVE account each high-volume sender gets, and where each sender is sent. One
// derivation behind `emit exo` (which creates it) and `replay --flavor exo` (which answers as it
// would), so the script and the replay never disagree. Facts: docs/reference/exchange-online.md.
import type { PlanDocument, PlanSender, Snapshot } from '../model.js';
import { normalizeAddress } from '../net/index.js';
import { isAcceptedDomain } from './accepted-domains.js';
import type { PolicyIndex } from './policy-index.js';

/** SMTP AUTH client submission (Learn: "How to set up a multifunction device or application…", option 1). */
export const CLIENT_SUBMISSION_HOST = 'smtp.office365.com';
/**
 * High Volume Email (Learn: "Manage High Volume Email for Microsoft 365"): `smtp.hve.mx.microsoft`
 * recommended, `smtp-hve.office365.com` to be deprecated; port 587, TLS required.
 */
export const HVE_HOST = 'smtp.hve.mx.microsoft';
export const HVE_LEGACY_HOST = 'smtp-hve.office365.com';
/** Azure Communication Services Email SMTP host: from a secondary source, UNCONFIRMED on a Microsoft page (reference). */
export const ACS_SMTP_HOST = 'smtp.azurecomm.net';

export const IP_CONNECTOR_NAME = 'exrelay relay by IP';
const CERTIFICATE_CONNECTOR_PREFIX = 'exrelay relay by certificate';
/** New-MailUser -Name: at most 64 characters (Learn, New-MailUser); connector names are kept as short. */
export const MAX_NAME = 64;

export interface TenantIpConnector { name: string; addresses: string[]; senders: PlanSender[] }
export interface TenantCertificateConnector { name: string; certificateName: string; senders: PlanSender[] }
export interface TenantHveAccount { name: string; address: string; senders: PlanSender[] }

export interface PlannedTenant {
  /** The default accepted domain the MX host is derived from, or null when the input has none. */
  tenantDomain: string | null;
  /** The tenant's MX endpoint as derived (to be checked), or a placeholder. */
  mxHost: string;
  ipConnector: TenantIpConnector | null;
  certificateConnectors: TenantCertificateConnector[];
  hveAccounts: TenantHveAccount[];
  /** The HVE account of each high-volume sender (by plan row). */
  hveOf: Map<PlanSender, TenantHveAccount>;
  /** The certificate connector of each certificate sender (by plan row). */
  certificateOf: Map<PlanSender, TenantCertificateConnector>;
  /** What cannot be created, one line each. */
  warnings: string[];
}

/**
 * `contoso.com` → `contoso-com.mail.protection.outlook.com`: the pattern Microsoft's own examples
 * show. Tenants whose domain was added later may have another MX host (e.g. under
 * `mx.microsoft`), and the pattern for domains with hyphens is not documented, so everything
 * that shows it says to check it in the admin center.
 */
export function derivedMxHost(domain: string): string {
  return `${domain.toLowerCase().replace(/\.$/, '').replaceAll('.', '-')}.mail.protection.outlook.com`;
}

export function senderLabel(s: PlanSender): string {
  const who = [s.application, s.owner].filter((x) => x.trim() !== '').join(', ');
  return `${s.remoteIp}${who === '' ? '' : ` (${who})`}`;
}

/** A local part made of [a-z0-9-] only, so an HVE address never carries a customer's punctuation. */
function slug(text: string): string {
  return text.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

/** The tenant the plan asks for, over the snapshot's accepted domains. Pure. */
export function plannedTenant(snapshot: Snapshot, policy: PolicyIndex, plan: PlanDocument): PlannedTenant {
  const tenantDomain = snapshot.acceptedDomains.find((d) => d.default && !d.domainName.includes('*'))?.domainName ?? null;
  const warnings: string[] = [];
  const addresses: string[] = [];
  const ipSenders: PlanSender[] = [];
  const certificates = new Map<string, TenantCertificateConnector>();
  const certificateOf = new Map<PlanSender, TenantCertificateConnector>();
  const hve = new Map<string, TenantHveAccount>();
  const hveOf = new Map<PlanSender, TenantHveAccount>();
  for (const s of plan.senders) {
    if (s.path === 'connector-ip') {
      if (s.egressIp === null) {
        warnings.push(`${senderLabel(s)}: path connector-ip but no dedicated egress address in the plan (plan --egress); not added to ${IP_CONNECTOR_NAME}`);
        continue;
      }
      if (!addresses.includes(s.egressIp)) addresses.push(s.egressIp);
      ipSenders.push(s);
    } else if (s.path === 'connector-certificate') {
      const name = s.tlsCertificateName?.trim() ?? '';
      if (name === '') {
        warnings.push(`${senderLabel(s)}: path connector-certificate but no tlsCertificateName in the plan; no connector created for it`);
        continue;
      }
      const key = name.toLowerCase();
      const connector = certificates.get(key) ?? { name: truncate(`${CERTIFICATE_CONNECTOR_PREFIX} ${name}`, MAX_NAME), certificateName: name, senders: [] };
      connector.senders.push(s);
      certificates.set(key, connector);
      certificateOf.set(s, connector);
    } else if (s.path === 'high-volume-email') {
      const domain = s.senderDomains.find((d) => isAcceptedDomain(policy, d) && !d.includes('*')) ?? tenantDomain;
      if (domain === null) {
        warnings.push(`${senderLabel(s)}: path high-volume-email but neither its sender domains nor a default accepted domain give the HVE account a domain; no account created`);
        continue;
      }
      const address = `hve-${slug(s.application) || slug(s.remoteIp)}@${domain.toLowerCase()}`;
      const account = hve.get(address) ?? { name: truncate(`HVE ${s.application.trim() || s.remoteIp}`, MAX_NAME), address, senders: [] };
      account.senders.push(s);
      hve.set(address, account);
      hveOf.set(s, account);
    }
  }
  return {
    tenantDomain,
    mxHost: tenantDomain === null ? '<tenant>.mail.protection.outlook.com' : derivedMxHost(tenantDomain),
    ipConnector: addresses.length === 0 ? null : { name: IP_CONNECTOR_NAME, addresses, senders: ipSenders },
    certificateConnectors: [...certificates.values()],
    hveAccounts: [...hve.values()],
    hveOf,
    certificateOf,
    warnings,
  };
}

/** The plan row of a client address (first match; the plan has one row per address and connector). */
export function planSenderOf(plan: PlanDocument, clientIp: string): PlanSender | null {
  const address = normalizeAddress(clientIp) ?? clientIp;
  return plan.senders.find((s) => s.remoteIp === address) ?? null;
}
