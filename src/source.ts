// Bytes become text in exactly one place. Parsers receive strings that know their line numbers.
import { InputError } from './errors.js';

export interface SourceText {
  /** The file name as the user gave it (used in every message). */
  name: string;
  /** Text with line ends normalised to LF and no BOM. */
  text: string;
  /** 1-based line number of a character offset into `text`. */
  lineOf(offset: number): number;
  /**
   * Set when the bytes were neither UTF-8 nor UTF-16 and were read as Windows-1252 (contract:
   * "read as Windows-1252 with a warning"): the line of the first byte that is not UTF-8.
   */
  windows1252?: { line: number | null };
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

/**
 * Files people give by mistake instead of an export, told by their first bytes: which kind of file
 * it is and which export to ask for instead. The message says "not valid" so that a directory
 * skips such a file with a warning, as it does other files that are no text.
 */
function documentKind(bytes: Uint8Array): string | null {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);
  const ask = 'ask for the export file itself (the folder `exrelay collect-script` writes, or Export-Clixml / Export-Csv / Format-List output saved with Out-File)';
  if (starts(0x50, 0x4b, 0x03, 0x04)) {
    // Office Open XML packages are ZIP archives whose part names tell Word from Excel.
    const names = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 1 << 20)));
    if (names.includes('word/')) return `a Word document (.docx), not valid as an export: ${ask}, not a document it was pasted into`;
    if (names.includes('xl/')) return `an Excel workbook (.xlsx), not valid as an export: ask for the .csv file Export-Csv wrote (or Export-Clixml), not a workbook it was opened and saved as`;
    if (names.includes('ppt/')) return `a PowerPoint presentation (.pptx), not valid as an export: ${ask}`;
    return 'a ZIP archive, not valid as an export: unpack it and give the folder (exrelay reads every file below a directory)';
  }
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return `a PDF document, not valid as an export: ${ask}, not a document it was printed into`;
  if (starts(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return `an Office document of the older binary kind (.doc, .xls or .msg), not valid as an export: ${ask}`;
  if (starts(0x7b, 0x5c, 0x72, 0x74, 0x66)) return `an RTF document (WordPad, Outlook), not valid as an export: ${ask}`;
  if (starts(0x89, 0x50, 0x4e, 0x47) || starts(0xff, 0xd8, 0xff)) return `an image (a screenshot?), not valid as an export: ${ask}`;
  if (starts(0x1f, 0x8b)) return 'a gzip file, not valid as an export: unpack it first (`exrelay logs` reads gzipped protocol logs)';
  return null;
}

/** Decodes bytes; text that is neither UTF-8 nor UTF-16 (and holds no NUL) is read as Windows-1252. */
export function decodeText(name: string, bytes: Uint8Array): { text: string; windows1252: { line: number | null } | null } {
  const document = documentKind(bytes);
  if (document !== null) throw new InputError(name, null, document);
  const { encoding, skip } = sniffEncoding(bytes);
  const body = bytes.subarray(skip);
  if (encoding !== 'utf-8' && body.length % 2 !== 0) {
    throw new InputError(name, null, `not valid ${encoding.toUpperCase()} text (odd number of bytes)`);
  }
  try {
    if (encoding === 'utf-16be') return { text: decodeUtf16be(body), windows1252: null };
    return { text: new TextDecoder(encoding, { fatal: true }).decode(body), windows1252: null };
  } catch {
    if (encoding === 'utf-8') {
      const line = lineOfInvalidUtf8(body);
      // Windows PowerShell's Set-Content, Out-File -Encoding Default and Export-Csv write the ANSI
      // code page (usually Windows-1252). Text never holds NUL; a file that does is no text.
      if (skip === 0 && !body.includes(0)) return { text: new TextDecoder('windows-1252').decode(body), windows1252: { line } };
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
  const { text, windows1252 } = decodeText(name, bytes);
  const source = makeSourceText(name, text.replace(/\r\n?/g, '\n'));
  if (windows1252 !== null) source.windows1252 = windows1252;
  return source;
}
