// The Exchange Online facts the exit plan's decisions rest on, each with its source in
// docs/reference/exchange-online.md. Kept in one place so a changed date or limit is changed
// once, and the plan's wording says what is confirmed and what is not. Pure.

/**
 * Tenant External Recipient Rate Limit: `500 × licences^0.7 + 9500` external recipients per
 * 24-hour sliding window (Exchange Team Blog, 2025-02-24; docs/reference/exchange-online.md).
 * UNCONFIRMED: the rounding. Microsoft's examples truncate (100 licences → 22,059), so this does.
 */
export function tenantExternalRecipientLimit(licences: number): number {
  return Math.floor(500 * licences ** 0.7 + 9500);
}

/** Share of the tenant limit above which a single sender goes to Azure Communication Services (contract, decision row 1). */
export const BULK_SHARE = 0.1;

/**
 * SMTP AUTH with Basic auth: disabled by default for existing tenants at the end of December 2026
 * (administrators can re-enable it), final removal date to be announced in the second half of
 * 2027 (MC786329 as updated 2026-01-27, read in secondary mirrors of the Message Center).
 * UNCONFIRMED: the exact day in December 2026; the plan names the month, never a day.
 */
/** The first day on which Basic auth is certainly off by default: the day after December 2026. */
const BASIC_AUTH_CERTAINLY_OFF = Date.UTC(2027, 0, 1);

/** The Basic-auth sentence of a plan made on `madeOn`. */
export function basicAuthDeadline(madeOn: Date): string {
  const rest = 'administrators can re-enable it until a final removal date Microsoft will announce in the second half of 2027';
  return madeOn.getTime() >= BASIC_AUTH_CERTAINLY_OFF
    ? `Exchange Online has disabled Basic auth for SMTP AUTH by default since the end of December 2026 (${rest})`
    : `Exchange Online disables Basic auth for SMTP AUTH by default at the end of December 2026 (${rest})`;
}

/** AUTH mechanisms that are Basic auth: the password itself goes over the wire. */
export const BASIC_AUTH_MECHANISMS: readonly string[] = ['LOGIN', 'PLAIN'];
