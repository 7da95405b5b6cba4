// Options that name something in the input (a server, a connector, a rule) are checked against
// it before anything runs: a typo is exit 2 with the names that exist, never a script written
// for a server that is not there.
import { UsageError } from '../errors.js';
import { editDistance } from '../edit-distance.js';

/**
 * The name as the input spells it (names compare case-insensitively, as Exchange does), or a
 * UsageError that lists the known names and the closest one when the name looks like a typo.
 */
export function requireKnownName(option: string, name: string, known: readonly string[], what: string, where = 'the input'): string {
  const wanted = name.trim().toLowerCase();
  const hit = known.find((k) => k.toLowerCase() === wanted);
  if (hit !== undefined) return hit;
  const close = closest(wanted, known);
  const list = known.length === 0 ? `${where} names no ${what}` : `${plural(what)}: ${known.join(', ')}`;
  throw new UsageError(`${option} ${name}: no such ${what} in ${where} (${list})${close === null ? '' : `; did you mean ${close}?`}`);
}

function plural(what: string): string {
  return what.endsWith('s') ? what : `${what}s`;
}

/** The known name within two edits of the wanted one (CMEX99 → CMEX09), when there is exactly one. */
function closest(wanted: string, known: readonly string[]): string | null {
  const near = known.filter((k) => editDistance(wanted, k.toLowerCase()) <= 2);
  return near.length === 1 ? near[0] ?? null : null;
}
