// Dates as the console, Export-Csv and Format-Table print them: in the short date and long time
// patterns of the culture of the session that printed them (.NET DateTime.ToString()):
//   en-US  6/30/2025 12:00:00 PM     (M/d/yyyy h:mm:ss tt)
//   de-DE  30.06.2025 12:00:00       (dd.MM.yyyy HH:mm:ss)
//   en-GB, fr-FR  30/06/2025 12:00:00  (dd/MM/yyyy HH:mm:ss)
//   ja-JP, zh-CN  2025/06/30 12:00:00  (year first)
// and ISO 8601 where someone formatted them so. Slash dates are ambiguous: 6/7/2025 is 7 June in
// en-US and 6 July in en-GB. The order is taken from the rest of the file (a date whose first
// number is over 12 is day-first, whose second is over 12 is month-first); when nothing in the
// file tells, the date is not guessed: the caller warns and leaves it empty.
// The console prints local time without a zone; the result is written as if it were UTC (at
// most the server's UTC offset away from the instant CLIXML records).
import type { PsRecord } from './types.js';

export type DayMonthOrder = 'day-first' | 'month-first';

interface CultureDate {
  year: number;
  /** The two numbers that are not the year, in printed order. */
  first: number;
  second: number;
  yearFirst: boolean;
  separator: string;
  hour: number;
  minute: number;
  secondOfMinute: number;
}

const CULTURE_DATE = /^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\.?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?\s?[Mm]\.?)?)?$/;

function readCultureDate(raw: string): CultureDate | null {
  const m = CULTURE_DATE.exec(raw.trim());
  if (m === null) return null;
  const [a, sep, b, c] = [m[1] ?? '', m[2] ?? '', m[3] ?? '', m[4] ?? ''];
  const yearFirst = a.length === 4;
  if (!yearFirst && c.length !== 4) return null;
  let hour = m[5] === undefined ? 0 : Number(m[5]);
  const meridiem = m[8]?.toUpperCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem === 'P' ? 12 : 0);
  }
  return {
    year: Number(yearFirst ? a : c), first: Number(yearFirst ? b : a), second: Number(yearFirst ? c : b), yearFirst, separator: sep,
    hour, minute: m[6] === undefined ? 0 : Number(m[6]), secondOfMinute: m[7] === undefined ? 0 : Number(m[7]),
  };
}

/** What one printed date says about the order, by itself. */
function ownOrder(d: CultureDate): DayMonthOrder | null {
  // Year-first cultures print year/month/day; dotted dates are day-first (de, ru, pl, …).
  if (d.yearFirst) return 'month-first';
  if (d.separator === '.') return 'day-first';
  if (d.first > 12 && d.second <= 12) return 'day-first';
  if (d.second > 12 && d.first <= 12) return 'month-first';
  return null;
}

function iso(d: CultureDate, month: number, day: number): string | null {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  if (month < 1 || month > 12 || day < 1 || d.hour > 23 || d.minute > 59 || d.secondOfMinute > 59) return null;
  const date = new Date(Date.UTC(d.year, month - 1, day, d.hour, d.minute, d.secondOfMinute));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null;
  return `${pad(d.year, 4)}-${pad(month)}-${pad(day)}T${pad(d.hour)}:${pad(d.minute)}:${pad(d.secondOfMinute)}Z`;
}

export type ConsoleDate =
  | { kind: 'date'; iso: string }
  /** Both readings are valid dates and nothing decides between them. */
  | { kind: 'ambiguous'; monthFirst: string; dayFirst: string }
  | { kind: 'not-a-date' };

/**
 * A culture-printed date as ISO 8601 UTC. `order` is the file's order (fileDateOrder); a date
 * whose own numbers decide it needs none, and a date that reads the same both ways is no question.
 */
export function readConsoleDate(raw: string, order: DayMonthOrder | null): ConsoleDate {
  const d = readCultureDate(raw);
  if (d === null) return { kind: 'not-a-date' };
  const own = ownOrder(d);
  const monthFirst = iso(d, d.first, d.second);
  const dayFirst = d.yearFirst ? null : iso(d, d.second, d.first);
  const pick = own ?? order;
  if (pick === 'month-first') return monthFirst === null ? { kind: 'not-a-date' } : { kind: 'date', iso: monthFirst };
  if (pick === 'day-first') return dayFirst === null ? { kind: 'not-a-date' } : { kind: 'date', iso: dayFirst };
  if (monthFirst !== null && monthFirst === dayFirst) return { kind: 'date', iso: monthFirst };
  if (monthFirst !== null && dayFirst !== null) return { kind: 'ambiguous', monthFirst, dayFirst };
  return { kind: 'not-a-date' };
}

/**
 * The day/month order of the culture-printed dates in one file's records, from the dates whose
 * numbers decide it. `conflict`: the file holds dates of both orders (captures from two sessions).
 */
export function fileDateOrder(records: readonly PsRecord[]): { order: DayMonthOrder | null; conflict: boolean; sample: string | null } {
  const seen = new Map<DayMonthOrder, string>();
  for (const record of records) {
    for (const value of record.props.values()) {
      // Dates are single values (NotAfter, WhenCreated…); lists (a million remote ranges) are not looked at.
      for (const text of typeof value === 'string' ? [value] : []) {
        if (text.length > 40) continue;
        const d = readCultureDate(text);
        // Dotted and year-first dates decide only themselves.
        if (d === null || d.yearFirst || d.separator === '.') continue;
        const own = ownOrder(d);
        if (own !== null && !seen.has(own)) seen.set(own, text.trim());
      }
      if (seen.size === 2) return { order: null, conflict: true, sample: `${seen.get('day-first') ?? ''}, ${seen.get('month-first') ?? ''}` };
    }
  }
  const [only] = [...seen.keys()];
  return { order: only ?? null, conflict: false, sample: only === undefined ? null : seen.get(only) ?? null };
}
