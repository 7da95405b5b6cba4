// Address intervals as the fewest CIDR blocks: Postfix cidr tables match prefixes, the policy
// engine partitions the address space into arbitrary intervals.
import { formatAddress, type Family } from '../../net/index.js';

export function intervalToCidrs(family: Family, first: bigint, last: bigint): string[] {
  const bits = family === 4 ? 32n : 128n;
  const out: string[] = [];
  let start = first;
  while (start <= last) {
    // Largest block aligned at `start` that does not pass `last`.
    let size = 0n;
    while (size < bits) {
      const next = size + 1n;
      const blockMask = (1n << next) - 1n;
      if ((start & blockMask) !== 0n) break;
      if (start + (1n << next) - 1n > last) break;
      size = next;
    }
    const prefix = bits - size;
    // cidr_table(5) takes IPv6 networks without brackets.
    out.push(`${formatAddress(family, start)}/${prefix}`);
    start += 1n << size;
  }
  return out;
}
