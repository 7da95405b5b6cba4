// emit exo: the Exchange Online script an exit plan needs. Checked with the real PowerShell
// grammar (one test per plan path), hostile plan values stay inert (as migrate's), and the
// instruction sheet says per sender where to send and how.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { PlanDocument, PlanPath, PlanSender, Snapshot } from '../../src/model.js';
import { InputError } from '../../src/errors.js';
import { parsePlanDocument } from '../../src/policy/plan-file.js';
import { EXO_MARK, planExo, renderExoScript, renderExoSheet, sheetFileFor } from '../../src/emitters/powershell/exo.js';
import { HVE_HOST, IP_CONNECTOR_NAME } from '../../src/policy/exo-tenant.js';
import { commandElements, commandName, commandNodes, parsePowerShell, type SyntaxNode } from '../../src/powershell/grammar.js';
import { psQuote, psUnquoteVerbatim } from '../../src/powershell/quote.js';

const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url);
const readPlan = (name: string): PlanDocument => parsePlanDocument(readFileSync(fixture(`plans/${name}`), 'utf8'), name);
const estate = JSON.parse(readFileSync(fixture('migrate/estate-2010-2016.snapshot.json'), 'utf8')) as Snapshot;
const m365 = readPlan('m365.plan.json');

function onlyPath(path: PlanPath): PlanDocument {
  return { ...m365, senders: m365.senders.filter((s) => s.path === path) };
}

function script(plan: PlanDocument, snapshot: Snapshot = estate): string {
  return renderExoScript(planExo(snapshot, plan), { planFile: 'plan.json', inputs: ['exports/'], sheetFile: 'exo-senders.csv' });
}

/** The commands of a script with their parameters (name → argument text, '' for a switch). */
async function commands(text: string): Promise<Array<{ name: string; params: Map<string, string>; node: SyntaxNode }>> {
  assert.ok(text.startsWith('\uFEFF'), 'written with a BOM');
  const { tree, errors } = await parsePowerShell(text.slice(1));
  assert.deepEqual(errors, [], 'the script parses with the PowerShell grammar');
  return commandNodes(tree.rootNode).map((node) => {
    const params = new Map<string, string>();
    let last: string | null = null;
    for (const el of commandElements(node)) {
      if (el.kind === 'parameter') { last = el.name.toLowerCase(); params.set(last, ''); } else if (last !== null) { params.set(last, el.node.text); last = null; }
    }
    return { name: commandName(node), params, node };
  });
}

const CHANGES = new Set(['New-InboundConnector', 'Set-InboundConnector', 'New-MailUser']);
const READS = new Set(['Get-InboundConnector', 'Get-MailUser', 'Get-Recipient']);

async function assertExchangeCallsGuarded(text: string): Promise<void> {
  for (const c of await commands(text)) {
    if (CHANGES.has(c.name)) {
      assert.equal(c.params.get('erroraction'), 'Stop', `${c.name} carries -ErrorAction Stop`);
      assert.equal(c.params.get('whatif'), '$WhatIfPreference', `${c.name} passes -WhatIf through`);
    }
    if (READS.has(c.name)) assert.ok(c.params.has('erroraction'), `${c.name} says what an error does`);
  }
}

test('the script has a script-level CmdletBinding(SupportsShouldProcess) param block, so -WhatIf reaches every change', async () => {
  const text = script(m365);
  const { tree } = await parsePowerShell(text.slice(1));
  const blocks = tree.rootNode.descendantsOfType('param_block').filter((n): n is SyntaxNode => n !== null);
  assert.equal(blocks.length, 1);
  assert.match(blocks[0]?.text ?? '', /^\[CmdletBinding\(SupportsShouldProcess\)\]\s*param\(\)/);
  await assertExchangeCallsGuarded(text);
});

test('connector-ip: one OnPremises inbound connector lists every dedicated egress address, restricted to them', async () => {
  const text = script(onlyPath('connector-ip'));
  const all = await commands(text);
  const created = all.filter((c) => c.name === 'New-InboundConnector');
  assert.equal(created.length, 1);
  const p = created[0]?.params ?? new Map<string, string>();
  assert.equal(p.get('name'), psQuote(IP_CONNECTOR_NAME));
  assert.equal(p.get('connectortype'), 'OnPremises');
  assert.equal(p.get('senderipaddresses'), "@('198.51.100.20','198.51.100.21')");
  assert.equal(p.get('restrictdomainstoipaddresses'), '$true');
  assert.equal(p.get('comment'), psQuote(EXO_MARK));
  // A re-run adds missing addresses to the listed ones; it never replaces them.
  const update = all.find((c) => c.name === 'Set-InboundConnector');
  assert.equal(update?.params.get('senderipaddresses'), '@($listed + $missing)');
  assert.ok(all.some((c) => c.name === 'Get-InboundConnector' && c.params.get('erroraction') === 'SilentlyContinue'), 'absent means create');
  assert.ok(!all.some((c) => c.name === 'New-MailUser'));
  await assertExchangeCallsGuarded(text);
});

