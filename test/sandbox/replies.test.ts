// Unit tests of the reply seam; the same seam is exercised over the wire in server.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, renderWire, ReplySeam, toSmtpError, translateLibraryText } from '../../src/sandbox/replies.js';

describe('reply seam', () => {
  it('formats Exchange replies with the enhanced code first', () => {
    assert.equal(formatReply({ code: 550, enhanced: '5.7.54', text: 'SMTP; Unable to relay recipient in non-accepted domain' }), '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain');
    assert.equal(formatReply({ code: 220, enhanced: null, text: 'ex01.corp.example Microsoft ESMTP MAIL Service ready' }), '220 ex01.corp.example Microsoft ESMTP MAIL Service ready');
    const err = toSmtpError({ code: 530, enhanced: '5.7.57', text: 'SMTP; Client was not authenticated to send anonymous mail during MAIL FROM' });
    assert.equal(err.responseCode, 530);
    assert.equal(err.message, '5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM');
  });

  it('replaces "250 Accepted" with the engine reply registered for MAIL and RCPT, once each', () => {
    const seam = new ReplySeam();
    seam.expect('MAIL_FROM_OK', { code: 250, enhanced: '2.1.0', text: 'Sender OK' });
    seam.expect('RCPT_TO_OK', { code: 250, enhanced: '2.1.5', text: 'Recipient OK' });
    assert.deepEqual(seam.rewrite(250, 'Accepted', 'MAIL_FROM_OK'), { code: 250, lines: ['2.1.0 Sender OK'] });
    assert.deepEqual(seam.rewrite(250, 'Accepted', 'RCPT_TO_OK'), { code: 250, lines: ['2.1.5 Recipient OK'] });
    // Consumed: a second success without a fresh expectation keeps the library text.
    assert.deepEqual(seam.rewrite(250, 'Accepted', 'RCPT_TO_OK'), { code: 250, lines: ['Accepted'] });
  });

  it('replaces the 354 of DATA and leaves a forgotten expectation unused', () => {
    const seam = new ReplySeam();
    seam.expect('DATA_START', { code: 354, enhanced: null, text: 'Start mail input; end with <CRLF>.<CRLF>' });
    assert.deepEqual(seam.rewrite(354, 'End data with <CR><LF>.<CR><LF>'), { code: 354, lines: ['Start mail input; end with <CRLF>.<CRLF>'] });
    seam.expect('MAIL_FROM_OK', { code: 250, enhanced: '2.1.0', text: 'Sender OK' });
    seam.forget('MAIL_FROM_OK');
    assert.deepEqual(seam.rewrite(250, 'Accepted', 'MAIL_FROM_OK'), { code: 250, lines: ['Accepted'] });
  });

  it("translates the library's own texts into Exchange's", () => {
    const seam = new ReplySeam();
    assert.deepEqual(seam.rewrite(503, 'Error: send HELO/EHLO first'), { code: 503, lines: ['5.5.2 Send hello first'] });
    assert.deepEqual(seam.rewrite(500, 'Error: command not recognized', 'FOO'), { code: 500, lines: ['5.3.3 Unrecognized command'] });
    assert.deepEqual(seam.rewrite(503, 'Error: nested MAIL command'), { code: 503, lines: ['5.5.2 Sender already specified'] });
    assert.deepEqual(seam.rewrite(250, 'Flushed'), { code: 250, lines: ['2.0.0 Resetting'] });
    assert.deepEqual(seam.rewrite(221, 'Bye'), { code: 221, lines: ['2.0.0 Service closing transmission channel'] });
    assert.deepEqual(seam.rewrite(501, 'Error: duplicate SIZE parameter'), { code: 501, lines: ['5.5.4 Invalid arguments'] });
    assert.deepEqual(seam.rewrite(421, 'Timeout - closing connection'), { code: 451, lines: ['4.7.0 Timeout waiting for client input'] });
    assert.equal(translateLibraryText(550, '5.7.54 SMTP; Unable to relay recipient in non-accepted domain'), null);
  });

  it('passes engine-built and multi-line replies through unchanged', () => {
    const seam = new ReplySeam();
    assert.deepEqual(seam.rewrite(550, '5.7.1 Unable to relay'), { code: 550, lines: ['5.7.1 Unable to relay'] });
    assert.deepEqual(seam.rewrite(250, ['ex01 Hello [192.0.2.1]', 'SIZE 37748736', 'PIPELINING'], false), { code: 250, lines: ['ex01 Hello [192.0.2.1]', 'SIZE 37748736', 'PIPELINING'] });
    assert.equal(renderWire({ code: 250, lines: ['a', 'b', 'c'] }), '250-a\r\n250-b\r\n250 c');
  });
});
