import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeProxyV2, parseProxyHeader, PROXY_V2_SIGNATURE } from '../../src/sandbox/proxy-protocol.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('PROXY protocol v1', () => {
  it('reads a TCP4 header and reports its length so the rest stays for SMTP', () => {
    const data = ascii('PROXY TCP4 192.0.2.50 10.0.0.10 50412 25\r\nEHLO x\r\n');
    const r = parseProxyHeader(data);
    assert.deepEqual(r, { status: 'ok', header: { version: 1, length: 42, source: { address: '192.0.2.50', port: 50412 }, destination: { address: '10.0.0.10', port: 25 } } });
    assert.equal(data.subarray(42).toString(), 'EHLO x\r\n');
  });
  it('normalises TCP6 addresses to RFC 5952', () => {
    const r = parseProxyHeader(ascii('PROXY TCP6 2001:DB8:0:0:0:0:0:5 2001:db8::a 1 25\r\n'));
    assert.equal(r.status, 'ok');
    if (r.status === 'ok') assert.equal(r.header.source?.address, '2001:db8::5');
  });
  it('treats UNKNOWN as "use the real peer"', () => {
    const r = parseProxyHeader(ascii('PROXY UNKNOWN\r\n'));
    assert.deepEqual(r, { status: 'ok', header: { version: 1, source: null, destination: null, length: 15 } });
  });
  it('waits for more bytes on a partial header', () => {
    assert.deepEqual(parseProxyHeader(ascii('PRO')), { status: 'incomplete' });
    assert.deepEqual(parseProxyHeader(ascii('PROXY TCP4 192.0.2.50')), { status: 'incomplete' });
  });
  it('rejects garbage, wrong families, bad ports and over-long lines', () => {
    assert.equal(parseProxyHeader(ascii('EHLO x\r\n')).status, 'invalid');
    assert.equal(parseProxyHeader(ascii('PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n')).status, 'invalid');
    assert.equal(parseProxyHeader(ascii('PROXY TCP4 192.0.2.1 10.0.0.1 70000 25\r\n')).status, 'invalid');
    assert.equal(parseProxyHeader(ascii('PROXY TCP4 192.0.2.1 10.0.0.1 1\r\n')).status, 'invalid');
    assert.equal(parseProxyHeader(ascii(`PROXY ${'x'.repeat(120)}`)).status, 'invalid');
  });
});

describe('PROXY protocol v2', () => {
  it('reads an INET header built by encodeProxyV2 and leaves the payload', () => {
    const header = encodeProxyV2({ address: '192.0.2.7', port: 40000 }, { address: '10.0.0.10', port: 25 });
    const r = parseProxyHeader(Buffer.concat([header, ascii('EHLO')]));
    assert.deepEqual(r, { status: 'ok', header: { version: 2, length: 28, source: { address: '192.0.2.7', port: 40000 }, destination: { address: '10.0.0.10', port: 25 } } });
  });
  it('reads an INET6 header', () => {
    const header = encodeProxyV2({ address: '2001:db8::7', port: 1 }, { address: '2001:db8::a', port: 587 });
    const r = parseProxyHeader(header);
    assert.equal(r.status, 'ok');
    if (r.status === 'ok') {
      assert.deepEqual(r.header.source, { address: '2001:db8::7', port: 1 });
      assert.deepEqual(r.header.destination, { address: '2001:db8::a', port: 587 });
      assert.equal(r.header.length, 52);
    }
  });
  it('skips TLVs after the address block', () => {
    const header = encodeProxyV2({ address: '192.0.2.7', port: 1 }, { address: '10.0.0.10', port: 25 });
    const tlv = Buffer.from([0x04, 0x00, 0x02, 0xab, 0xcd]); // PP2_TYPE_NOOP, 2 bytes
    header.writeUInt16BE(12 + tlv.length, 14);
    const r = parseProxyHeader(Buffer.concat([header, tlv, ascii('Q')]));
    assert.equal(r.status, 'ok');
    if (r.status === 'ok') { assert.equal(r.header.length, 33); assert.equal(r.header.source?.address, '192.0.2.7'); }
  });
  it('LOCAL command means the real peer counts', () => {
    const local = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
    assert.deepEqual(parseProxyHeader(local), { status: 'ok', header: { version: 2, source: null, destination: null, length: 16 } });
  });
  it('waits for the whole address block, then rejects bad versions and short blocks', () => {
    const header = encodeProxyV2({ address: '192.0.2.7', port: 1 }, { address: '10.0.0.10', port: 25 });
    assert.deepEqual(parseProxyHeader(header.subarray(0, 8)), { status: 'incomplete' });
    assert.deepEqual(parseProxyHeader(header.subarray(0, 20)), { status: 'incomplete' });
    const badVersion = Buffer.from(header); badVersion[12] = 0x31;
    assert.equal(parseProxyHeader(badVersion).status, 'invalid');
    const short = Buffer.from(header); short.writeUInt16BE(4, 14);
    assert.equal(parseProxyHeader(short).status, 'invalid');
  });
});
