import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNumber, findHeaderFrom, findMessageId, formatTimeSpan, receivedHeader, rfc822Date, timeSpanMs } from '../../src/sandbox/message.js';

describe('message helpers', () => {
  it("Exchange's date form: day without leading zero, numeric offset", () => {
    assert.equal(rfc822Date(new Date(Date.UTC(2025, 2, 4, 10, 12, 3))), 'Tue, 4 Mar 2025 10:12:03 +0000');
  });
  it('build number from AdminDisplayVersion', () => {
    assert.equal(buildNumber('Version 15.2 (Build 1118.7)'), '15.2.1118.7');
    assert.equal(buildNumber(null), null);
  });
  it('TarpitInterval TimeSpans and the log form', () => {
    assert.equal(timeSpanMs('00:00:05'), 5000);
    assert.equal(timeSpanMs('0.00:00:05'), 5000);
    assert.equal(timeSpanMs('1.00:00:00'), 86_400_000);
    assert.equal(timeSpanMs('00:00:00.5'), 500);
    assert.equal(timeSpanMs('soon'), null);
    assert.equal(formatTimeSpan(5000), "0.00:00:05");
  });
  it('Message-ID and From: address from a (folded) header block, never from the body', () => {
    const head = Buffer.from('From: "App"\r\n <app@corp.example>\r\nMessage-ID:\r\n <m1@app>\r\n\r\nMessage-ID: <body@x>\r\n');
    assert.equal(findMessageId(head), '<m1@app>');
    assert.equal(findHeaderFrom(head), 'app@corp.example');
    assert.equal(findMessageId(Buffer.from('Subject: x\r\n\r\nMessage-ID: <body@x>\r\n')), null);
    assert.equal(findHeaderFrom(Buffer.from('From: scanner@corp.example\r\n\r\n')), 'scanner@corp.example');
  });
  it('the Received header names HELO, client, connector FQDN, server address, TLS, build and Front End', () => {
    const text = receivedHeader({ helo: 'app01', clientAddress: '192.0.2.5', serverFqdn: 'ex01.corp.example', serverAddress: '10.0.0.11',
      tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, build: '15.2.1118.7', frontend: true, date: new Date(Date.UTC(2025, 2, 4, 10, 12, 3)) });
    assert.match(text, /^Received: from app01 \(192\.0\.2\.5\) by ex01\.corp\.example\r\n \(10\.0\.0\.11\) with Microsoft SMTP Server \(version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384\) id 15\.2\.1118\.7 via Frontend Transport;\r\n Tue, 4 Mar 2025 10:12:03 \+0000\r\n$/);
  });
});
