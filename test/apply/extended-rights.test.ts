// Extended-right names as Add-/Remove-ADPermission resolve them: a name Exchange's schema does
// not hold is refused before anything changes (the cmdlet cannot resolve the
// ExtendedRightIdParameter), with the statement's line and the closest known name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import type { Snapshot } from '../../src/model.js';
import { applyScript } from '../../src/apply/apply.js';
import { closestRight, resolveExtendedRight } from '../../src/apply/extended-rights.js';

const BASE = JSON.parse(readFileSync(new URL('../../fixtures/apply/ex16.snapshot.json', import.meta.url), 'utf8')) as Snapshot;
const FRONTEND = 'EX16\\Default Frontend EX16';

const run = (script: string): ReturnType<typeof applyScript> => applyScript(BASE, script, { file: 'fix.ps1' });

async function refusedAt(script: string, line: number, pattern: RegExp): Promise<void> {
  await assert.rejects(run(script), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.line, line, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

// should-interpret: every right of Exchange's receive- and send-side catalogue, in any case.
const KNOWN = [
  'ms-Exch-SMTP-Submit', 'ms-Exch-SMTP-Submit-For-MLS', 'ms-Exch-SMTP-Accept-Any-Recipient', 'ms-Exch-SMTP-Accept-Any-Sender',
  'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender', 'ms-Exch-SMTP-Accept-Authentication-Flag', 'ms-Exch-Bypass-Anti-Spam',
  'ms-Exch-Bypass-Message-Size-Limit', 'ms-Exch-SMTP-Accept-Exch50', 'ms-Exch-SMTP-Send-Exch50',
  'ms-Exch-Accept-Headers-Routing', 'ms-Exch-Accept-Headers-Forest', 'ms-Exch-Accept-Headers-Organization',
  'ms-Exch-Send-Headers-Routing', 'ms-Exch-Send-Headers-Forest', 'ms-Exch-Send-Headers-Organization',
  'ms-Exch-SMTP-Accept-XShadow', 'ms-Exch-SMTP-Send-XShadow', 'ms-Exch-SMTP-Accept-XProxyFrom', 'ms-Exch-SMTP-Accept-XSessionParams',
  'ms-Exch-SMTP-Accept-XAttr', 'ms-Exch-SMTP-Accept-XSysProbe',
  'ms-Exch-SMTP-Accept-XMessageContext-ADRecipientCache', 'ms-Exch-SMTP-Accept-XMessageContext-ExtendedProperties',
  'ms-Exch-SMTP-Accept-XMessageContext-FastIndex',
  'ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache', 'ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties',
  'ms-Exch-SMTP-Send-XMessageContext-FastIndex',
];

test('should-interpret: every known SMTP extended right resolves to Microsoft\'s spelling, in any case', () => {
  for (const right of KNOWN) {
    assert.equal(resolveExtendedRight(right), right);
    assert.equal(resolveExtendedRight(right.toUpperCase()), right);
  }
  // The typo in Microsoft's own permissions table (reference §2.1) is what Exchange reads as
  // the real right only because the docs mean it; exrelay already accepts it.
  assert.equal(resolveExtendedRight('s-Exch-SMTP-Accept-Any-Recipient'), 'ms-Exch-SMTP-Accept-Any-Recipient');
});

// should-refuse: misspellings consultants make, with the name the message must suggest.
const MISSPELT: Array<[string, string]> = [
  ['ms-Exch-SMTP-Accept-Any-Recipent', 'ms-Exch-SMTP-Accept-Any-Recipient'],
  ['ms-Exch-SMTP-Accept-AnyRecipient', 'ms-Exch-SMTP-Accept-Any-Recipient'],
  ['ms-Exch-SMTP-Accept-Any-Recipients', 'ms-Exch-SMTP-Accept-Any-Recipient'],
  ['ms-Exch-SMTP-Submitt', 'ms-Exch-SMTP-Submit'],
  ['ms-Exch-SMTP-Accept-Authoritive-Domain-Sender', 'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender'],
  ['ms-Exch-Bypass-AntiSpam', 'ms-Exch-Bypass-Anti-Spam'],
  ['ms-Exch-Accept-Header-Routing', 'ms-Exch-Accept-Headers-Routing'],
  ['ms-Exch-SMTP-Accept-Any-Senders', 'ms-Exch-SMTP-Accept-Any-Sender'],
];

test('should-refuse: misspelt rights are unknown, and the closest known name is suggested', () => {
  for (const [wrong, suggestion] of MISSPELT) {
    assert.equal(resolveExtendedRight(wrong), null, wrong);
    assert.equal(closestRight(wrong), suggestion, wrong);
  }
});

test('Add-ADPermission with a misspelt right is refused as Exchange refuses it, naming the line and the right', async () => {
  await refusedAt([
    '# open the relay for the scanner',
    `Add-ADPermission -Identity '${FRONTEND}' -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipent`,
  ].join('\n'), 2, /Add-ADPermission: .*"ms-Exch-SMTP-Accept-Any-Recipent".*not found.*did you mean ms-Exch-SMTP-Accept-Any-Recipient\?/);
});

test('one misspelt right in a list refuses the whole statement: nothing is added', async () => {
  await refusedAt(
    `Add-ADPermission '${FRONTEND}' -User 'CONTOSO\\svc-scan' -ExtendedRights ms-Exch-SMTP-Submit,ms-Exch-SMTP-Accept-Any-Recipent`,
    1, /"ms-Exch-SMTP-Accept-Any-Recipent"/);
});

test('Remove-ADPermission with a misspelt right is refused the same way', async () => {
  await refusedAt(
    `Remove-ADPermission -Identity '${FRONTEND}' -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Authoritive-Domain-Sender' -Confirm:$false`,
    1, /Remove-ADPermission: .*"ms-Exch-SMTP-Accept-Authoritive-Domain-Sender".*did you mean ms-Exch-SMTP-Accept-Authoritative-Domain-Sender\?/);
});

test('a right spelt right in another case is accepted and stored in Microsoft\'s spelling', async () => {
  const r = await run(`Add-ADPermission '${FRONTEND}' -User 'CONTOSO\\svc-scan' -ExtendedRights MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT`);
  assert.deepEqual(r.snapshot.permissions.map((p) => p.extendedRights), [['ms-Exch-SMTP-Accept-Any-Recipient']]);
});
