// The report's view builder: what the page will say, checked on the model (no HTML parsing).
import assert from 'node:assert/strict';
import { RULE_INFO } from '../../src/analyzers/rules/index.js';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { buildReportView, parseReplayComparison, renderReportHtml } from '../../src/emitters/report/index.js';
import { riskScore } from '../../src/emitters/report/view.js';
import type { Finding, FindingsDocument, Severity, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { psQuote } from '../../src/powershell/quote.js';
import { anonymousRelay, connector, defaultInstall, estate, range } from '../helpers/build.js';

const NOW = new Date('2026-06-01T12:00:00Z');

function finding(over: Partial<Finding> & Pick<Finding, 'rule' | 'severity'>): Finding {
  return {
    server: 'EX01', connector: null, title: `${over.rule} title`, message: 'message', evidence: {},
    remediation: 'Review it.', references: [], ...over,
  };
}

function doc(findings: Finding[], extra: Partial<FindingsDocument> = {}): FindingsDocument {
  const summary = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) summary[f.severity] += 1;
  return { schema: 'exrelay.findings/1', summary, findings, ...extra };
}

/** A 2016 server with a relay open to a public /24, a printer relay and a weak client connector. */
function demoEstate(): Snapshot {
  return estate(
    defaultInstall('2016', { server: 'EX01', ipAddress: '10.0.0.10' }),
    anonymousRelay({ identity: 'EX01\\Legacy Relay EX01', name: 'Legacy Relay EX01', server: 'EX01', transportRole: 'FrontendTransport',
      remoteIPRanges: [range('192.0.2.0/24')] }),
    anonymousRelay({ identity: 'EX01\\Printers EX01', name: 'Printers EX01', server: 'EX01', transportRole: 'FrontendTransport',
      remoteIPRanges: [range('10.1.40.0/28'), range('10.1.41.15')] }),
    connector({ identity: 'EX01\\Handhelds EX01', name: 'Handhelds EX01', server: 'EX01', transportRole: 'FrontendTransport',
      bindings: [{ address: '10.0.0.10', port: 587 }], remoteIPRanges: [range('10.1.50.0/24')], permissionGroups: ['ExchangeUsers'],
      authMechanism: ['BasicAuth'] }),
  );
}

function demoFindings(): FindingsDocument {
  return doc([
    finding({ rule: 'protocol-logging-disabled', severity: 'low', connector: 'EX01\\Printers EX01' }),
    finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: 'EX01\\Legacy Relay EX01',
      evidence: { publicRanges: [{ expression: '192.0.2.0/24', first: '192.0.2.0', last: '192.0.2.255' }], addresses: '16777216' },
      remediation: "Set-ReceiveConnector -Identity 'EX01\\Legacy Relay EX01' -RemoteIPRanges @{Remove='192.0.2.0/24'}",
      references: ['https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay', 'javascript:alert(1)'] }),
    finding({ rule: 'basic-auth-without-tls', severity: 'high', connector: 'EX01\\Handhelds EX01', remediation: 'Require TLS for <identity>.' }),
    finding({ rule: 'anonymous-relay-inventory', severity: 'info', connector: 'EX01\\Printers EX01' }),
    finding({ rule: 'wildcard-accepted-domain', severity: 'critical', server: null, connector: null }),
  ], {
    accepted: [{ finding: finding({ rule: 'tls-not-offered', severity: 'medium', connector: 'EX01\\Handhelds EX01' }), reason: 'handhelds cannot do TLS; replaced Q3', expires: '2026-01-31' }],
    notRun: [{ rule: 'load-balancer-in-relay-range', missing: 'load balancer addresses', export: '--load-balancers IP,...' }],
  });
}

function view(snapshot = demoEstate(), findings = demoFindings(), replay?: unknown) {
  return buildReportView({ rules: RULE_INFO, snapshot, findings, policy: buildPolicy(snapshot), generatedAt: NOW, ...(replay === undefined ? {} : { replay }) });
}

