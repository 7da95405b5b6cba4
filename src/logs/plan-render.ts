// The exit plan as text (for the consultant's terminal) and as CSV (for the customer's
// spreadsheet: the worksheet's conventions, UTF-8 with BOM, CRLF, formula-looking cells
// defused). JSON is the document itself. Pure.
import { PLAN_PATHS, type PlanDocument, type PlanSender } from '../model.js';
import { csvCell } from './worksheet.js';

export const PLAN_CSV_COLUMNS = [
  'remoteIp', 'connector', 'server', 'owner', 'application', 'path', 'decidedBy', 'blockers', 'blockerDetails', 'reasons',
  'auth', 'accounts', 'authMechanisms', 'messagesPerDay', 'internalRecipientsPerDay', 'externalRecipientsPerDay',
  'maxExternalRecipientsPerDay', 'senderDomains', 'egressIp',
] as const;

const num = (n: number | undefined): string => (n === undefined ? '' : String(n));

function csvRow(s: PlanSender): Record<(typeof PLAN_CSV_COLUMNS)[number], string> {
  return {
    remoteIp: s.remoteIp, connector: s.connector ?? '', server: s.server ?? '', owner: s.owner, application: s.application,
    path: s.path, decidedBy: s.decidedBy,
    blockers: s.blockers.map((b) => b.id).join('; '),
    blockerDetails: s.blockers.map((b) => `${b.id}: ${b.text}`).join(' | '),
    reasons: s.reasons.join(' | '),
    auth: s.auth ?? (s.authenticated ? 'authenticated' : 'anonymous'), accounts: s.accounts.join('; '), authMechanisms: (s.authMechanisms ?? []).join('; '),
    messagesPerDay: num(s.messagesPerDay), internalRecipientsPerDay: num(s.internalRecipientsPerDay),
    externalRecipientsPerDay: num(s.externalRecipientsPerDay), maxExternalRecipientsPerDay: num(s.maxExternalRecipientsPerDay),
    senderDomains: s.senderDomains.join('; '), egressIp: s.egressIp ?? '',
  };
}

/** One row per sender, Excel-friendly as the worksheet is. */
export function renderPlanCsv(plan: PlanDocument): string {
  const lines = [PLAN_CSV_COLUMNS.join(',')];
  for (const s of plan.senders) {
    const row = csvRow(s);
    lines.push(PLAN_CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** How many senders take each path, in the contract's order (paths nobody takes left out). */
export function pathCounts(plan: PlanDocument): Array<{ path: string; count: number }> {
  return PLAN_PATHS.map((path) => ({ path, count: plan.senders.filter((s) => s.path === path).length })).filter((p) => p.count > 0);
}

export function renderPlanText(plan: PlanDocument): string {
  const out: string[] = [];
  const blocked = plan.senders.filter((s) => s.blockers.length > 0).length;
  out.push(`Exit plan, target ${plan.target}${plan.madeOn === undefined ? '' : `, made on ${plan.madeOn}`}: ${plan.senders.length} senders, ${blocked} with blockers`);
  if (plan.tenantExternalRecipientLimit != null && plan.licences != null) {
    out.push(`Tenant external recipient limit: ${plan.tenantExternalRecipientLimit} a day for ${plan.licences} licences (500 × licences^0.7 + 9500)`);
  } else if (plan.target === 'm365') {
    out.push('Tenant external recipient limit: not computed (give --licences N); decision row 1 was not applied');
  }
  out.push(`Paths: ${pathCounts(plan).map((p) => `${p.path} ${p.count}`).join(', ') || 'none'}`);
  for (const s of plan.senders) {
    out.push('');
    out.push(`${s.remoteIp}  ${s.connector ?? '(connector unknown)'}  -> ${s.path}${s.decidedBy === 'worksheet' ? ' (worksheet)' : ''}`);
    const who = [s.owner, s.application].filter((x) => x !== '').join(', ');
    if (who !== '') out.push(`    owner: ${who}`);
    out.push(`    ${s.auth ?? (s.authenticated ? 'authenticated' : 'anonymous')}; ${s.messagesPerDay} messages/day; recipients/day ${s.internalRecipientsPerDay} internal, ${s.externalRecipientsPerDay} external`
      + `${s.maxExternalRecipientsPerDay === undefined ? '' : ` (busiest day ${s.maxExternalRecipientsPerDay})`}${s.senderDomains.length > 0 ? `; from ${s.senderDomains.join(', ')}` : ''}`);
    for (const r of s.reasons) out.push(`    why: ${r}`);
    for (const b of s.blockers) out.push(`    BLOCKER ${b.id}: ${b.text}`);
  }
  return `${out.join('\n')}\n`;
}
