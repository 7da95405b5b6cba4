// Real Postfix, loaded with what `exrelay emit postfix` writes, answers each recipient of each
// scenario the way `replay` (the Exchange engine) does: accepted or not.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stableStringify } from '../../src/json.js';
import { buildPolicy } from '../../src/policy/index.js';
import { runScenario } from '../../src/replay/replay.js';
import { runCli } from '../helpers/cli.js';
import { postfixEstate, postfixScenarios } from '../helpers/postfix-estate.js';
import { SmtpLineClient, startPostfix, waitForPort, type PostfixInstance } from '../helpers/postfix.js';
import { findTool } from '../helpers/tools.js';

const PORT_OFFSET = 21000;
const postfix = findTool('postfix');
const postconf = findTool('postconf');
const missing = postfix === null || postconf === null ? 'postfix is not installed (CI installs it; see .ci/run)' : null;
if (missing !== null && process.env.CI === 'true') throw new Error('postfix is required in CI (install it in .ci/run)');

/** Per recipient: did Postfix accept it (2xx)? Plays the envelope with XCLIENT from loopback. */
async function playAgainstPostfix(port: number, clientIp: string, mailFrom: string, rcptTo: string[]): Promise<boolean[]> {
  const c = await SmtpLineClient.open(port);
  try {
    const greeting = await c.reply();
    assert.equal(greeting?.code, 220);
    assert.equal((await c.command('EHLO exrelay.test'))?.code, 250);
    const addr = clientIp.includes(':') ? `IPV6:${clientIp}` : clientIp;
    const xclient = await c.command(`XCLIENT ADDR=${addr}`);
    assert.equal(xclient?.code, 220, `XCLIENT accepted: ${JSON.stringify(xclient)}`);
    assert.equal((await c.command('EHLO client.example'))?.code, 250);
    const mail = await c.command(`MAIL FROM:<${mailFrom}>`);
    if (mail === null || mail.code !== 250) return rcptTo.map(() => false);
    const accepted: boolean[] = [];
    for (const rcpt of rcptTo) {
      const reply = await c.command(`RCPT TO:<${rcpt}>`);
      accepted.push(reply !== null && reply.code >= 200 && reply.code < 300);
    }
    await c.command('QUIT');
    return accepted;
  } finally {
    c.close();
  }
}

describe('emit postfix against real Postfix', { skip: missing ?? false }, () => {
  let instance: PostfixInstance | null = null;
  let dir = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exrelay-postfix-'));
    const snapshotFile = join(dir, 'estate.json');
    await writeFile(snapshotFile, stableStringify(postfixEstate()));
    const config = join(dir, 'etc');
    const r = await runCli(['emit', 'postfix', snapshotFile, '--server', 'EX01', '--out', config, '--listen', '127.0.0.1', '--port-offset', String(PORT_OFFSET)]);
    assert.equal(r.exitCode, 0, r.stderr);
    instance = await startPostfix(postfix as string, postconf as string, config, dir);
    await waitForPort(25 + PORT_OFFSET);
    await waitForPort(2526 + PORT_OFFSET);
  });

  after(async () => { await instance?.stop(); });

  it('loads cleanly: postfix check reports nothing', () => {
    assert.ok(instance);
    assert.equal(instance.check.stdout, '');
    assert.equal(instance.check.stderr, '');
    assert.deepEqual(instance.check.logged, []);
  });

  it('accepts and rejects every recipient of every scenario exactly as replay does', async () => {
    const policy = buildPolicy(postfixEstate());
    const scenarios = postfixScenarios();
    let compared = 0;
    let acceptedSomewhere = 0;
    for (const scenario of scenarios) {
      const result = runScenario(policy, scenario, [], { server: 'EX01' });
      const expected = scenario.rcptTo.map((rcpt) => {
        if (result.outcome === 'refused') return false;
        const r = result.recipients.find((x) => x.address === rcpt);
        return r !== undefined && r.code >= 200 && r.code < 300;
      });
      const actual = await playAgainstPostfix(scenario.port + PORT_OFFSET, scenario.clientIp, scenario.mailFrom, scenario.rcptTo);
      assert.deepEqual(actual, expected, `${scenario.name}: Postfix ${JSON.stringify(actual)} vs replay ${JSON.stringify(expected)} (${result.connector ?? 'no connector'})`);
      compared += expected.length;
      acceptedSomewhere += expected.filter(Boolean).length;
    }
    // The estate must exercise both answers, or the comparison proves nothing.
    assert.ok(acceptedSomewhere > 10 && acceptedSomewhere < compared - 10, `accepted ${acceptedSomewhere} of ${compared}`);
  });
});
