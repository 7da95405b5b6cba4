// Bytes become text in exactly one place. Parsers receive strings that know their line numbers.
import { InputError } from './errors.js';

export interface SourceText {
  /** The file name as the user gave it (used in every message). */
  name: string;
  /** Text with line ends normalised to LF and no BOM. */
  text: string;
  /** 1-based line number of a character offset into `text`. */
  lineOf(offset: number): number;
}

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

/** Detects the encoding from the BOM (or, without one, from NUL-byte patterns of UTF-16). */
export function sniffEncoding(bytes: Uint8Array): { encoding: TextEncodingName; skip: number } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  // UTF-16 without BOM (rare: some tools strip it): ASCII text has a NUL in every other byte.
  if (bytes.length >= 4) {
    const sample = Math.min(bytes.length - (bytes.length % 2), 512);
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < sample; i += 2) {
      if (bytes[i] === 0) evenNul++;
      if (bytes[i + 1] === 0) oddNul++;
    }
    const pairs = sample / 2;
    if (oddNul > pairs * 0.4 && evenNul === 0) return { encoding: 'utf-16le', skip: 0 };
    if (evenNul > pairs * 0.4 && oddNul === 0) return { encoding: 'utf-16be', skip: 0 };
  }
  return { encoding: 'utf-8', skip: 0 };
}

function decodeUtf16be(bytes: Uint8Array): string {
  // TextDecoder in Node has no fatal utf-16be on every build; swap bytes and decode as LE.
  const swapped = new Uint8Array(bytes.length - (bytes.length % 2));
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    swapped[i] = bytes[i + 1] as number;
    swapped[i + 1] = bytes[i] as number;
  }
  return new TextDecoder('utf-16le', { fatal: true }).decode(swapped);
}

export function decodeBytes(name: string, bytes: Uint8Array): string {
  const { encoding, skip } = sniffEncoding(bytes);
  const body = bytes.subarray(skip);
  if (encoding !== 'utf-8' && body.length % 2 !== 0) {
    throw new InputError(name, null, `not valid ${encoding.toUpperCase()} text (odd number of bytes)`);
  }
  try {
    if (encoding === 'utf-16be') return decodeUtf16be(body);
    return new TextDecoder(encoding, { fatal: true }).decode(body);
  } catch {
    if (encoding === 'utf-8') {
      const line = lineOfInvalidUtf8(body);
      throw new InputError(name, line, 'not valid UTF-8 text (save it as UTF-8 or UTF-16 with a byte-order mark)');
    }
    throw new InputError(name, null, `not valid ${encoding.toUpperCase()} text`);
  }
}

function lineOfInvalidUtf8(bytes: Uint8Array): number | null {
  // Decode line by line to name the first line that fails.
  let start = 0;
  let line = 1;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try { decoder.decode(bytes.subarray(start, i)); } catch { return line; }
      start = i + 1;
      line++;
    }
  }
  return null;
}

export function makeSourceText(name: string, text: string): SourceText {
  let lineStarts: number[] | null = null;
  return {
    name,
    text,
    lineOf(offset: number): number {
      if (lineStarts === null) {
        lineStarts = [0];
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
      }
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((lineStarts[mid] as number) <= offset) lo = mid; else hi = mid - 1;
      }
      return lo + 1;
    },
  };
}

/** Decodes bytes (BOM sniffing: UTF-8, UTF-16LE, UTF-16BE), normalises CRLF/CR to LF. */
export function decodeSource(name: string, bytes: Uint8Array): SourceText {
  return makeSourceText(name, decodeBytes(name, bytes).replace(/\r\n?/g, '\n'));
}