test('connector-certificate: an OnPremises inbound connector per certificate name, TLS required and restricted to the certificate', async () => {
  const text = script(onlyPath('connector-certificate'));
  const created = (await commands(text)).filter((c) => c.name === 'New-InboundConnector');
  assert.equal(created.length, 1);
  const p = created[0]?.params ?? new Map<string, string>();
  assert.equal(p.get('connectortype'), 'OnPremises');
  assert.equal(p.get('tlssendercertificatename'), "'relay.corp.example'");
  assert.equal(p.get('requiretls'), '$true');
  assert.equal(p.get('restrictdomainstocertificate'), '$true');
  assert.ok(!p.has('senderipaddresses'));
  await assertExchangeCallsGuarded(text);
});

test('connector-certificate without a certificate name: no connector, a warning, and the sheet says what is missing', () => {
  const plan = onlyPath('connector-certificate');
  const bare: PlanSender = { ...(plan.senders[0] as PlanSender) };
  delete bare.tlsCertificateName;
  const exo = planExo(estate, { ...plan, senders: [bare] });
  assert.deepEqual(exo.certificateConnectors, []);
  assert.match(exo.warnings.join('\n'), /no tlsCertificateName/);
  assert.match(exo.rows[0]?.check ?? '', /tlsCertificateName/);
});

test('high-volume-email: an HVE account per application in the sender\'s accepted domain, created only when absent', async () => {
  const text = script(onlyPath('high-volume-email'));
  const all = await commands(text);
  const created = all.filter((c) => c.name === 'New-MailUser');
  assert.equal(created.length, 1);
  const p = created[0]?.params ?? new Map<string, string>();
  assert.ok(p.has('hveaccount'), 'New-MailUser -HVEAccount');
  assert.equal(p.get('primarysmtpaddress'), "'hve-scan-to-mail@corp.example'");
  assert.equal(p.get('name'), "'HVE Scan to mail'");
  assert.equal(p.get('password'), '$password');
  assert.ok(all.some((c) => c.name === 'Get-MailUser' && c.params.has('hveaccount')), 'existing HVE accounts are read first');
  assert.ok(!all.some((c) => c.name === 'New-InboundConnector'));
  await assertExchangeCallsGuarded(text);
});

for (const path of ['client-submission-oauth', 'client-submission-basic', 'azure-communication-services', 'keep-on-premises'] as const) {
  test(`${path}: nothing is created in the tenant, only the sender's row of the sheet`, async () => {
    const plan = onlyPath(path);
    assert.equal(plan.senders.length, 1);
    const text = script(plan);
    const names = (await commands(text)).map((c) => c.name);
    for (const n of names) assert.ok(!CHANGES.has(n), `${n} in a script for ${path}`);
    const exo = planExo(estate, plan);
    assert.equal(exo.rows.length, 1);
  });
}

test('the sheet: host, port, TLS and authentication per sender, the MX host derived from the default accepted domain and marked to check', () => {
  const exo = planExo(estate, m365);
  const byIp = new Map(exo.rows.map((r) => [r.remoteIp, r]));
  assert.equal(exo.mxHost, 'corp-example.mail.protection.outlook.com');
  const ip = byIp.get('10.1.1.20');
  assert.equal(ip?.host, 'corp-example.mail.protection.outlook.com');
  assert.equal(ip?.port, '25');
  assert.match(ip?.auth ?? '', /198\.51\.100\.20/);
  assert.match(ip?.check ?? '', /derived from corp\.example: check/);
  assert.equal(byIp.get('10.1.2.5')?.host, 'corp-example.mail.protection.outlook.com');
  assert.equal(byIp.get('10.9.9.40')?.host, HVE_HOST);
  assert.equal(byIp.get('10.9.9.40')?.port, '587');
  assert.equal(byIp.get('10.5.3.4')?.host, 'smtp.office365.com');
  assert.match(byIp.get('10.5.3.4')?.auth ?? '', /OAuth/);
  assert.match(byIp.get('10.5.3.5')?.auth ?? '', /Basic/);
  assert.match(byIp.get('10.5.3.4')?.blockers ?? '', /^basic-auth: /);
  assert.equal(byIp.get('10.200.0.1')?.host, 'smtp.azurecomm.net');
  assert.equal(byIp.get('10.7.7.7')?.host, 'ex10.corp.example');
  const csv = renderExoSheet(exo);
  assert.equal(csv.split('\r\n').length - 2, m365.senders.length, 'a header and one line per sender');
  assert.ok(csv.startsWith('remoteIp,connector,owner,application,path,host,port,tls,auth,check,blockers\r\n'));
  assert.equal(sheetFileFor('out/exo.ps1'), 'out/exo-senders.csv');
});

test('without a default accepted domain the MX host is a placeholder the sheet tells to look up', () => {
  const exo = planExo({ ...estate, acceptedDomains: [] }, onlyPath('connector-ip'));
  assert.equal(exo.mxHost, '<tenant>.mail.protection.outlook.com');
  assert.match(exo.rows[0]?.check ?? '', /no default accepted domain/);
});

