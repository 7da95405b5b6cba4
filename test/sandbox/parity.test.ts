// Parity: every scenario is played over a real socket against the sandbox (the way replay's
// client would: XCLIENT for the address, EHLO, STARTTLS, AUTH LOGIN, MAIL [SIZE=], RCPT...,
// DATA or BDAT) and each wire reply must equal replay's reply for the same stage — same code,
// enhanced code and text. Only the banner's date and the InternalId (replay: a hash of the
// Message-ID; sandbox: the capture id) differ by design.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scenario, ScenariosDocument, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { extraHeaders, runScenario, scenarioMessage } from '../../src/replay/replay.js';
import { parseScenarios } from '../../src/replay/scenarios.js';
import { formatReply } from '../../src/sandbox/replies.js';
import { decodeSource } from '../../src/source.js';
import { FIXTURES, RawClient, start, type Started } from './helpers.js';

const SCENARIO_DIR = join(FIXTURES, '..', 'scenarios');

function readScenarios(path: string): ScenariosDocument {
  return parseScenarios(decodeSource(path, readFileSync(path))).document;
}
function readSnapshot(path: string): Snapshot {
  return JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
}

/** The scenario's message exactly as replay sizes it (generated text padded, or `data`). */
function messageText(scenario: Scenario): string {
  const { size, messageId } = scenarioMessage(scenario);
  let text = scenario.data !== undefined ? extraHeaders(scenario) + scenario.data.replace(/\r?\n/g, '\r\n')
    : `${extraHeaders(scenario)}From: <${scenario.mailFrom}>\r\nTo: ${scenario.rcptTo.map((r) => `<${r}>`).join(', ')}\r\n`
      + `Subject: exrelay replay: ${scenario.name}\r\nMessage-ID: ${messageId}\r\n\r\nexrelay replay test message\r\n`;
  const missing = size - Buffer.byteLength(text);
  if (missing > 0) text = text.replace(/\r\n$/, `${'x'.repeat(Math.max(0, missing))}\r\n`);
  assert.equal(Buffer.byteLength(text), size, `${scenario.name}: message text sized as replay sizes it`);
  return text;
}

