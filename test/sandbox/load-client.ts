// A small pipelining SMTP client for the load test and the bench: N concurrent sessions, each
// sending M messages, collecting every final reply.
import net from 'node:net';

export interface LoadResult { finals: string[]; errors: string[] }

// RFC 5321 §4.5.3.2: a client waits 5 minutes for the greeting and for each command's reply,
// 10 minutes for the reply to the message's final dot. A session silent for the longest of these
// is recorded as an error and closed, so that a connection the server never serves fails the run instead of
// hanging it (a connection the kernel completed but the listener's full queue dropped is such a
// one: the client sees it established and waits for a greeting that never comes).
const REPLY_WAIT_MS = 10 * 60 * 1000;

/** One SMTP session on `socket` (connecting or connected): EHLO, `messages` messages, QUIT. */
export function runSession(socket: net.Socket, messages: number, body: string, finals: string[], errors: string[]): Promise<void> {
  return new Promise((resolve) => {
    socket.setEncoding('latin1');
    let buffer = '';
    let expect: 'greeting' | 'ehlo' | 'mail' | 'rcpt' | 'data' | 'final' | 'quit' = 'greeting';
    let sent = 0;
    socket.setTimeout(REPLY_WAIT_MS, () => {
      errors.push(`no reply within ${REPLY_WAIT_MS / 60000} minutes (waiting for ${expect}${sent > 0 ? ` of message ${sent}` : ''})`);
      socket.destroy();
    });
    const next = (): void => {
      if (sent === messages) { expect = 'quit'; socket.write('QUIT\r\n'); return; }
      sent++;
      expect = 'mail';
      // RFC 2920: MAIL, RCPT and DATA may be pipelined; the message follows the 354.
      socket.write('MAIL FROM:<load@corp.example>\r\nRCPT TO:<someone@external.example>\r\nDATA\r\n');
    };
    const onReply = (line: string): void => {
      const code = line.slice(0, 3);
      switch (expect) {
        case 'greeting': expect = 'ehlo'; socket.write('EHLO load.corp.example\r\n'); break;
        case 'ehlo': next(); break;
        case 'mail': if (code !== '250') errors.push(`MAIL ${line}`); expect = 'rcpt'; break;
        case 'rcpt': if (code !== '250') errors.push(`RCPT ${line}`); expect = 'data'; break;
        case 'data':
          if (code !== '354') { errors.push(`DATA ${line}`); next(); break; }
          expect = 'final';
          socket.write(`Subject: load ${sent}\r\n\r\n${body}\r\n.\r\n`);
          break;
        case 'final': finals.push(line); next(); break;
        case 'quit': socket.end(); break;
      }
    };
    socket.on('data', (d: string) => {
      buffer += d;
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (line[3] !== '-') onReply(line);
      }
    });
    socket.on('error', (e) => { errors.push(String(e)); });
    socket.on('close', () => resolve());
  });
}

/** A message body of about `bodyBytes` bytes in 78-byte lines. */
export function loadBody(bodyBytes: number): string {
  return 'x'.repeat(Math.max(0, bodyBytes - 2)).replace(/(.{76})/g, '$1\r\n');
}

function session(port: number, messages: number, body: string, finals: string[], errors: string[]): Promise<void> {
  return runSession(net.connect({ host: '127.0.0.1', port }), messages, body, finals, errors);
}

export async function runLoad(port: number, sessions: number, messages: number, bodyBytes: number): Promise<LoadResult> {
  const finals: string[] = [];
  const errors: string[] = [];
  const body = loadBody(bodyBytes);
  await Promise.all(Array.from({ length: sessions }, () => session(port, messages, body, finals, errors)));
  return { finals, errors };
}
