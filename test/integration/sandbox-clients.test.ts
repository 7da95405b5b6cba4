// Real clients against the demo estate's 2010 and 2016 servers (fixtures/estate-2010-2016):
// swaks, python's smtplib, curl (smtp://) and a printer's telnet-style session with bare
// addresses. The floor-2 MFP (10.20.40.23) scans to an employee on both servers; an outside
// host (203.0.113.50) trying to relay is denied with each version's own text.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { RawClient, start, type Started } from '../sandbox/helpers.js';

function run(cmd: string, args: string[], input?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(input ?? '');
  });
}

const MFP = '10.20.40.23';
const FROM = 'scanner@contoso-mfg.example';
const TO = 'k.novak@contoso-mfg.example';
const OUTSIDE = 'orders@fabrikam.example';
const SERVERS = [
  { server: 'CMEX10A', relayDenied: '550 5.7.1 Unable to relay', queued: /^250 2\.6\.0 <[^>]+> Queued mail for delivery$/ },
  { server: 'CMEX16A', relayDenied: '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain', queued: /^250 2\.6\.0 <[^>]+> \[InternalId=\d+, Hostname=cmex16a\.corp\.contoso-mfg\.example\] Queued mail for delivery$/ },
];

let estate: Snapshot;
before(async () => {
  const imported = await runCli(['import', 'fixtures/estate-2010-2016']);
  assert.equal(imported.exitCode, 0, imported.stderr);
  estate = JSON.parse(imported.stdout) as Snapshot;
});

for (const { server, relayDenied, queued } of SERVERS) {
  describe(`real clients against ${server}`, () => {
    let s: Started;
    let outside: Started;
    const captures = async (): Promise<number> => (await readdir(join(s.dir, 'capture')).catch(() => [])).filter((n) => n.endsWith('.json')).length;
    before(async () => {
      s = await start(estate, { server, clientIp: MFP, xclient: false });
      outside = await start(estate, { server, clientIp: '203.0.113.50', xclient: false });
    });
    after(async () => { await s.stop(); await outside.stop(); });

    it('swaks: accepted and captured; to outside: relay denied', async (t) => {
      const swaks = requireTool(t, 'swaks');
      if (swaks === null) return;
      const ok = await run(swaks, ['--server', `127.0.0.1:${s.portOf(25)}`, '--from', FROM, '--to', TO, '--timeout', '20']);
      assert.equal(ok.code, 0, ok.out);
      assert.ok(ok.out.split('\n').some((l) => queued.test(l.replace(/^<- {2}/, ''))), ok.out);
      const denied = await run(swaks, ['--server', `127.0.0.1:${outside.portOf(25)}`, '--from', FROM, '--to', OUTSIDE, '--timeout', '20']);
      assert.notEqual(denied.code, 0);
      assert.ok(denied.out.includes(`<** ${relayDenied}`), denied.out);
    });

    it('python smtplib: sendmail returns no refused recipient; to outside raises SMTPRecipientsRefused with the text', async (t) => {
      const python = requireTool(t, 'python3');
      if (python === null) return;
      const script = `
import smtplib, sys
port, outside = int(sys.argv[1]), int(sys.argv[2])
with smtplib.SMTP('127.0.0.1', port, local_hostname='mfp.example') as smtp:
    refused = smtp.sendmail('${FROM}', ['${TO}'], 'Subject: scan\\r\\n\\r\\nscan\\r\\n')
    print('refused', refused)
with smtplib.SMTP('127.0.0.1', outside, local_hostname='mx.example') as smtp:
    try:
        smtp.sendmail('${FROM}', ['${OUTSIDE}'], 'Subject: out\\r\\n\\r\\nout\\r\\n')
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients['${OUTSIDE}']
        print('denied', code, text.decode())
`;
      const before = await captures();
      const r = await run(python, ['-c', script, String(s.portOf(25)), String(outside.portOf(25))]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /^refused \{\}$/m);
      assert.ok(r.out.includes(`denied ${relayDenied}`), r.out);
      assert.equal(await captures(), before + 1);
    });

    it('curl smtp://: uploads the message; to outside fails with the relay reply', async (t) => {
      const curl = requireTool(t, 'curl');
      if (curl === null) return;
      const file = join(s.dir, 'message.txt');
      await writeFile(file, `From: ${FROM}\r\nTo: ${TO}\r\nSubject: curl\r\n\r\ncurl body\r\n`);
      const before = await captures();
      const ok = await run(curl, ['-sS', '-v', `smtp://127.0.0.1:${s.portOf(25)}`, '--mail-from', FROM, '--mail-rcpt', TO, '--upload-file', file]);
      assert.equal(ok.code, 0, ok.out);
      assert.equal(await captures(), before + 1);
      const denied = await run(curl, ['-sS', '-v', `smtp://127.0.0.1:${outside.portOf(25)}`, '--mail-from', FROM, '--mail-rcpt', OUTSIDE, '--upload-file', file]);
      assert.notEqual(denied.code, 0);
      assert.ok(denied.out.includes(`< ${relayDenied}`), denied.out);
    });

    it('a printer\'s telnet-style session with bare addresses', async () => {
      const c = await RawClient.connect(s.portOf(25));
      assert.match(await c.line(), /^220 /);
      assert.match(await c.command('HELO mfp'), /^250 /);
      assert.equal(await c.command(`MAIL FROM: ${FROM}`), '250 2.1.0 Sender OK');
      assert.equal(await c.command(`RCPT TO: ${TO}`), '250 2.1.5 Recipient OK');
      assert.equal(await c.command('DATA'), '354 Start mail input; end with <CRLF>.<CRLF>');
      assert.match(await c.command('Subject: telnet\r\n\r\nhello\r\n.'), queued);
      assert.equal(await c.command('QUIT'), '221 2.0.0 Service closing transmission channel');
      c.end();
      const d = await RawClient.connect(outside.portOf(25));
      await d.line();
      await d.command('HELO mx');
      assert.equal(await d.command(`MAIL FROM: ${FROM}`), '250 2.1.0 Sender OK');
      assert.equal(await d.command(`RCPT TO: ${OUTSIDE}`), relayDenied);
      d.end();
    });
  });
}