describe('report view: summary', () => {
  it('counts findings by severity and rates the estate by its worst finding', () => {
    const v = view();
    assert.deepEqual(v.summary.counts.map((c) => [c.severity, c.count]), [['critical', 2], ['high', 1], ['medium', 0], ['low', 1], ['info', 1]]);
    assert.equal(v.summary.rating, 'Critical');
    assert.ok(v.summary.score >= 70 && v.summary.score <= 100, `score ${v.summary.score}`);
    assert.equal(v.summary.total, 5);
  });

  it('names at most three things to fix first, worst first, never an informational one', () => {
    const v = view();
    assert.equal(v.summary.topFixes.length, 3);
    assert.deepEqual(v.summary.topFixes.map((f) => f.severity), ['critical', 'critical', 'high']);
    assert.ok(v.summary.topFixes.every((f) => f.action.length > 0 && f.why.length > 0));
    assert.equal(v.summary.topFixes[2]?.where, 'EX01\\Handhelds EX01');
  });

  it('merges the same fix on the same connector of several servers into one', () => {
    const s = estate(
      defaultInstall('2016', { server: 'EX01', ipAddress: '10.0.0.10' }), defaultInstall('2016', { server: 'EX02', ipAddress: '10.0.0.11' }),
      anonymousRelay({ identity: 'EX01\\Relay EX01', name: 'Relay EX01', server: 'EX01', transportRole: 'FrontendTransport', remoteIPRanges: [range('192.0.2.0/24')] }),
      anonymousRelay({ identity: 'EX02\\Relay EX02', name: 'Relay EX02', server: 'EX02', transportRole: 'FrontendTransport', remoteIPRanges: [range('192.0.2.0/24')] }),
    );
    const d = doc([
      finding({ rule: 'anonymous-open-relay', severity: 'critical', server: 'EX01', connector: 'EX01\\Relay EX01' }),
      finding({ rule: 'anonymous-open-relay', severity: 'critical', server: 'EX02', connector: 'EX02\\Relay EX02' }),
    ]);
    const v = view(s, d);
    assert.equal(v.summary.topFixes.length, 1);
    assert.equal(v.summary.topFixes[0]?.where, 'Relay (EX01, EX02)');
  });

  it('words a broad private relay differently from one open to the internet', () => {
    const v = view(demoEstate(), doc([
      finding({ rule: 'anonymous-open-relay', severity: 'high', connector: 'EX01\\Printers EX01' }),
      finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: 'EX01\\Legacy Relay EX01' }),
    ]));
    assert.deepEqual(v.summary.topFixes.map((f) => f.action), ['Close the anonymous relay to untrusted addresses', 'Narrow the anonymous relay to the dedicated hosts that need it']);
    assert.equal(v.organisation, 'corp.example');
  });

  it('says there is nothing to fix when only informational findings exist', () => {
    const v = view(demoEstate(), doc([finding({ rule: 'disabled-connector', severity: 'info', connector: 'EX01\\Printers EX01' })]));
    assert.equal(v.summary.score, 0);
    assert.equal(v.summary.rating, 'Minimal');
    assert.deepEqual(v.summary.topFixes, []);
  });

  it('scores within the band of the worst severity and grows with the number of findings', () => {
    const counts = (over: Partial<Record<Severity, number>>): Record<Severity, number> => ({ critical: 0, high: 0, medium: 0, low: 0, info: 0, ...over });
    assert.equal(riskScore(counts({}), null), 0);
    const oneHigh = riskScore(counts({ high: 1 }), 'high');
    const manyHigh = riskScore(counts({ high: 12 }), 'high');
    assert.ok(oneHigh >= 45 && manyHigh <= 69 && manyHigh > oneHigh, `${oneHigh} ${manyHigh}`);
    assert.ok(riskScore(counts({ critical: 1 }), 'critical') >= 70);
    assert.ok(riskScore(counts({ low: 3 }), 'low') < 20);
  });
});

