// HAProxy PROXY protocol, versions 1 (text) and 2 (binary), as sent by a load balancer in front
// of the sandbox. smtp-server's own `useProxy` reads only version 1, and only as a whole-line
// text command, so the sandbox reads both itself before the socket reaches smtp-server.
// Parsing is pure (Buffer in, verdict out); `readProxyHeader` is the only socket code here.
import net from 'node:net';
import type { Socket } from 'node:net';
import { connectionAddressText } from '../net/index.js';

export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** Version 1 caps a header at 107 bytes including CRLF. */
const V1_MAX_LENGTH = 107;
/** Version 2 address block sizes by family (INET, INET6, UNIX). */
const V2_ADDRESS_LENGTH: Record<number, number> = { 1: 12, 2: 36, 3: 216 };

export interface ProxyEndpoint { address: string; port: number }
export interface ProxyHeader {
  version: 1 | 2;
  /** null for version 2 LOCAL, UNSPEC/UNIX families, and version 1 UNKNOWN: the real peer counts. */
  source: ProxyEndpoint | null;
  destination: ProxyEndpoint | null;
  /** Bytes the header occupies at the start of the stream. */
  length: number;
}
export type ProxyParse =
  | { status: 'incomplete' }
  | { status: 'invalid'; reason: string }
  | { status: 'ok'; header: ProxyHeader };

/** Reads a PROXY header (v1 or v2) at the start of `data`. */
export function parseProxyHeader(data: Buffer): ProxyParse {
  if (data.length === 0) return { status: 'incomplete' };
  const v2Prefix = Math.min(data.length, PROXY_V2_SIGNATURE.length);
  if (data.subarray(0, v2Prefix).equals(PROXY_V2_SIGNATURE.subarray(0, v2Prefix))) {
    return v2Prefix < PROXY_V2_SIGNATURE.length ? { status: 'incomplete' } : parseV2(data);
  }
  const v1Prefix = Math.min(data.length, V1_PREFIX.length);
  if (data.subarray(0, v1Prefix).equals(V1_PREFIX.subarray(0, v1Prefix))) {
    return v1Prefix < V1_PREFIX.length ? { status: 'incomplete' } : parseV1(data);
  }
  return { status: 'invalid', reason: 'not a PROXY protocol header' };
}

function parseV1(data: Buffer): ProxyParse {
  const end = data.indexOf('\r\n', 0, 'latin1');
  if (end < 0) {
    return data.length >= V1_MAX_LENGTH ? { status: 'invalid', reason: 'PROXY v1 header longer than 107 bytes' } : { status: 'incomplete' };
  }
  if (end + 2 > V1_MAX_LENGTH) return { status: 'invalid', reason: 'PROXY v1 header longer than 107 bytes' };
  const parts = data.subarray(0, end).toString('latin1').split(' ');
  const length = end + 2;
  const protocol = parts[1];
  if (protocol === 'UNKNOWN') return { status: 'ok', header: { version: 1, source: null, destination: null, length } };
  if ((protocol !== 'TCP4' && protocol !== 'TCP6') || parts.length !== 6) {
    return { status: 'invalid', reason: 'PROXY v1 header must be "PROXY TCP4|TCP6 SRC DST SPORT DPORT"' };
  }
  const family = protocol === 'TCP4' ? 4 : 6;
  const [src, dst, sport, dport] = [parts[2] ?? '', parts[3] ?? '', parts[4] ?? '', parts[5] ?? ''];
  if (net.isIP(src) !== family || net.isIP(dst) !== family) return { status: 'invalid', reason: `PROXY v1 addresses are not ${protocol} addresses` };
  const sourcePort = parsePort(sport);
  const destinationPort = parsePort(dport);
  if (sourcePort === null || destinationPort === null) return { status: 'invalid', reason: 'PROXY v1 port out of range' };
  return {
    status: 'ok',
    header: {
      version: 1, length,
      source: { address: connectionAddressText(src), port: sourcePort },
      destination: { address: connectionAddressText(dst), port: destinationPort },
    },
  };
}

