// The emitted Postfix configuration as a relay to deploy, on real Postfix (a private instance):
// it enforces the Exchange size limits (a message at the largest limit passes, one byte over is
// refused, as replay says), offers STARTTLS on the ports where Exchange offered it and only there,
// listens only on the ports clients use, refuses VRFY, and routes the accepted domains to
// --relayhost.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stableStringify } from '../../src/json.js';
import type { Scenario, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { runScenario } from '../../src/replay/replay.js';
import { SmtpSession } from '../../src/policy/session.js';
import { runCli } from '../helpers/cli.js';
import { postfixEstate } from '../helpers/postfix-estate.js';
import { SmtpLineClient, startPostfix, waitForPort, type PostfixInstance } from '../helpers/postfix.js';
import { findTool } from '../helpers/tools.js';

const run = promisify(execFile);
const PORT_OFFSET = 22000;
const MIB = 1024 * 1024;
/** The largest MaxMessageSize on port 25 (Relay Printers); every other connector has 1 MiB. */
const LARGEST = 3 * MIB;
const postfix = findTool('postfix');
const postconf = findTool('postconf');
const openssl = findTool('openssl');
const missing = postfix === null || postconf === null || openssl === null ? 'postfix or openssl is not installed (CI installs them; see .ci/run)' : null;
if (missing !== null && process.env.CI === 'true') throw new Error('postfix and openssl are required in CI (install them in .ci/run)');

function deployEstate(): Snapshot {
  const snap = postfixEstate();
  for (const c of snap.connectors) {
    c.maxMessageSize = c.name === 'Relay Printers EX01' ? LARGEST : MIB;
    // The application port offers no TLS at all: Postfix must not offer STARTTLS there either.
    if (c.name === 'App v6 EX01') c.authMechanism = [];
  }
  return snap;
}

/** A message of exactly `size` bytes (CRLF line ends, no line starting with a dot). */
function messageOfSize(size: number): string {
  const head = 'From: <sender@corp.example>\r\nTo: <user@corp.example>\r\nSubject: size test\r\n\r\n';
  let body = '';
  const line = `${'x'.repeat(76)}\r\n`;
  while (head.length + body.length + line.length + 3 <= size) body += line;
  const rest = size - head.length - body.length;
  body += `${'y'.repeat(rest - 2)}\r\n`;
  const text = head + body;
  assert.equal(Buffer.byteLength(text), size);
  return text;
}

async function session(port: number, clientIp: string): Promise<{ c: SmtpLineClient; ehlo: string }> {
  const c = await SmtpLineClient.open(port);
  assert.equal((await c.reply())?.code, 220);
  assert.equal((await c.command('EHLO exrelay.test'))?.code, 250);
  assert.equal((await c.command(`XCLIENT ADDR=${clientIp.includes(':') ? `IPV6:${clientIp}` : clientIp}`))?.code, 220);
  const ehlo = await c.command('EHLO client.example');
  assert.equal(ehlo?.code, 250);
  return { c, ehlo: ehlo?.text ?? '' };
}

/** Postfix's final reply code to a message of `size` bytes from `clientIp` on Exchange port 25. */
async function sendToPostfix(clientIp: string, size: number): Promise<number> {
  const { c } = await session(25 + PORT_OFFSET, clientIp);
  try {
    assert.equal((await c.command('MAIL FROM:<sender@corp.example>'))?.code, 250);
    assert.equal((await c.command('RCPT TO:<user@corp.example>'))?.code, 250);
    assert.equal((await c.command('DATA'))?.code, 354);
    const final = await c.command(`${messageOfSize(size)}.`);
    return final?.code ?? 0;
  } finally {
    c.close();
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

describe('emit postfix as a deployable relay, on real Postfix', { skip: missing ?? false }, () => {
  let instance: PostfixInstance | null = null;
  let config = '';

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'exrelay-postfix-deploy-'));
    const snapshotFile = join(dir, 'estate.json');
    await writeFile(snapshotFile, stableStringify(deployEstate()));
    config = join(dir, 'etc');
    const r = await runCli(['emit', 'postfix', snapshotFile, '--server', 'EX01', '--out', config, '--listen', '127.0.0.1',
      '--port-offset', String(PORT_OFFSET), '--relayhost', 'ex16.corp.example:25']);
    assert.equal(r.exitCode, 0, r.stderr);
    // The site certificate the placeholder stands for.
    await run(openssl as string, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=relay.test',
      '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.pem')]);
    // Tests deliver nothing: the transport table is checked below, then taken out of this instance.
    await run(postconf as string, ['-c', config, '-e', `smtpd_tls_cert_file=${join(dir, 'tls.pem')}`, `smtpd_tls_key_file=${join(dir, 'tls.key')}`]);
    instance = await startPostfix(postfix as string, postconf as string, config, dir);
    await waitForPort(25 + PORT_OFFSET);
    await waitForPort(2526 + PORT_OFFSET);
  });

  after(async () => { await instance?.stop(); });

  it('loads cleanly, with VRFY off and the accepted domains routed to --relayhost', async () => {
    assert.ok(instance);
    assert.deepEqual(instance.check.logged, []);
    const main = await readFile(join(config, 'main.cf'), 'utf8');
    assert.match(main, /^disable_vrfy_command = yes$/m);
    assert.match(main, /^transport_maps = texthash:\$config_directory\/transport$/m);
    const transport = await readFile(join(config, 'transport'), 'utf8');
    assert.match(transport, /^\.branch\.corp\.example smtp:\[ex16\.corp\.example\]:25$/m);
    assert.match(transport, /^partner-relay\.example smtp:\[ex16\.corp\.example\]:25$/m);
    const { c } = await session(25 + PORT_OFFSET, '10.20.0.1');
    try {
      assert.equal((await c.command('VRFY user@corp.example'))?.code, 502);
    } finally { c.close(); }
  });

  it('listens on the client ports only: 25, 587 and 2526, not 465, 717 or 2525', async () => {
    for (const port of [465, 717, 2525]) assert.ok(await refused(port + PORT_OFFSET), `port ${port} must not listen`);
    for (const port of [25, 587, 2526]) assert.ok(!(await refused(port + PORT_OFFSET)), `port ${port} must listen`);
  });

  it('offers STARTTLS where Exchange did (port 25) and not where it did not (2526), and the handshake works', async () => {
    const policy = buildPolicy(deployEstate());
    for (const [port, clientIp] of [[25, '10.20.0.1'], [2526, '10.40.0.1']] as const) {
      const ex = new SmtpSession(policy, { server: 'EX01', port, localAddress: null, remoteAddress: clientIp, users: [] });
      assert.equal(ex.connect().code, 220);
      const exchange = ex.ehlo('client.example', true).extensions.join('\n');
      const { c, ehlo } = await session(port + PORT_OFFSET, clientIp);
      c.close();
      assert.equal(/\bSTARTTLS\b/.test(ehlo), /\bSTARTTLS\b/.test(exchange), `port ${port}: Postfix ${JSON.stringify(ehlo)} vs Exchange ${JSON.stringify(exchange)}`);
      assert.equal(/\bSTARTTLS\b/.test(ehlo), port === 25);
    }
    // The handshake itself, with a real TLS client.
    const { stdout } = await run(openssl as string, ['s_client', '-connect', `127.0.0.1:${25 + PORT_OFFSET}`, '-starttls', 'smtp', '-brief'], { timeout: 15000 }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }));
    assert.match(stdout, /CONNECTION ESTABLISHED|Protocol version/i);
  });

  it('a message at the largest Exchange limit passes and one byte over is refused, as replay says', async () => {
    const policy = buildPolicy(deployEstate());
    for (const size of [LARGEST, LARGEST + 1]) {
      const scenario: Scenario = { name: `size ${size}`, clientIp: '10.20.0.1', port: 25, tls: false, auth: null, helo: 'client.example', mailFrom: 'sender@corp.example', rcptTo: ['user@corp.example'], data: messageOfSize(size) };
      const exchange = runScenario(policy, scenario, [], { server: 'EX01' });
      assert.equal(exchange.connector, 'EX01\\Relay Printers EX01');
      const code = await sendToPostfix('10.20.0.1', size);
      assert.equal(code === 250, exchange.outcome === 'accepted', `${size} bytes: Postfix ${code}, replay ${exchange.outcome}`);
      assert.equal(code, size === LARGEST ? 250 : 552);
    }
  });
});
