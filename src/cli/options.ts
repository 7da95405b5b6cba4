// Option parsers for commander: each throws InvalidArgumentError, which main() maps to exit 2.
import { InvalidArgumentError } from 'commander';
import { SEVERITIES, type Severity } from '../model.js';
import { addressRefusal, normalizeAddress } from '../net/index.js';

export function parseSeverity(value: string): Severity {
  const hit = SEVERITIES.find((s) => s === value.toLowerCase());
  if (hit === undefined) throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
  return hit;
}

export function parseIpList(value: string, previous: string[] = []): string[] {
  const out = [...previous];
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const address = normalizeAddress(part);
    if (address === null) throw new InvalidArgumentError(addressRefusal(part) ?? `"${part}" is not an IP address`);
    out.push(address);
  }
  return out;
}

export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number.parseInt(value, 10);
}

export function parseList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((p) => p.trim()).filter((p) => p !== '')];
}

export function parseChoice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    const hit = choices.find((c) => c === value);
    if (hit === undefined) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return hit;
  };
}
