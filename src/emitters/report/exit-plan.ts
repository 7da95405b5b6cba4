// The exit plan as HTML: the section the risk report shows when `audit --logs` is given, and the
// standalone page of `plan --format html`. The view is built here; the templates only lay it out
// (Handlebars escaping on, so a connector or owner named `<script>` stays text). Pure.
import { PLAN_PATHS, type PlanDocument, type PlanPath, type PlanSender } from '../../model.js';
import { template } from '../templates.js';

/** What each path means for the device owner, in the customer's words. */
const PATH_LABELS: Record<PlanPath, string> = {
  'client-submission-oauth': 'Client submission (SMTP AUTH) with OAuth',
  'client-submission-basic': 'Client submission (SMTP AUTH) with Basic auth, until it is disabled',
  'high-volume-email': 'High Volume Email (internal recipients)',
  'azure-communication-services': 'Azure Communication Services Email (bulk, external)',
  'connector-ip': 'Exchange Online connector by dedicated public IP',
  'connector-certificate': 'Exchange Online connector by certificate',
  'keep-on-premises': 'Stays on an on-premises relay',
};

interface SenderRow {
  remoteIp: string; connector: string; owner: string; path: string; pathLabel: string; worksheet: boolean;
  auth: string; volumes: string; reasons: string[]; blockers: Array<{ id: string; text: string }>; rowClass: string;
}

export interface ExitPlanView {
  target: string;
  madeOn: string;
  limit: string;
  counts: Array<{ path: string; label: string; count: number }>;
  total: number;
  blocked: number;
  senders: SenderRow[];
}

function rowOf(s: PlanSender): SenderRow {
  const auth = s.auth ?? (s.authenticated ? 'authenticated' : 'anonymous');
  const busiest = s.maxExternalRecipientsPerDay === undefined ? '' : ` (busiest day ${s.maxExternalRecipientsPerDay})`;
  return {
    remoteIp: s.remoteIp, connector: s.connector ?? '', owner: [s.owner, s.application].filter((x) => x !== '').join(' · '),
    path: s.path, pathLabel: PATH_LABELS[s.path], worksheet: s.decidedBy === 'worksheet',
    auth: s.accounts.length > 0 ? `${auth} as ${s.accounts.join(', ')}` : auth,
    volumes: `${s.messagesPerDay} messages, ${s.internalRecipientsPerDay} internal and ${s.externalRecipientsPerDay} external recipients a day${busiest}`,
    reasons: s.reasons, blockers: s.blockers, rowClass: s.blockers.length > 0 ? 'xp-blocked' : '',
  };
}

export function buildExitPlanView(plan: PlanDocument): ExitPlanView {
  return {
    target: plan.target === 'm365' ? 'Microsoft 365' : plan.target === 'se' ? 'Exchange Server Subscription Edition' : 'Postfix',
    madeOn: plan.madeOn ?? '',
    limit: plan.tenantExternalRecipientLimit != null && plan.licences != null
      ? `Tenant external recipient limit: ${plan.tenantExternalRecipientLimit} recipients a day for ${plan.licences} licences.`
      : plan.target === 'm365' ? 'The tenant\'s external recipient limit was not computed (no licence count given).' : '',
    counts: PLAN_PATHS.map((p) => ({ path: p, label: PATH_LABELS[p], count: plan.senders.filter((s) => s.path === p).length })).filter((c) => c.count > 0),
    total: plan.senders.length,
    blocked: plan.senders.filter((s) => s.blockers.length > 0).length,
    senders: plan.senders.map(rowOf),
  };
}

/** The `<section id="exit-plan">` of the risk report. */
export function renderExitPlanSection(plan: PlanDocument): string {
  return template<ExitPlanView>('report/exit-plan.hbs')(buildExitPlanView(plan));
}

/** A self-contained page with only the exit plan (`plan --format html`). */
export function renderExitPlanPage(plan: PlanDocument): string {
  return template<{ section: string; title: string }>('report/exit-plan-page.hbs')({ section: renderExitPlanSection(plan), title: 'Relay exit plan' });
}