describe('report view: findings', () => {
  it('groups findings by severity, then by rule, every place listed inside its rule\'s card', () => {
    const v = view();
    assert.deepEqual(v.groups.map((g) => g.severity), ['critical', 'high', 'low', 'info']);
    const critical = v.groups[0];
    assert.deepEqual(critical?.rules.map((r) => [r.rule, r.affected.map((a) => a.place)]), [
      ['anonymous-open-relay', ['EX01\\Legacy Relay EX01']], ['wildcard-accepted-domain', ['Organisation-wide']],
    ]);
    const anchors = v.groups.flatMap((g) => g.rules.flatMap((r) => r.affected.map((f) => f.anchor)));
    assert.equal(new Set(anchors).size, 5, 'every finding has its own anchor');
    assert.ok(anchors.every((a) => /^f-\d+$/.test(a)));
  });

  it('makes one card of nine connectors with the same finding, the shared advice written once', () => {
    const names = Array.from({ length: 9 }, (_, i) => `EX01\\Relay ${i + 1}`);
    const s = estate(defaultInstall('2016', { server: 'EX01', ipAddress: '10.0.0.10' }),
      ...names.map((identity, i) => anonymousRelay({ identity, name: identity.slice(5), server: 'EX01', transportRole: 'FrontendTransport',
        bindings: [{ address: '0.0.0.0', port: 2600 + i }], remoteIPRanges: [range(`10.9.${i}.0/28`)] })));
    const v = view(s, doc(names.map((identity) => finding({ rule: 'anonymous-sender-spoofing', severity: 'low', connector: identity,
      message: `${identity}: anonymous holds ms-Exch-SMTP-Accept-Any-Sender`, evidence: { transportRole: 'FrontendTransport', connector: identity },
      remediation: `Get-ReceiveConnector -Identity ${psQuote(identity)} | Remove-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Sender'` }))));
    const cards = v.groups.flatMap((g) => g.rules);
    assert.equal(cards.length, 1, 'one card');
    const card = cards[0];
    assert.deepEqual(card?.affected.map((a) => a.connector), names);
    assert.equal(card?.affectedText, '9 connectors');
    assert.equal(card?.sharedPowershell, "Get-ReceiveConnector -Identity '<connector>' | Remove-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Sender'");
    assert.ok(card?.affected.every((a) => a.powershell === null), 'the script is not repeated on every row');
    assert.deepEqual(card?.commonEvidence, [{ label: 'Transport role', values: ['FrontendTransport'] }], 'what every row shares is said once');
    assert.deepEqual(card?.affected[0]?.evidence, [{ label: 'Connector', values: [names[0]] }]);
    assert.equal(card?.affected[0]?.rowMessage, 'anonymous holds ms-Exch-SMTP-Accept-Any-Sender', 'the row names the connector; the message need not');
  });

  it('keeps rule-written PowerShell whole and fills the identity into prose remediations', () => {
    const v = view();
    const all = v.groups.flatMap((g) => g.rules.flatMap((r) => r.affected));
    const relay = all.find((f) => f.rule === 'anonymous-open-relay');
    assert.equal(relay?.powershell, "Set-ReceiveConnector -Identity 'EX01\\Legacy Relay EX01' -RemoteIPRanges @{Remove='192.0.2.0/24'}");
    assert.equal(relay?.remediation, '');
    const basic = all.find((f) => f.rule === 'basic-auth-without-tls');
    const basicCard = v.groups.flatMap((g) => g.rules).find((r) => r.rule === 'basic-auth-without-tls');
    assert.equal(basicCard?.remediation, "Require TLS for 'EX01\\Handhelds EX01'.", 'one place: the advice is the card\'s');
    // The commands are the rule's (its remediation); the report adds none of its own.
    assert.equal(basic?.powershell, null);
  });

  it('renders evidence values readably and links only http(s) references', () => {
    const all = view().groups.flatMap((g) => g.rules.flatMap((r) => r.affected));
    const relay = all.find((f) => f.rule === 'anonymous-open-relay');
    assert.deepEqual(relay?.evidence, [
      { label: 'Public ranges', values: ['192.0.2.0/24'] },
      { label: 'Addresses', values: ['16,777,216'] },
    ]);
    assert.deepEqual(relay?.references.map((r) => r.href), ['https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay', null]);
  });

  it('shows where the anonymous rights come from (group and explicit AD entry)', () => {
    const all = view().groups.flatMap((g) => g.rules.flatMap((r) => r.affected));
    const relay = all.find((f) => f.rule === 'anonymous-open-relay');
    const anyRecipient = relay?.rights.find((r) => r.right === 'ms-Exch-SMTP-Accept-Any-Recipient');
    assert.equal(anyRecipient?.allowed, true);
    assert.ok(anyRecipient?.sources.some((s) => /AD entry for NT AUTHORITY\\ANONYMOUS LOGON \(explicit\)/.test(s)), JSON.stringify(anyRecipient));
    const submit = relay?.rights.find((r) => r.right === 'ms-Exch-SMTP-Submit');
    assert.ok(submit?.sources.some((s) => s.includes('permission group AnonymousUsers')), JSON.stringify(submit));
  });

  it('lists accepted risks with their expiry and the checks that could not run', () => {
    const v = view();
    assert.equal(v.accepted.length, 1);
    assert.equal(v.accepted[0]?.reason, 'handhelds cannot do TLS; replaced Q3');
    assert.equal(v.accepted[0]?.expired, true, 'expired before generatedAt');
    assert.deepEqual(v.notRun, [{ rule: 'load-balancer-in-relay-range', missing: 'load balancer addresses', export: '--load-balancers IP,...' }]);
    assert.ok(v.nav.some((n) => n.anchor === 'accepted') && v.nav.some((n) => n.anchor === 'not-run'));
  });
});

