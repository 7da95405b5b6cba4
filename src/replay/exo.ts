// `replay --flavor exo`: each scenario (a device's traffic as logged today) answered as Exchange
// Online's endpoints would answer it once the device has moved the way the exit plan says.
//
// The model (docs/commands/replay.md, "Replaying the exit to Exchange Online"):
// - the scenario's client address finds its plan row; no row: the tenant's MX endpoint answers
//   it as an unknown sender (inbound mail is delivered, relay is refused);
// - the device is set up as its instruction-sheet row says (host, port, STARTTLS, the account of
//   its path) and keeps what it does today: its sender, its recipients and, when it
//   authenticates today, its SASL mechanism (LOGIN/PLAIN are Basic auth);
// - the tenant is the one `emit exo` creates (policy's plannedTenant), after Basic auth for SMTP
//   AUTH is disabled, with RejectDirectSend as `--reject-direct-send` says;
// - `keep-on-premises` senders are answered by the on-premises configuration, as today.
// Size and rate limits of Exchange Online are not modelled. Replies: EXO_REPLIES (policy).
import type { PlanDocument, PlanSender, RecipientReply, ReplayResult, Reply, Scenario, StageReply } from '../model.js';
import {
  ACS_SMTP_HOST, CLIENT_SUBMISSION_HOST, HVE_HOST, type PlannedTenant, type PolicyIndex, domainOfAddress, isAcceptedDomain, planSenderOf,
} from '../policy/index.js';
import { COMMON_REPLIES, EXO_REPLIES, UNCONFIRMED_EXO_REPLIES, bannerReply, queuedReply } from '../policy/replies.js';
import { scenarioMessage } from './replay.js';

export interface ExoReplaySetup {
  plan: PlanDocument;
  tenant: PlannedTenant;
  /** The on-premises snapshot's policy: its accepted domains are the tenant's. */
  policy: PolicyIndex;
  rejectDirectSend: boolean;
  now: Date;
}

/** A result and, when the model had to assume something about this scenario, why. */
export interface ExoReplayOutcome { result: ReplayResult; note: string | null }

const r = (code: number, enhanced: string | null, text: string): Reply => ({ code, enhanced, text });
const stage = (s: StageReply['stage'], reply: Reply): StageReply => ({ stage: s, code: reply.code, enhanced: reply.enhanced, text: reply.text });

/** SASL mechanisms that are not Basic auth (RFC 7628 OAUTHBEARER, Microsoft's XOAUTH2). */
const OAUTH_MECHANISMS = new Set(['XOAUTH2', 'OAUTHBEARER']);

interface Dialogue {
  connector: string;
  host: string;
  remote: string;
  replies: StageReply[];
  recipients: RecipientReply[];
}

function open(host: string, connector: string, remote: string, now: Date, tls: boolean): Dialogue {
  const d: Dialogue = { connector, host, remote, replies: [], recipients: [] };
  d.replies.push(stage('connect', bannerReply(host, null, now)));
  const hello = r(250, null, `${host} Hello [${remote}]`);
  d.replies.push(stage('ehlo', hello));
  if (tls) {
    d.replies.push(stage('starttls', COMMON_REPLIES.startTlsReady));
    d.replies.push(stage('ehlo', hello));
  }
  return d;
}

function finish(d: Dialogue, scenario: Scenario, outcome: ReplayResult['outcome']): ReplayResult {
  return { name: scenario.name, connector: d.connector, outcome, replies: d.replies, recipients: d.recipients };
}

/** MAIL, RCPT (each answered by `rcpt`), DATA and the queued line. */
function transaction(d: Dialogue, scenario: Scenario, rcpt: (address: string) => Reply): ReplayResult {
  d.replies.push(stage('mail', COMMON_REPLIES.senderOk));
  for (const to of scenario.rcptTo) {
    const reply = rcpt(to);
    d.replies.push(stage('rcpt', reply));
    d.recipients.push({ address: to, code: reply.code, enhanced: reply.enhanced, text: reply.text });
  }
  if (!d.recipients.some((x) => x.code === 250)) return finish(d, scenario, 'rejected');
  const message = scenarioMessage(scenario);
  d.replies.push(stage('data', COMMON_REPLIES.startMailInput));
  // Exchange Online runs Exchange's transport: the queued line has 2013+'s shape.
  d.replies.push(stage('message', queuedReply('2019', message.messageId, message.internalId, d.host)));
  return finish(d, scenario, 'accepted');
}

function internal(setup: ExoReplaySetup, address: string): boolean {
  return isAcceptedDomain(setup.policy, domainOfAddress(address));
}