function parsePort(text: string): number | null {
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

function parseV2(data: Buffer): ProxyParse {
  if (data.length < 16) return { status: 'incomplete' };
  const versionCommand = data[12] ?? 0;
  const familyProtocol = data[13] ?? 0;
  const bodyLength = data.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) return { status: 'invalid', reason: 'PROXY v2 header with a version other than 2' };
  const command = versionCommand & 0x0f;
  if (command > 1) return { status: 'invalid', reason: 'PROXY v2 header with an unknown command' };
  const length = 16 + bodyLength;
  if (data.length < length) return { status: 'incomplete' };
  const family = familyProtocol >> 4;
  // LOCAL: the proxy speaks for itself (health checks); the real peer address counts.
  if (command === 0 || family === 0 || family === 3) return { status: 'ok', header: { version: 2, source: null, destination: null, length } };
  const needed = V2_ADDRESS_LENGTH[family];
  if (needed === undefined) return { status: 'invalid', reason: 'PROXY v2 header with an unknown address family' };
  if (bodyLength < needed) return { status: 'invalid', reason: 'PROXY v2 address block shorter than its family needs' };
  const body = data.subarray(16, 16 + needed);
  const size = family === 1 ? 4 : 16;
  const src = formatRaw(body.subarray(0, size));
  const dst = formatRaw(body.subarray(size, 2 * size));
  return {
    status: 'ok',
    header: {
      version: 2, length,
      source: { address: src, port: body.readUInt16BE(2 * size) },
      destination: { address: dst, port: body.readUInt16BE(2 * size + 2) },
    },
  };
}

function formatRaw(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return connectionAddressText(groups.join(':'));
}

/** Builds a version 2 header (used by tests and by anyone scripting a proxied client). */
export function encodeProxyV2(source: ProxyEndpoint, destination: ProxyEndpoint): Buffer {
  const family = net.isIP(source.address);
  if (family === 0 || family !== net.isIP(destination.address)) throw new TypeError('encodeProxyV2: source and destination must be addresses of one family');
  const addressBytes = (address: string): Buffer => {
    if (family === 4) return Buffer.from(address.split('.').map(Number));
    const out = Buffer.alloc(16);
    const full = expandIpv6(address);
    full.forEach((group, i) => out.writeUInt16BE(group, i * 2));
    return out;
  };
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(source.port, 0);
  ports.writeUInt16BE(destination.port, 2);
  const body = Buffer.concat([addressBytes(source.address), addressBytes(destination.address), ports]);
  const head = Buffer.alloc(4);
  head[0] = 0x21; // version 2, PROXY
  head[1] = family === 4 ? 0x11 : 0x21; // INET/INET6 over STREAM
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, head, body]);
}

function expandIpv6(address: string): number[] {
  const [headText = '', tailText] = address.split('::');
  const parse = (text: string): number[] => (text === '' ? [] : text.split(':').map((g) => Number.parseInt(g, 16)));
  const head = parse(headText);
  if (tailText === undefined) return head;
  const tail = parse(tailText);
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

export type ProxyRead =
  | { status: 'ok'; header: ProxyHeader; rest: Buffer }
  | { status: 'absent'; rest: Buffer }
  | { status: 'invalid'; reason: string };

/**
 * Waits for a PROXY header at the start of `socket`. A proxy sends its header as soon as it
 * connects, while an SMTP client waits for the greeting; so a trusted client that sends nothing
 * within `graceMs` is taken as a direct connection ('absent'), and a device on loopback is not
 * left hanging just because --proxy-protocol is on.
 */
export function readProxyHeader(socket: Socket, graceMs: number): Promise<ProxyRead> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    let settled = false;
    const finish = (result: ProxyRead): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onEnd);
      socket.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = parseProxyHeader(buffered);
      if (parsed.status === 'ok') finish({ status: 'ok', header: parsed.header, rest: buffered.subarray(parsed.header.length) });
      else if (parsed.status === 'invalid') finish({ status: 'invalid', reason: parsed.reason });
      else if (buffered.length > 4096) finish({ status: 'invalid', reason: 'PROXY header too long' });
    };
    const onEnd = (): void => finish({ status: 'invalid', reason: 'connection closed before the PROXY header' });
    const timer = setTimeout(() => finish(buffered.length === 0 ? { status: 'absent', rest: buffered } : { status: 'invalid', reason: 'incomplete PROXY header' }), graceMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}
