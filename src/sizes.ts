// Sizes of address sets as a consultant says them ("about 18 million IPv4 addresses", "one IPv6
// /64"), never a 39-digit integer nor a power of two. A root module: the audit's messages and
// the report's tables use the same words.

const UNITS: Array<[number, string]> = [[1e12, 'trillion'], [1e9, 'billion'], [1e6, 'million'], [1e3, 'thousand']];

/** "256", "9,999", "about 65 thousand", "about 4.3 billion". */
export function countWords(n: number): string {
  if (n < 10000) return groupedDigits(n);
  for (const [unit, name] of UNITS) {
    if (n >= unit) {
      const v = n / unit;
      return `about ${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : groupedDigits(Math.round(v))} ${name}`;
    }
  }
  return groupedDigits(n);
}

/**
 * n as en-US prints it ("1,234"). Whole numbers are grouped here: toLocaleString goes through
 * Intl, which cost tens of milliseconds when every finding of a large estate states its sizes.
 */
function groupedDigits(n: number): string {
  return Number.isSafeInteger(n) && !Object.is(n, -0) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : n.toLocaleString('en-US');
}

const IPV4_ALL = 2 ** 32;
const IPV6_ALL = 1n << 128n;

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** An IPv6 amount as prefixes: "one IPv6 /64", "more than one IPv6 /64", "all of IPv6". */
export function ipv6SizeText(n: bigint): string {
  if (n >= IPV6_ALL) return 'all of IPv6';
  if (n < 10000n) return `${Number(n).toLocaleString('en-US')} IPv6 address${n === 1n ? '' : 'es'}`;
  const bits = bitLength(n) - 1;
  if (bits === 127 && n !== 1n << 127n) return 'more than half of IPv6';
  return `${n === 1n << BigInt(bits) ? 'one' : 'more than one'} IPv6 /${128 - bits}`;
}

/** An IPv4 amount: "1 IPv4 address", "about 18 million IPv4 addresses", "every IPv4 address". */
export function ipv4SizeText(n: number): string {
  if (n >= IPV4_ALL) return 'every IPv4 address';
  return `${countWords(n)} IPv4 address${n === 1 ? '' : 'es'}`;
}

/**
 * The size of a set of disjoint intervals as a consultant says it: "256 IPv4 addresses",
 * "about 18 million IPv4 addresses and one IPv6 /64", "every IPv4 and IPv6 address"; "no
 * address" for none. Never a 39-digit integer nor a power of two.
 */
export function scopeText(list: ReadonlyArray<{ family: 4 | 6; first: bigint; last: bigint }>): string {
  let v4 = 0;
  let v6 = 0n;
  for (const i of list) {
    if (i.family === 4) v4 += Number(i.last) - Number(i.first) + 1;
    else v6 += i.last - i.first + 1n;
  }
  if (v4 >= IPV4_ALL && v6 >= IPV6_ALL) return 'every IPv4 and IPv6 address';
  const parts = [v4 > 0 ? ipv4SizeText(v4) : null, v6 > 0n ? ipv6SizeText(v6) : null].filter((x) => x !== null);
  return parts.length === 0 ? 'no address' : parts.join(' and ');
}