/** The tenant's MX endpoint on port 25: connector relay, Direct Send, inbound mail. */
function mxEndpoint(setup: ExoReplaySetup, scenario: Scenario, remote: string, connectorName: string | null): ReplayResult {
  const d = open(setup.tenant.mxHost, `EXO\\${connectorName ?? setup.tenant.mxHost}`, remote, setup.now, scenario.tls);
  if (scenario.auth !== null) {
    // The MX endpoint offers no AUTH: a device that logs in today must not send it here.
    d.replies.push(stage('auth', UNCONFIRMED_EXO_REPLIES.authNotOffered));
    return finish(d, scenario, 'rejected');
  }
  const directSend = connectorName === null && scenario.mailFrom !== '' && internal(setup, scenario.mailFrom);
  return transaction(d, scenario, (to) => {
    if (connectorName !== null) return COMMON_REPLIES.recipientOk;
    if (!internal(setup, to)) return EXO_REPLIES.tenantRelayDenied;
    return directSend && setup.rejectDirectSend ? EXO_REPLIES.directSendRejected : COMMON_REPLIES.recipientOk;
  });
}

type SubmissionKind = 'client-submission' | 'hve' | 'acs';

/** An authenticated submission endpoint on 587 with STARTTLS, as the sheet sets the device up. */
function submissionEndpoint(setup: ExoReplaySetup, scenario: Scenario, sender: PlanSender, kind: SubmissionKind): ReplayResult {
  const host = kind === 'hve' ? HVE_HOST : kind === 'acs' ? ACS_SMTP_HOST : CLIENT_SUBMISSION_HOST;
  const d = open(host, `EXO\\${host}`, scenario.clientIp, setup.now, true);
  const hve = kind === 'hve' ? setup.tenant.hveOf.get(sender) : undefined;
  // The mechanism it uses today; a device that is anonymous today uses what its row says.
  const mechanism = scenario.auth?.mechanism ?? (sender.path === 'client-submission-oauth' ? 'XOAUTH2' : 'LOGIN');
  const basic = !OAUTH_MECHANISMS.has(mechanism.toUpperCase());
  let auth: Reply;
  if (kind === 'client-submission' && basic) auth = EXO_REPLIES.basicAuthDisabled;
  else if (kind === 'hve' && hve === undefined) auth = COMMON_REPLIES.authUnsuccessful;
  else auth = COMMON_REPLIES.authSuccessful;
  d.replies.push(stage('auth', auth));
  if (auth.code !== 235) return finish(d, scenario, 'rejected');
  return transaction(d, scenario, (to) => (kind === 'hve' && !internal(setup, to) ? UNCONFIRMED_EXO_REPLIES.hveExternalRecipient : COMMON_REPLIES.recipientOk));
}

/**
 * One scenario against the planned tenant. `onPremises` answers a `keep-on-premises` sender as
 * today's configuration does (the caller's ordinary replay).
 */
export function runExoScenario(setup: ExoReplaySetup, scenario: Scenario, onPremises: () => ReplayResult): ExoReplayOutcome {
  const sender = planSenderOf(setup.plan, scenario.clientIp);
  if (sender === null) {
    // Not in the plan (e.g. inbound internet mail, which the plan leaves out): once the MX record
    // points to Exchange Online, the tenant's MX endpoint answers it as an unknown sender —
    // mail for the tenant's domains is delivered, relay to anyone else is refused.
    return {
      result: mxEndpoint(setup, scenario, scenario.clientIp, null),
      note: `scenario "${scenario.name}": the plan has no sender ${scenario.clientIp}: answered as the tenant's MX endpoint answers an unknown sender`,
    };
  }
  const { tenant } = setup;
  switch (sender.path) {
    case 'keep-on-premises':
      return { result: onPremises(), note: null };
    case 'connector-ip': {
      const listed = sender.egressIp !== null && tenant.ipConnector !== null && tenant.ipConnector.addresses.includes(sender.egressIp);
      return { result: mxEndpoint(setup, scenario, sender.egressIp ?? scenario.clientIp, listed ? tenant.ipConnector?.name ?? null : null), note: null };
    }
    case 'connector-certificate':
      return { result: mxEndpoint(setup, scenario, scenario.clientIp, tenant.certificateOf.get(sender)?.name ?? null), note: null };
    case 'client-submission-oauth':
    case 'client-submission-basic':
      return { result: submissionEndpoint(setup, scenario, sender, 'client-submission'), note: null };
    case 'high-volume-email':
      return { result: submissionEndpoint(setup, scenario, sender, 'hve'), note: null };
    case 'azure-communication-services':
      return {
        result: submissionEndpoint(setup, scenario, sender, 'acs'),
        note: `scenario "${scenario.name}": Azure Communication Services is answered as a generic authenticated submission (its replies are not modelled)`,
      };
  }
}