const normalise = (line: string): string => line.replace(/ ready at .*$/, ' ready at <date>').replace(/\[InternalId=\d+,/, '[InternalId=<id>,');

interface Played { lines: string[]; listening: boolean; captured: string | null }

/** Plays one scenario as replay's client does and returns the reply line of each stage. */
async function play(s: Started, scenario: Scenario): Promise<Played> {
  const listener = s.sandbox.listeners.find((l) => l.exchangePort === scenario.port);
  if (listener === undefined) return { lines: [], listening: false, captured: null };
  const c = await RawClient.connect(listener.port);
  const lines: string[] = [];
  let captured: string | null = null;
  // A multi-line reply (EHLO) is compared by its first line, which is what replay records.
  const step = async (command: string): Promise<string> => { const r = await c.command(command); lines.push((r.split('\r\n')[0] ?? '').replace(/^(\d{3})-/, '$1 ')); return r; };
  try {
    await c.line(); // the greeting for the loopback client itself
    const banner = await step(`XCLIENT ADDR=${scenario.clientIp}`);
    if (!banner.startsWith('220')) return { lines, listening: true, captured };
    let ehlo = (await step(`EHLO ${scenario.helo}`)).split('\r\n');
    if (!ehlo[0]?.startsWith('250')) return { lines, listening: true, captured };
    if (scenario.tls) {
      if (!(await step('STARTTLS')).startsWith('220')) return { lines, listening: true, captured };
      await c.startTls();
      ehlo = (await step(`EHLO ${scenario.helo}`)).split('\r\n');
      if (!ehlo[0]?.startsWith('250')) return { lines, listening: true, captured };
    }
    if (scenario.auth !== null) {
      const b64 = (t: string): string => Buffer.from(t).toString('base64');
      let reply = await c.command(`AUTH ${scenario.auth.mechanism}`);
      if (reply === '334 VXNlcm5hbWU6') reply = await c.command(b64(scenario.auth.user));
      if (reply === '334 UGFzc3dvcmQ6') reply = await c.command(b64(scenario.auth.password));
      lines.push(reply);
      if (!reply.startsWith('235')) return { lines, listening: true, captured };
    }
    const message = messageText(scenario);
    const extensions = ehlo.map((l) => l.slice(4));
    const sendsSize = (scenario.messageSize !== undefined || scenario.data !== undefined) && extensions.some((x) => x === 'SIZE' || x.startsWith('SIZE '));
    for (let n = 0; n < (scenario.repeat ?? 1); n++) {
      if (!(await step(`MAIL FROM:<${scenario.mailFrom}>${sendsSize ? ` SIZE=${Buffer.byteLength(message)}` : ''}`)).startsWith('250')) return { lines, listening: true, captured: null };
      let accepted = 0;
      for (const to of scenario.rcptTo) {
        if ((await step(`RCPT TO:<${to}>`)).startsWith('250')) accepted++;
        if (c.closed || (await c.closedByServer(50))) return { lines, listening: true, captured: null };
      }
      if (accepted === 0) return { lines, listening: true, captured: null };
      let final: string;
      if (scenario.bdat === true && extensions.includes('CHUNKING')) {
        c.write(`BDAT ${Buffer.byteLength(message)} LAST\r\n${message}`);
        final = await c.line();
      } else {
        if (!(await step('DATA')).startsWith('354')) return { lines, listening: true, captured: null };
        final = await c.command(`${message.replace(/^\./gm, '..')}.`);
      }
      lines.push(final);
      if (!final.startsWith('250')) return { lines, listening: true, captured: null };
      captured = /InternalId=(\d+)/.exec(final)?.[1] ?? null;
    }
    return { lines, listening: true, captured };
  } finally {
    c.end();
  }
}

interface Case { title: string; snapshot: string; scenarios: string }

/** Every scenarios document in fixtures/scenarios against its estates, plus the sandbox's own set. */
function cases(): Case[] {
  const out: Case[] = [
    { title: 'sandbox parity set', snapshot: join(FIXTURES, 'estate-2019.snapshot.json'), scenarios: join(FIXTURES, 'parity.scenarios.json') },
    { title: 'round 2: hub checks and role conflict (2016)', snapshot: join(FIXTURES, 'role-conflict-2016.snapshot.json'), scenarios: join(FIXTURES, 'round2.scenarios.json') },
    { title: 'round 2 on 2019', snapshot: join(FIXTURES, 'estate-2019.snapshot.json'), scenarios: join(FIXTURES, 'round2.scenarios.json') },
    { title: 'connector limits on a default 2016 install', snapshot: join(FIXTURES, '..', 'defaults', 'exchange-2016.json'), scenarios: join(FIXTURES, 'limits.scenarios.json') },
  ];
  let names: string[] = [];
  try { names = readdirSync(SCENARIO_DIR); } catch { return out; }
  const snapshots = names.filter((n) => n.endsWith('.snapshot.json'));
  const seen = new Set<string>();
  for (const name of names.filter((n) => /\.(json|ya?ml)$/.test(n) && !n.endsWith('.snapshot.json'))) {
    const path = join(SCENARIO_DIR, name);
    let key: string;
    try { key = JSON.stringify(readScenarios(path)); } catch { continue; } // deliberately invalid documents are replay's business
    if (seen.has(key)) continue; // the same scenarios in another syntax (relay.yaml = relay.json)
    seen.add(key);
    for (const snap of snapshots) out.push({ title: `${name} on ${snap}`, snapshot: join(SCENARIO_DIR, snap), scenarios: path });
  }
  return out;
}

for (const kase of cases()) {
  describe(`parity with replay: ${kase.title}`, () => {
    const snapshot = readSnapshot(kase.snapshot);
    const doc = readScenarios(kase.scenarios);
    const policy = buildPolicy(snapshot);
    const servers = [...new Set(snapshot.servers.map((x) => x.name))];
    const sandboxes = new Map<string, Started>();
    before(async () => {
      for (const server of servers) sandboxes.set(server.toLowerCase(), await start(snapshot, { server, users: doc.users }));
    });
    after(async () => { for (const s of sandboxes.values()) await s.stop(); });

    for (const scenario of doc.scenarios) {
      const server = scenario.server ?? (servers.length === 1 ? servers[0] : undefined);
      if (server === undefined) continue;
      it(scenario.name, async () => {
        const s = sandboxes.get(server.toLowerCase());
        assert.ok(s);
        const expected = runScenario(policy, scenario, doc.users, { server });
        const played = await play(s, scenario);
        if (expected.outcome === 'refused' && expected.replies.length === 0) {
          assert.equal(played.listening, false, 'replay: nothing listens on that port; the sandbox has no listener for it');
          return;
        }
        assert.deepEqual(played.lines.map(normalise), expected.replies.map((r) => normalise(formatReply(r))));
        if (expected.outcome === 'accepted') {
          assert.ok(played.captured !== null);
          await access(join(s.dir, 'capture', `${played.captured}.eml`));
        } else {
          assert.equal(played.captured, null);
        }
      });
    }
  });
}
