// Exchange values in the forms PowerShell prints them and a script writes them, read the same
// way by the importers (exported text) and by the dry run (script arguments).

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/**
 * A ByteQuantifiedSize: `36 MB (37,748,736 bytes)` (as Exchange prints it, any digit grouping),
 * `36MB`, `1.5 GB`, or a plain number of bytes → bytes; `Unlimited` → null; undefined when the
 * text is none of these.
 */
export function parseByteSize(raw: string): number | null | undefined {
  const text = raw.trim();
  if (/^unlimited$/i.test(text)) return null;
  const bytes = /\(([\d.,\s\u00a0\u202f']+)\s*bytes?\)/i.exec(text);
  if (bytes !== null) {
    const digits = (bytes[1] ?? '').replace(/\D/g, '');
    return digits === '' ? undefined : Number(digits);
  }
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?$/i.exec(text);
  if (m === null) return undefined;
  // UNSURE(reference): how Exchange rounds a fractional byte count (`0.1MB`); whole bytes, rounded down.
  return Math.floor(Number(m[1]) * 1024 ** SIZE_UNITS.indexOf((m[2] ?? 'B').toUpperCase()));
}
