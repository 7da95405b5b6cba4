// Exchange's replies as data, per flavour (reference §6). Exact texts are from 2013 CU23 code
// or real logs unless listed in UNCONFIRMED_REPLIES below, which is the one place for texts
// the reference marks unconfirmed.
import type { ExchangeServer, Reply } from '../model.js';
import { parseExchangeVersion } from '../exchange-version.js';

/** `se` is Subscription Edition: 2019's code line (15.2), so it answers as 2019 does. */
export const FLAVORS = ['2010', '2013', '2016', '2019', 'se'] as const;
export type Flavor = (typeof FLAVORS)[number];

const r = (code: number, enhanced: string | null, text: string): Reply => ({ code, enhanced, text });

/** Replies that do not depend on the version (reference §6.3, §6.4, §6.5). */
export const COMMON_REPLIES = {
  serviceNotAvailable: r(421, '4.3.2', 'Service not available'),
  startTlsReady: r(220, '2.0.0', 'SMTP server ready'),
  authSuccessful: r(235, '2.7.0', 'Authentication successful'),
  authUsername: r(334, null, 'VXNlcm5hbWU6'),
  authPassword: r(334, null, 'UGFzc3dvcmQ6'),
  senderOk: r(250, '2.1.0', 'Sender OK'),
  recipientOk: r(250, '2.1.5', 'Recipient OK'),
  startMailInput: r(354, null, 'Start mail input; end with <CRLF>.<CRLF>'),
  resetting: r(250, '2.0.0', 'Resetting'),
  noop: r(250, '2.0.0', 'OK'),
  vrfy: r(252, '2.1.5', 'Cannot VRFY user'),
  quit: r(221, '2.0.0', 'Service closing transmission channel'),
  sendHelloFirst: r(503, '5.5.2', 'Send hello first'),
  senderAlreadySpecified: r(503, '5.5.2', 'Sender already specified'),
  needMail: r(503, '5.5.2', 'Need mail command'),
  needRcpt: r(503, '5.5.2', 'Need rcpt command'),
  invalidArguments: r(501, '5.5.4', 'Invalid arguments'),
  unrecognizedParameter: r(501, '5.5.4', 'Unrecognized parameter'),
  invalidSenderAddress: r(501, '5.1.7', 'Invalid address'),
  invalidRecipientAddress: r(501, '5.1.3', 'Invalid address'),
  invalidDomainName: r(501, '5.5.4', 'Invalid domain name'),
  startTlsRequired: r(451, '5.7.3', 'STARTTLS is required to send mail'),
  submitDeniedAuthenticated: r(550, '5.7.1', 'Client does not have permissions to submit to this server'),
  messageTooBig: r(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  headerTooBig: r(552, '5.3.4', 'Header size exceeds fixed maximum size'),
  tooManyRecipients: r(452, '4.5.3', 'Too many recipients'),
  unrecognizedCommand: r(500, '5.3.3', 'Unrecognized command'),
  unrecognizedAuthType: r(504, '5.7.4', 'Unrecognized authentication type'),
  authUnsuccessful: r(535, '5.7.3', 'Authentication unsuccessful'),
  temporaryAuthFailure: r(454, '4.7.0', 'Temporary authentication failure'),
  authAlreadySpecified: r(503, '5.5.2', 'Auth command already specified'),
  badSequence: r(503, '5.5.1', 'Bad sequence of commands'),
  secondStartTls: r(503, '5.5.2', 'Only one STARTTLS command can be issued per session'),
  tooManyErrors: r(421, '4.7.0', 'Too many errors on this connection, closing transmission channel'),
  messageRateExceeded: r(421, '4.4.2', 'Message submission rate for this client has exceeded the configured limit'),
  tooManyConnections: r(421, '4.3.2', 'The maximum number of concurrent server connections has exceeded a limit, closing transmission channel'),
  hopCountExceeded: r(554, '5.4.6', 'Hop count exceeded - possible mail loop'),
  bareLinefeeds: r(554, '5.6.0', 'Invalid message content, contains bare linefeeds'),
} as const;

// 2016/2019 texts for anonymous-without-Submit and for send-as denial: confirmed for 2016
// on-premises (reference §6.4 MAIL 4 and DATA 3, §11: seed 002 comments quote both from 2016;
// 5.7.57 also seen on 2019).
const ANONYMOUS_NOT_AUTHENTICATED_2016 = r(530, '5.7.57', 'SMTP; Client was not authenticated to send anonymous mail during MAIL FROM');
const SEND_AS_DENIED_2016 = r(550, '5.7.60', 'SMTP; Client does not have permissions to send as this sender');

export interface FlavorReplies {
  relayDenied: Reply;
  anonymousNotAuthenticated: Reply;
  sendAsDenied: Reply;
  anonymousSendAsDenied: Reply;
  /** Whether the queued line carries `[InternalId=…, Hostname=…]` (2013+). */
  queuedWithInternalId: boolean;
  /** Whether SMTPUTF8 can be advertised at all (2016+), when the connector's SmtpUtf8Enabled is True. */
  advertisesSmtpUtf8: boolean;
}

/**
 * Texts the reference marks unconfirmed, in one table (reference §6.4, §6.5, §6.6, §11).
 * The engine uses them where noted; change them here when a real transcript shows otherwise.
 */
export const UNCONFIRMED_REPLIES = {
  /**
   * A command line over the length limit: the reference gives no text; RFC 5321's "500 Line too
   * long" with Exchange's syntax-error enhanced code. The sandbox closes after it (its parser
   * cannot resynchronise); whether Exchange closes too is not documented.
   */
  commandTooLong: r(500, '5.5.2', 'Line too long'),
  /** STARTTLS on a connector that does not offer it: the reference gives no text; the unknown-verb reply is assumed. */
  startTlsNotOffered: r(500, '5.3.3', 'Unrecognized command'),
  /** TLS required before a command (trigger unconfirmed, §6.5). Not used by the engine: §6.4's 451 is. */
  mustIssueStartTls: r(530, '5.7.0', 'Must issue a STARTTLS command first'),
  /** Per-source connection limit wording (§6.5, unconfirmed): MaxInboundConnectionPerSource reached. */
  perSourceLimit: r(421, '4.3.2', 'The maximum number of concurrent connections has exceeded a limit, closing transmission channel'),
  /**
   * SMTPUTF8 in EHLO (§6.2 row 12): presence by CU unconfirmed, and §6.7's 2019 list has none.
   * We advertise it on 2016/2019 only when the export shows SmtpUtf8Enabled True.
   */
  smtpUtf8Advertised: true,
  /** Whether the `x.y.z` part disappears with EnhancedStatusCodesEnabled False (§6): we always keep it. */
  enhancedCodesAlwaysShown: true,
} as const;

const REPLIES_2019: FlavorReplies = {
  relayDenied: r(550, '5.7.54', 'SMTP; Unable to relay recipient in non-accepted domain'),
  anonymousNotAuthenticated: ANONYMOUS_NOT_AUTHENTICATED_2016,
  sendAsDenied: SEND_AS_DENIED_2016,
  anonymousSendAsDenied: SEND_AS_DENIED_2016,
  queuedWithInternalId: true,
  advertisesSmtpUtf8: UNCONFIRMED_REPLIES.smtpUtf8Advertised,
};

export const FLAVOR_REPLIES: Record<Flavor, FlavorReplies> = {
  '2010': {
    relayDenied: r(550, '5.7.1', 'Unable to relay'),
    anonymousNotAuthenticated: r(530, '5.7.1', 'Client was not authenticated'),
    sendAsDenied: r(550, '5.7.1', 'Client does not have permissions to send as this sender'),
    anonymousSendAsDenied: r(550, '5.7.1', 'Anonymous client does not have permissions to send as this sender'),
    queuedWithInternalId: false,
    advertisesSmtpUtf8: false,
  },
  '2013': {
    relayDenied: r(550, '5.7.1', 'Unable to relay'),
    anonymousNotAuthenticated: r(530, '5.7.1', 'Client was not authenticated'),
    sendAsDenied: r(550, '5.7.1', 'Client does not have permissions to send as this sender'),
    anonymousSendAsDenied: r(550, '5.7.1', 'Anonymous client does not have permissions to send as this sender'),
    queuedWithInternalId: true,
    advertisesSmtpUtf8: false,
  },
  '2016': {
    relayDenied: r(550, '5.7.54', 'SMTP; Unable to relay recipient in non-accepted domain'),
    anonymousNotAuthenticated: ANONYMOUS_NOT_AUTHENTICATED_2016,
    sendAsDenied: SEND_AS_DENIED_2016,
    // UNSURE(reference): the anonymous send-as text on 2016/2019 is not quoted anywhere; the
    // authenticated one is assumed (hub connectors only: Front End checks no anonymous sender).
    anonymousSendAsDenied: SEND_AS_DENIED_2016,
    queuedWithInternalId: true,
    advertisesSmtpUtf8: UNCONFIRMED_REPLIES.smtpUtf8Advertised,
  },
  '2019': REPLIES_2019,
  // UNSURE: Subscription Edition RTM is 2019 CU15's code line with no SMTP changes announced;
  // no SE protocol log was available to compare, so its texts are 2019's.
  se: REPLIES_2019,
};

export const DEFAULT_FLAVOR: Flavor = '2016';

/**
 * `replay --flavor exo`: Exchange Online's endpoints for the planned paths (docs/commands/replay.md).
 * Only replay answers as exo (the sandbox contract lists no exo), so it is a replay flavour, not
 * a session flavour.
 */
export const REPLAY_FLAVORS = [...FLAVORS, 'exo'] as const;
export type ReplayFlavor = (typeof REPLAY_FLAVORS)[number];

/**
 * Exchange Online's replies (docs/reference/exchange-online.md, "Replies replay --flavor exo
 * gives"). The wire adds a bracketed server name after some texts (`… [AM0PR01MB1234.eurprd01.prod.outlook.com]`);
 * it is left out, as host names are not compared.
 */
export const EXO_REPLIES = {
  /**
   * Relay to an external recipient by a sender no OnPremises inbound connector recognises (by
   * address or certificate). Code and text: Microsoft Learn, "550 5.7.64 TenantAttribution when
   * sending mail externally in Microsoft 365". Given at RCPT: seen in bounces ("in reply to RCPT
   * TO command"), not in Microsoft's text (UNCONFIRMED stage).
   */
  tenantRelayDenied: r(550, '5.7.64', 'TenantAttribution; Relay Access Denied'),
  /**
   * Direct Send with RejectDirectSend on: Exchange Team Blog text as quoted by secondary sources
   * (reference: "Direct Send and Reject Direct Send"). The stage is UNCONFIRMED; given at RCPT.
   */
  directSendRejected: r(550, '5.7.68', 'TenantInboundAttribution; Direct Send not allowed for this organization from unauthorized sources'),
  /** SMTP AUTH with Basic auth once it is disabled: Exchange Team Blog, "Exchange Online to retire Basic auth for Client Submission". */
  basicAuthDisabled: r(550, '5.7.30', 'Basic authentication is not supported for Client Submission.'),
} as const;

/** Exchange Online texts that are UNCONFIRMED on a Microsoft page (reference); change them here when a transcript shows otherwise. */
export const UNCONFIRMED_EXO_REPLIES = {
  /** MAIL FROM without AUTH on an authenticated submission endpoint: text from secondary sources. */
  notAuthenticated: r(530, '5.7.57', 'Client not authenticated to send mail.'),
  /** HVE to an external recipient: a blog's quote; whether it is a RCPT reply or a later NDR is unknown (given at RCPT). */
  hveExternalRecipient: r(550, '5.5.105', 'External sending is not supported for High Volume Email accounts'),
  /** AUTH before STARTTLS (or on the MX endpoint, which offers no AUTH): Exchange's own reply is assumed. */
  authNotOffered: r(504, '5.7.4', 'Unrecognized authentication type'),
} as const;

/**
 * The flavour from `Get-ExchangeServer`'s AdminDisplayVersion (`Version 15.1 (Build 2507.6)`)
 * or a build string (`15.01.2507.006`), read by src/exchange-version.ts: 14.x → 2010, 15.0 → 2013,
 * 15.1 → 2016, 15.2 → 2019, 15.2 build 2562 or later → se. 15.2 without a build answers as 2019,
 * which is exact either way (se's replies are 2019's). Unknown or missing: 2016, and `note` says so.
 */
export function flavorWithNote(server: ExchangeServer | undefined): { flavor: Flavor; note: string | null } {
  const version = server?.version ?? null;
  const parsed = parseExchangeVersion(version);
  if (parsed !== null) {
    if (parsed.product !== null) return { flavor: parsed.product, note: null };
    if (parsed.major === 15 && parsed.minor === 2) return { flavor: '2019', note: null };
  }
  const who = server === undefined ? 'unknown server' : `server ${server.name}`;
  return { flavor: DEFAULT_FLAVOR, note: `${who}: version ${version === null ? 'not exported' : `"${version}" not recognised`}; answering as Exchange ${DEFAULT_FLAVOR}` };
}

export function flavorOf(server: ExchangeServer | undefined): Flavor {
  return flavorWithNote(server).flavor;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The banner's date (§6.1): RFC 822 style, day without leading zero, numeric offset. The
 * server's time zone is not exported, so the date is given in UTC (`+0000`).
 */
let lastBanner: { time: number; text: string } | null = null;
export function bannerDate(now: Date): string {
  const time = now.getTime();
  if (lastBanner !== null && lastBanner.time === time) return lastBanner.text;
  const text = formatBannerDate(now);
  lastBanner = { time, text };
  return text;
}

function formatBannerDate(now: Date): string {
  return `${DAYS[now.getUTCDay()] ?? ''}, ${now.getUTCDate()} ${MONTHS[now.getUTCMonth()] ?? ''} ${now.getUTCFullYear()} `
    + `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
}

/** `220 <fqdn> Microsoft ESMTP MAIL Service ready at <date>`, or the connector's Banner (§6.1). */
export function bannerReply(fqdn: string, banner: string | null, now: Date): Reply {
  if (banner !== null && banner.trim() !== '') {
    const m = /^(\d{3})[ -]?(.*)$/s.exec(banner.trim());
    // Banner must be a 220 reply (§3.2); a banner without a code is shown after 220.
    if (m !== null) return r(Number(m[1]), null, m[2] ?? '');
    return r(220, null, banner.trim());
  }
  return r(220, null, `${fqdn} Microsoft ESMTP MAIL Service ready at ${bannerDate(now)}`);
}

/** `250 2.6.0 <id> [InternalId=…, Hostname=…] Queued mail for delivery` (2013+) or without the brackets (2010). */
export function queuedReply(flavor: Flavor, messageId: string, internalId: string, hostname: string): Reply {
  const id = messageId.startsWith('<') ? messageId : `<${messageId}>`;
  return FLAVOR_REPLIES[flavor].queuedWithInternalId
    ? r(250, '2.6.0', `${id} [InternalId=${internalId}, Hostname=${hostname}] Queued mail for delivery`)
    : r(250, '2.6.0', `${id} Queued mail for delivery`);
}

/** The reply as one line, as the wire and the protocol log show it: `550 5.7.54 SMTP; …`. */
export function formatReplyLine(reply: Reply): string {
  return reply.enhanced === null ? `${reply.code} ${reply.text}` : `${reply.code} ${reply.enhanced} ${reply.text}`;
}
