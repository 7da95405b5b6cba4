// Every real protocol-log sample in the corpus, with the damage MANIFEST.md describes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { corpus, readDoc } from './helpers.js';

describe('real SmtpReceive samples', () => {
  it('2010 EHLO-filtered excerpt: all-zero session ids, trailing-space connector, blank lines', async () => {
    const { doc, result } = await readDoc([corpus('smtpreceive-log-ex2010-ehlo-filtered-blog-02.log')]);
    // Five sessions share session id 0000000000000000: the remote endpoint tells them apart.
    assert.equal(doc.sessions, 5);
    assert.equal(doc.lines, 9);
    assert.equal(result.records, 5);
    assert.deepEqual(doc.senders.map((s) => s.connector), Array(5).fill('EX\\Default'));
    assert.deepEqual(doc.senders.map((s) => s.remoteIp), ['198.51.100.75', '198.51.100.85', '198.51.100.139', '203.0.113.100', '203.0.113.110']);
    assert.equal(doc.senders[2]?.firstSeen, '2016-12-14T10:06:17.792Z');
  });

  it('2010 sample pasted with a leading space and a prose line before the header', async () => {
    const { doc, result } = await readDoc([corpus('smtpreceive-log-ex2010-leading-space-01.log')]);
    assert.equal(doc.sessions, 1);
    assert.equal(result.records, 2);
    assert.equal(doc.senders[0]?.connector, 'TAIL-EXCH-1\\Internet Mail');
    assert.equal(doc.senders[0]?.remoteIp, '203.0.113.220');
    assert.equal(doc.senders[0]?.lastSeen, '2019-01-25T00:03:58.494Z');
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]?.message ?? '', /Sample Exchange 2010/);
    assert.equal(result.warnings[0]?.line, 1);
  });

  it('2010 session without header: one record per 250- line, AUTH LOGIN refused, remote drop', async () => {
    const { doc, result } = await readDoc([corpus('smtpreceive-log-ex2010-redacted-blog-01.log')]);
    assert.equal(result.records, 18);
    assert.equal(doc.sessions, 1);
    const s = doc.senders[0];
    assert.equal(s?.connector, 'EX\\Default');
    assert.deepEqual(s?.authenticatedAs, []); // 504 5.7.4: no logon
    assert.equal(s?.tls, false);
    assert.equal(s?.firstSeen, '2016-12-14T01:17:34.808Z');
    assert.equal(s?.lastSeen, '2016-12-14T01:17:42.074Z');
  });

  it('2013 excerpt in markdown quotes with lost "*" events and inconsistent connector ids', async () => {
    const { doc, result } = await readDoc([corpus('smtpreceive-log-ex2013-qa-mangled-01.log')]);
    assert.equal(result.records, 8);
    assert.equal(doc.sessions, 1); // one session, although anonymisation left three connector ids
    const s = doc.senders[0];
    assert.equal(s?.connector, 'Domain\\Default Frontend Domain');
    // "250 2.1.0 Sender OK" answers a MAIL FROM cut from the excerpt; the 550 answers the RCPT.
    assert.equal(s?.rejectedRecipients, 1);
    assert.deepEqual(s?.rcptDomains, {});
    assert.equal(s?.lastSeen, '2020-11-27T09:34:44.191Z');
  });

  it('2016 session with STARTTLS, quoted fields and a failed AUTH LOGIN', async () => {
    const { doc, result } = await readDoc([corpus('smtpreceive-log-ex2016-tls-authlogin-dfir-01.log')]);
    assert.equal(doc.lines, 21);
    assert.equal(result.records, 16);
    const s = doc.senders[0];
    assert.equal(s?.connector, 'SERVER-HOSTNAME\\Default Frontend SERVER-HOSTNAME');
    assert.equal(s?.tls, true);
    assert.deepEqual(s?.authenticatedAs, []); // "Inbound AUTH LOGIN failed because of LogonDenied"
    assert.equal(s?.firstSeen, '2023-01-11T15:59:51.433Z');
  });

  it('hard-wrapped records without #Fields and with short fractions', async () => {
    const { doc, result } = await readDoc([corpus('smtpreceive-log-wrapped-blog-01.log')]);
    assert.equal(doc.lines, 10);
    assert.equal(result.records, 5); // ten physical lines, five records
    const s = doc.senders[0];
    assert.equal(s?.connector, 'SRV-MAIL01\\smtp-noauth SRV-MAIL01');
    assert.equal(s?.remoteIp, '10.0.20.22');
    assert.equal(s?.firstSeen, '2026-08-11T09:47:10.400Z');
    // "250 2.1.5 Recipient OK" follows the MAIL FROM: the sender was accepted.
    assert.deepEqual(s?.mailFromDomains, { 'example-test.com': 1 });
  });

  it('the whole corpus directory: other exports skipped with one warning', async () => {
    const { doc, result } = await readDoc([corpus('')]);
    assert.equal(doc.files, 6);
    assert.equal(doc.sessions, 10);
    assert.ok(result.warnings.some((w) => /skipped \d+ file\(s\) that are not SMTP receive protocol logs/.test(w.message)));
  });
});
