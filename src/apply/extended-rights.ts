// The extended-right names Add-/Remove-ADPermission can resolve on a receive connector. The
// cmdlets look each -ExtendedRights name up in Active Directory's extended-rights container
// before they touch the ACL; a name that is not there fails the whole statement. Exchange's SMTP
// rights are the ones its transport code knows (docs/reference/extended-rights.md): the
// reference's catalogue (§2.2) and the rest of Exchange's WellKnownPermission table.
import { KNOWN_RIGHTS, canonicalRight } from '../policy/rights.js';
import { editDistance } from '../edit-distance.js';

/**
 * Every SMTP-related extended right Exchange defines, spelled as Microsoft spells it. Beyond the
 * reference's catalogue: Submit-For-MLS, Send-XShadow and the Accept-XMessageContext-* rights
 * (Exchange's WellKnownPermission table; docs/reference/extended-rights.md).
 */
export const SMTP_EXTENDED_RIGHTS: readonly string[] = [...new Set<string>([
  ...KNOWN_RIGHTS,
  'ms-Exch-SMTP-Submit-For-MLS',
  'ms-Exch-SMTP-Send-XShadow',
  'ms-Exch-SMTP-Accept-XMessageContext-ADRecipientCache',
  'ms-Exch-SMTP-Accept-XMessageContext-ExtendedProperties',
  'ms-Exch-SMTP-Accept-XMessageContext-FastIndex',
])];

const BY_LOWER = new Map(SMTP_EXTENDED_RIGHTS.map((r) => [r.toLowerCase(), r]));

/** The right as Microsoft spells it, or null when Exchange defines no SMTP right of that name. */
export function resolveExtendedRight(written: string): string | null {
  return BY_LOWER.get(canonicalRight(written).toLowerCase()) ?? null;
}

/** The families Exchange's SMTP rights belong to: a name in one of them that is not known is a typo. */
const SMTP_FAMILIES = /^ms-Exch-(?:SMTP-|Accept-Headers-|Send-Headers-|Bypass-)/i;

/**
 * Whether an unknown name is meant as an SMTP right (so Exchange would fail to find it): it
 * belongs to one of the SMTP families, or it is a few edits away from a known right.
 */
export function looksLikeSmtpRight(written: string): boolean {
  return SMTP_FAMILIES.test(written.trim()) || closestRight(written) !== null;
}

/** The known right closest to a misspelt one (a few edits away, and the only one that close), or null. */
export function closestRight(written: string): string | null {
  const wanted = written.trim().toLowerCase();
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  let tie = false;
  for (const right of SMTP_EXTENDED_RIGHTS) {
    const d = editDistance(wanted, right.toLowerCase());
    if (d < bestDistance) { best = right; bestDistance = d; tie = false; }
    else if (d === bestDistance) tie = true;
  }
  // A typo changes a few characters; anything further is a different name, not a misspelling.
  const limit = Math.max(3, Math.floor(wanted.length * 0.15));
  return best !== null && !tie && bestDistance <= limit ? best : null;
}