test('connector-ip without an egress address: not added to the connector, warned', () => {
  const plan = onlyPath('connector-ip');
  const exo = planExo(estate, { ...plan, senders: [{ ...(plan.senders[0] as PlanSender), egressIp: null }] });
  assert.equal(exo.ipConnector, null);
  assert.match(exo.warnings[0] ?? '', /no dedicated egress address/);
});

// ---------------------------------------------------------------- hostile values

const hostilePlan = readPlan('hostile.plan.json');
const hostileSnapshot: Snapshot = { ...estate, acceptedDomains: [{ domainName: "corp'$(evil).example", domainType: 'Authoritative', default: true }, ...estate.acceptedDomains] };
const hostileScript = script(hostilePlan, hostileSnapshot);

function insideScriptBlock(node: SyntaxNode): boolean {
  for (let p = node.parent; p !== null; p = p.parent) if (p.type === 'script_block_expression') return true;
  return false;
}

test('hostile plan values: the script parses and runs only the expected commands', async () => {
  const allowed = new Set([...CHANGES, ...READS, 'Get-Command', 'Write-Host', 'Write-Warning', 'Read-Host', 'Where-Object', 'ForEach-Object']);
  const names = (await commands(hostileScript)).map((c) => c.name);
  for (const n of names) assert.ok(allowed.has(n), `unexpected command ${JSON.stringify(n)}`);
  assert.ok(names.includes('New-InboundConnector') && names.includes('New-MailUser'));
  await assertExchangeCallsGuarded(hostileScript);
});

test('hostile plan values: no expandable string or sub-expression, every literal reads back as written', async () => {
  const { tree } = await parsePowerShell(hostileScript.slice(1));
  for (const type of ['expandable_string_literal', 'expandable_here_string_literal', 'sub_expression']) {
    const found = tree.rootNode.descendantsOfType(type).filter((n): n is SyntaxNode => n !== null && !insideScriptBlock(n));
    assert.deepEqual(found.map((n) => n.text), [], `${type} in the script`);
  }
  const literals = tree.rootNode.descendantsOfType('verbatim_string_characters').filter((n): n is SyntaxNode => n !== null);
  for (const lit of literals) assert.equal(psQuote(psUnquoteVerbatim(lit.text)), lit.text);
  const values = new Set(literals.map((l) => psUnquoteVerbatim(l.text)));
  const certificate = hostilePlan.senders.find((s) => s.path === 'connector-certificate')?.tlsCertificateName ?? '';
  assert.ok(values.has(certificate), 'the certificate name is exactly one literal');
  // The HVE name is the customer's application (truncated to 64 characters), quoted whole.
  const hve = planExo(hostileSnapshot, hostilePlan).hveAccounts[0];
  assert.ok(hve !== undefined && values.has(hve.name));
  assert.match(hve.address, /^hve-[a-z0-9-]+@corp\.example$/, 'the HVE address is built from letters, digits and hyphens in an accepted domain');
});

test('hostile plan values: comments never carry a raw newline, so nothing after one can run', () => {
  for (const line of hostileScript.split('\n')) {
    if (line.includes('Remove-Item') || line.includes('Remove-InboundConnector')) {
      assert.ok(line.trimStart().startsWith('#') || /'[^']*Remove-/.test(line), `line runs customer text: ${line}`);
    }
  }
});

test('hostile plan values: the sheet keeps formula-looking cells as text and quotes newlines', () => {
  const csv = renderExoSheet(planExo(hostileSnapshot, hostilePlan));
  assert.ok(csv.includes(`"'=HYPERLINK(""http://x"")"`), 'a leading = is made text');
  assert.ok(csv.includes("'+cmd|' /C calc'!A0"), 'a leading + is made text');
  assert.ok(!/(^|,)[=+@]/m.test(csv));
});

// ---------------------------------------------------------------- reading the plan

test('a plan that is not exrelay.plan/1, or has a bad field, is one InputError naming the file and the field', () => {
  const bad = (text: string) => assert.throws(() => parsePlanDocument(text, 'p.json'), (e: unknown) => e instanceof InputError && e.file === 'p.json' && !e.message.includes('\n'));
  bad('not json');
  bad('{"schema":"exrelay.findings/1","senders":[]}');
  bad('{"schema":"exrelay.plan/1","target":"m365"}');
  bad('{"schema":"exrelay.plan/1","target":"mars","senders":[]}');
  bad('{"schema":"exrelay.plan/1","target":"m365","senders":[{"remoteIp":"10.0.0.1","path":"teleport"}]}');
  bad('{"schema":"exrelay.plan/1","target":"m365","senders":[{"remoteIp":"10.0.0.300","path":"connector-ip"}]}');
  bad('{"schema":"exrelay.plan/1","target":"m365","senders":[{"remoteIp":"10.0.0.1","path":"connector-ip","egressIp":"nowhere"}]}');
  assert.throws(() => parsePlanDocument('{"schema":"exrelay.plan/1","target":"m365","senders":[{"remoteIp":"10.0.0.1","path":"teleport"}]}', 'p.json'), /senders\[0\]\.path/);
});
