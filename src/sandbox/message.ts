// Message-level helpers: Exchange's date form, the Received header the sandbox adds, the
// Message-ID a final reply quotes, and TarpitInterval values as exported (TimeSpan strings).

import { bannerDate } from '../policy/replies.js';

/**
 * `Tue, 4 Mar 2025 10:12:03 +0000`: the banner's date form (reference §6.1), and like the
 * banner in UTC, since the server's time zone is not exported.
 */
export function rfc822Date(date: Date): string {
  return bannerDate(date);
}

/** `Version 15.1 (Build 2507.6)` -> `15.1.2507.6` (the id Exchange writes in Received headers). */
export function buildNumber(version: string | null | undefined): string | null {
  const m = /(\d+)\.(\d+)\s*\(Build\s+(\d+)\.(\d+)\)/i.exec(version ?? '');
  return m === null ? null : `${m[1]}.${m[2]}.${m[3]}.${m[4]}`;
}

export interface ReceivedInfo {
  helo: string | null;
  clientAddress: string;
  serverFqdn: string;
  serverAddress: string;
  tls: { protocol: string | null; cipher: string | null } | null;
  build: string | null;
  frontend: boolean;
  date: Date;
}

/** The Received header, modelled on the one Exchange writes, folded the way Exchange folds it. */
export function receivedHeader(info: ReceivedInfo): string {
  const tls = info.tls === null ? '' : ` (version=${(info.tls.protocol ?? 'TLS').replace('v', '').replace('.', '_')}, cipher=${info.tls.cipher ?? 'unknown'})`;
  const id = info.build === null ? '' : ` id ${info.build}`;
  const via = info.frontend ? ' via Frontend Transport' : '';
  return `Received: from ${info.helo ?? `[${info.clientAddress}]`} (${info.clientAddress}) by ${info.serverFqdn}\r\n` +
    ` (${info.serverAddress}) with Microsoft SMTP Server${tls}${id}${via};\r\n ${rfc822Date(info.date)}\r\n`;
}

function headerBlock(headerBytes: Buffer): string {
  const text = headerBytes.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
}

/** The Message-ID header's value (`<...>`) in a header block, or null. */
export function findMessageId(headerBytes: Buffer): string | null {
  const m = /^Message-ID:\s*(<[^>\r\n]*>)/im.exec(headerBlock(headerBytes));
  return m?.[1] ?? null;
}

/** The address of the From: header (for the send-as check of hub connectors), or null. */
export function findHeaderFrom(headerBytes: Buffer): string | null {
  const m = /^From:[ \t]*(.*)$/im.exec(headerBlock(headerBytes));
  if (m === null) return null;
  const value = m[1] ?? '';
  const angle = /<([^<>]*)>/.exec(value);
  if (angle !== null) return angle[1] ?? null;
  const bare = /[^\s,;<>]+@[^\s,;<>]+/.exec(value);
  return bare === null ? null : bare[0];
}

/** TimeSpan as exported (`00:00:05`, `0.00:00:05`, `5s`-less plain seconds) -> milliseconds. */
export function timeSpanMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value !== 'string') return null;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value.trim());
  if (m === null) return null;
  const [days, hours, minutes, seconds] = [m[1], m[2], m[3], m[4]].map((p) => Number(p ?? '0')) as [number, number, number, number];
  const fraction = m[5] === undefined ? 0 : Number(`0.${m[5]}`);
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds + fraction) * 1000;
}

/** `0.00:00:05` as Exchange's tarpit log line writes it. */
export function formatTimeSpan(ms: number): string {
  const total = Math.round(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${Math.floor(total / 86400)}.${pad(Math.floor(total / 3600) % 24)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

const RECEIVED = Buffer.from('received:');

/**
 * Header facts of a message as it streams in (MaxHeaderSize, MaxHopCount): the bytes before
 * the empty line that ends the header section, and the Received: lines in it. Only the header
 * section is looked at; the body is not scanned.
 */
export class HeaderScan {
  headerBytes = 0;
  receivedHeaders = 0;
  private done = false;
  private offset = 0;
  private lineStart = 0;
  private column = 0;
  private matched = 0;
  private matching = true;
  private lastWasCr = false;

  /** The empty line that ends the header section has been seen. */
  get complete(): boolean { return this.done; }

  scan(chunk: Buffer): void {
    if (this.done) return;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === 0x0a) {
        if (this.column - (this.lastWasCr ? 1 : 0) === 0) {
          // The empty line: the header section is what came before it, without its line end.
          this.headerBytes = Math.max(0, this.lineStart - 2);
          this.done = true;
          return;
        }
        this.lineStart = this.offset + i + 1;
        this.column = 0;
        this.matched = 0;
        this.matching = true;
        this.lastWasCr = false;
        continue;
      }
      if (this.matching) {
        const lower = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
        if (lower === RECEIVED[this.matched]) {
          this.matched++;
          if (this.matched === RECEIVED.length) { this.receivedHeaders++; this.matching = false; }
        } else {
          this.matching = false;
        }
      }
      this.column++;
      this.lastWasCr = byte === 0x0d;
    }
    this.offset += chunk.length;
    this.headerBytes = this.offset;
  }
}