describe('report view: who can relay and the address map', () => {
  it('gives each connector the intervals it wins and what anonymous and authenticated clients may do', () => {
    const v = view();
    const legacy = v.relay.find((r) => r.identity === 'EX01\\Legacy Relay EX01');
    assert.equal(legacy?.verdict, 'Open relay: broad public reach');
    assert.equal(legacy?.verdictClass, 'sev-critical', 'the colour is the finding\'s severity');
    assert.match(legacy?.anonymous ?? '', /^May relay to any domain/);
    assert.deepEqual(legacy?.intervals.map((i) => [i.port, i.range, i.isPublic]), [[25, '192.0.2.0 – 192.0.2.255', true]]);
    const printers = v.relay.find((r) => r.identity === 'EX01\\Printers EX01');
    assert.deepEqual(printers?.intervals.map((i) => i.range), ['10.1.40.0 – 10.1.40.15', '10.1.41.15']);
    assert.equal(printers?.wins, '17 IPv4 addresses in 2 intervals');
    const handhelds = v.relay.find((r) => r.identity === 'EX01\\Handhelds EX01');
    assert.equal(handhelds?.authenticatedClass, 'warn');
    assert.match(handhelds?.authenticated ?? '', /passwords may be sent before TLS/);
    assert.equal(handhelds?.intervals[0]?.local, '10.0.0.10');
    const frontend = v.relay.find((r) => r.identity === 'EX01\\Default Frontend EX01');
    assert.match(frontend?.anonymous ?? '', /accepted domains only/);
    assert.equal(v.estate.relayConnectors, 2);
  });

  it('takes the verdict\'s severity from the findings\' tiers, never calling a narrow public reach an open relay', () => {
    // The same configuration judged high (narrow public reach, rules.md) by the audit: the report
    // must not raise it back to critical because public addresses reach it.
    const v = view(demoEstate(), doc([finding({ rule: 'anonymous-open-relay', severity: 'high', connector: 'EX01\\Legacy Relay EX01' })]));
    const legacy = v.relay.find((r) => r.identity === 'EX01\\Legacy Relay EX01');
    assert.equal(legacy?.verdict, 'Anonymous relay: public addresses reach it');
    assert.equal(legacy?.verdictClass, 'sev-high');
    assert.doesNotMatch(JSON.stringify(v.relay), /[Oo]pen relay/);
    assert.equal(v.summary.rating, 'High');
    // No relay finding (accepted, or not run): the verdict states the fact in a neutral colour.
    const none = view(demoEstate(), doc([])).relay.find((r) => r.identity === 'EX01\\Legacy Relay EX01');
    assert.equal(none?.verdictClass, 'sev-info');
  });

  it('maps the whole address space of each port, gaps included, with a /32 still visible', () => {
    const v = view();
    const map = v.maps.find((m) => m.server === 'EX01' && m.port === 25 && m.family === 'IPv4');
    assert.ok(map !== undefined, v.maps.map((m) => m.title).join(', '));
    const total = map.segments.reduce((sum, s) => sum + s.width, 0);
    assert.ok(Math.abs(total - map.width) < map.segments.length * 1.5 + 1, `segments cover the bar (${total} of ${map.width})`);
    const single = map.segments.find((s) => s.title.startsWith('10.1.41.15 '));
    assert.ok(single !== undefined && single.width >= 1.5, 'the single printer address has a visible band');
    assert.ok(map.segments.every((s) => s.x >= 0 && s.x <= map.width));
    assert.deepEqual(new Set(map.legend.map((l) => l.identity)), new Set(['EX01\\Default Frontend EX01', 'EX01\\Legacy Relay EX01', 'EX01\\Printers EX01']));
    const onAddress = v.maps.find((m) => m.port === 587 && m.local === '10.0.0.10');
    assert.ok(onAddress?.legend.some((l) => l.identity === 'EX01\\Handhelds EX01'), 'an exactly bound connector gets the map of its address');
    const gapped = view(estate(defaultInstall('2016', { server: 'EX01', ipAddress: '10.0.0.10' }),
      connector({ identity: 'EX01\\Apps EX01', name: 'Apps EX01', server: 'EX01', transportRole: 'FrontendTransport',
        bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.9.0.0/16')] })), doc([]));
    const apps = gapped.maps.find((m) => m.port === 2526);
    assert.deepEqual(apps?.segments.map((s) => s.pattern), [true, false, true], 'gaps before and after the one range');
  });
});

describe('report view: replay comparison', () => {
  const result = (outcome: string, connector: string | null, code = 250) => ({
    name: 'x', connector, outcome,
    replies: [{ stage: 'connect', code: 220, enhanced: null, text: 'ready' }, { stage: 'rcpt', code, enhanced: code === 250 ? '2.1.5' : '5.7.54', text: code === 250 ? 'Recipient OK' : 'SMTP; Unable to relay recipient in non-accepted domain' }],
    recipients: [],
  });
  const comparison = {
    schema: 'exrelay.replay/1', summary: { total: 3, changed: 2 },
    results: [
      { name: 'printer', before: result('accepted', 'EX10\\Relay'), after: result('rejected', 'EX16\\Default Frontend EX16', 550), changed: true },
      { name: 'outside host', before: result('rejected', 'EX10\\Default', 550), after: result('accepted', 'EX16\\Relay'), changed: true },
      { name: 'app', before: result('accepted', 'EX10\\App'), after: result('accepted', 'EX16\\App'), changed: false },
    ],
  };

  it('lists who breaks first, then who is newly accepted, and counts the unchanged', () => {
    const r = view(demoEstate(), demoFindings(), comparison).replay;
    assert.ok(r !== null);
    assert.deepEqual(r.rows.map((x) => [x.name, x.status]), [['printer', 'breaks'], ['outside host', 'newly accepted']]);
    assert.equal(r.breaks, 1);
    assert.equal(r.unchanged, 1);
    assert.equal(r.rows[0]?.afterReply, '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain');
    assert.equal(r.rows[0]?.beforeReply, '250 2.1.5 Recipient OK', 'an accepted session is shown by its last reply');
  });

  it('refuses a document that is not a --compare result, naming the field', () => {
    assert.throws(() => parseReplayComparison({ schema: 'exrelay.replay/1', results: [] }, 'r.json'),
      (e: unknown) => e instanceof InputError && e.file === 'r.json' && /summary/.test(e.message));
    assert.throws(() => parseReplayComparison({ ...comparison, results: [{ ...comparison.results[0], after: { ...result('exploded', null) } }] }, 'r.json'),
      (e: unknown) => e instanceof InputError && /results\[0\]\.after\.outcome/.test(e.message));
    assert.throws(() => parseReplayComparison('<html>', 'r.json'), InputError);
  });
});

describe('report view: proved fixes and manual decisions', () => {
  const relayId = 'EX01\\Legacy Relay EX01';
  const script = "Get-ReceiveConnector -Identity 'EX01\\Legacy Relay EX01' | Remove-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient' -Confirm:$false";
  const proved = { accepted: true, resolves: true, newFindings: [], kept: ['inbound mail to corp.example on port 25', 'relay host 10.1.40.5'] };

  function only(f: Finding) {
    const v = view(demoEstate(), doc([f]));
    const row = v.groups[0]?.rules[0]?.affected[0];
    assert.ok(row !== undefined);
    return row;
  }

  it('shows a proved fix with the line that says what was proved', () => {
    const row = only(finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: relayId, remediation: 'Set-ReceiveConnector -Identity x', fix: { script, verified: proved } }));
    assert.equal(row.fix?.script, script);
    assert.equal(row.fix?.proved, 'proved: accepted · resolves · adds no finding · keeps inbound mail to corp.example on port 25 · keeps relay host 10.1.40.5');
    assert.equal(row.fix?.provedClass, 'ok');
    assert.equal(row.manual, null);
  });

  it('says "not verified" when the proof was skipped, and names what a failed proof did not prove', () => {
    assert.match(only(finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: relayId, fix: { script, verified: null } })).fix?.proved ?? '', /^not verified/);
    const failed = only(finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: relayId,
      fix: { script, verified: { ...proved, resolves: false, newFindings: ['anonymous-open-relay EX01\\Other'] } } }));
    assert.match(failed.fix?.proved ?? '', /^not proved: accepted · does NOT resolve the finding · adds anonymous-open-relay EX01\\Other/);
    assert.equal(failed.fix?.provedClass, 'warn');
  });

  it('shows the manual text, not an unproved script, when no fix could be proved', () => {
    const row = only(finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: relayId,
      remediation: 'Set-ReceiveConnector -Identity x -RemoteIPRanges 10.0.0.1', fix: null, manual: 'The hosts that need the relay are unknown: run audit --logs.' }));
    assert.equal(row.fix, null);
    assert.equal(row.manual, 'The hosts that need the relay are unknown: run audit --logs.');
    const html = renderReportHtml({ rules: RULE_INFO, snapshot: demoEstate(), policy: buildPolicy(demoEstate()), generatedAt: NOW,
      findings: doc([finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: relayId, remediation: 'Set-ReceiveConnector -Identity x -RemoteIPRanges 10.0.0.1', fix: null, manual: 'The hosts are unknown.' })]) });
    assert.ok(html.includes('No proved script:</span> The hosts are unknown.'));
    assert.ok(!html.includes('-RemoteIPRanges 10.0.0.1'), 'the unproved command is not offered');
  });

  it('writes a fix that differs only by the connector once, each row keeping what was proved for it', () => {
    const fixFor = (identity: string, host: string) => ({ script: `Set-ReceiveConnector -Identity ${psQuote(identity)} -ProtocolLoggingLevel Verbose`,
      verified: { ...proved, kept: [`relay host ${host}`] } });
    const v = view(demoEstate(), doc([
      finding({ rule: 'protocol-logging-disabled', severity: 'low', connector: 'EX01\\Printers EX01', fix: fixFor('EX01\\Printers EX01', '10.1.40.5') }),
      finding({ rule: 'protocol-logging-disabled', severity: 'low', connector: relayId, fix: fixFor(relayId, '192.0.2.7') }),
    ]));
    const card = v.groups[0]?.rules[0];
    assert.equal(card?.sharedPowershell, "Set-ReceiveConnector -Identity '<connector>' -ProtocolLoggingLevel Verbose");
    assert.equal(card?.sharedIsFix, true);
    assert.deepEqual(card?.affected.map((a) => [a.fix?.script, a.fix?.proved.endsWith(a.connector === relayId ? 'keeps relay host 192.0.2.7' : 'keeps relay host 10.1.40.5')]), [['', true], ['', true]]);
  });

  it('falls back to the rule\'s remediation on documents written before fixes existed', () => {
    const row = only(finding({ rule: 'anonymous-open-relay', severity: 'critical', connector: relayId, remediation: 'Set-ReceiveConnector -Identity x' }));
    assert.equal(row.fix, null);
    assert.equal(row.manual, null);
    assert.equal(row.powershell, 'Set-ReceiveConnector -Identity x');
  });
});

describe('report view: what the summary says about the audit itself', () => {
  it('states the scope read, and that the collection date is unknown when the exports do not record it', () => {
    const v = view();
    assert.equal(v.scope.servers, '1 server (EX01)');
    assert.match(v.scope.connectors, /^\d+ receive connectors, \d+ permission entr(y|ies), \d+ certificates?$/);
    assert.match(v.scope.domains, /corp\.example/);
    assert.equal(v.scope.collected, 'unknown (the exports record no collection date)');
    const dated = demoEstate();
    dated.connectors[0] = { ...dated.connectors[0] as Snapshot['connectors'][number], extra: { WhenChangedUTC: '2/17/2021 3:05:36 PM', source: { file: 'ex01/receive-connectors.xml', line: 2 } } };
    const d = view(dated, demoFindings());
    assert.match(d.scope.collected, /taken after 2021-02-17/);
    assert.deepEqual(d.scope.inputs, ['ex01/receive-connectors.xml']);
  });

  it('puts the before/after of a replay comparison in the summary', () => {
    const result = (outcome: string) => ({ name: 'x', connector: 'EX01\\A', outcome, replies: [{ stage: 'rcpt', code: outcome === 'accepted' ? 250 : 550, enhanced: null, text: 't' }], recipients: [] });
    const v = view(demoEstate(), demoFindings(), { schema: 'exrelay.replay/1', summary: { total: 2, changed: 1 }, results: [
      { name: 'printer', before: result('accepted'), after: result('rejected'), changed: true },
      { name: 'app', before: result('accepted'), after: result('accepted'), changed: false },
    ] });
    assert.equal(v.comparison, 'Before / after (2 replayed scenarios): 1 stop working, 0 newly accepted, 1 changed in total, 1 unchanged.');
    assert.equal(view().comparison, null);
  });
});

describe('report HTML: nothing only on hover', () => {
  it('has no title attribute: what a tooltip would say is printed', () => {
    const s = demoEstate();
    const html = renderReportHtml({ rules: RULE_INFO, snapshot: s, findings: demoFindings(), policy: buildPolicy(s), generatedAt: NOW });
    assert.doesNotMatch(html, /\stitle=/, 'no title attribute');
    assert.doesNotMatch(html, /<details(?![^>]*\sopen)/, 'no collapsed details');
    assert.match(html, /anonymous-open-relay<\/span><\/a>/, 'the relay table names each finding\'s rule in text');
  });
});
