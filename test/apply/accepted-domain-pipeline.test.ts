// Get-AcceptedDomain | Where-Object {…} | Remove-/Set-AcceptedDomain, the form the wildcard rule's
// fix takes when the export lacks the domain's Name: the filter is evaluated on the domains as
// Get-AcceptedDomain returns them, the last stage runs once per domain that passes, and what
// Exchange refuses (the default domain) or what the dry run cannot evaluate stops the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import type { AcceptedDomain, Snapshot } from '../../src/model.js';
import { applyScript, type ApplyResult } from '../../src/apply/apply.js';

const BASE = JSON.parse(readFileSync(new URL('../../fixtures/apply/ex16.snapshot.json', import.meta.url), 'utf8')) as Snapshot;

/** The export of a real estate: no Name for the relay domains (the importer keeps none). */
const withDomains = (...extra: AcceptedDomain[]): Snapshot => ({ ...BASE, acceptedDomains: [...BASE.acceptedDomains, ...extra] });
const STAR: AcceptedDomain = { domainName: '*', domainType: 'InternalRelay', default: false };
const STAR_COM: AcceptedDomain = { domainName: '*.com', domainType: 'ExternalRelay', default: false };
const PARTNER: AcceptedDomain = { domainName: 'partner.example', domainType: 'InternalRelay', default: false, extra: { Name: 'Partner' } };

const run = (script: string, snapshot: Snapshot): Promise<ApplyResult> => applyScript(snapshot, script, { file: 'fix.ps1' });
const names = (r: ApplyResult): string[] => r.snapshot.acceptedDomains.map((d) => d.domainName);

async function rejected(script: string, snapshot: Snapshot, pattern: RegExp): Promise<void> {
  await assert.rejects(run(script, snapshot), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.line, 1, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

const byText = (domain: string, tail: string): string => `Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq '${domain}' } | ${tail}`;

test('should-interpret: the domain selected by the text of its DomainName is removed, and only it', async () => {
  const s = withDomains(STAR, STAR_COM, PARTNER);
  for (const script of [
    byText('*', 'Remove-AcceptedDomain -Confirm:$false -ErrorAction Stop'),
    "Get-AcceptedDomain | ? { $_.DomainName.ToString() -eq '*' } | Remove-AcceptedDomain -Confirm:$false",
    "Get-AcceptedDomain | Where-Object -FilterScript { $_.DomainName.ToString() -ceq '*' -and -not $_.Default } | Remove-AcceptedDomain -Confirm:$false",
  ]) {
    const r = await run(script, s);
    assert.deepEqual(names(r), ['corp.example', '*.com', 'partner.example'], script);
    assert.equal(r.changed, 1, script);
  }
  const com = await run(byText('*.COM', 'Remove-AcceptedDomain -Confirm:$false'), s);
  assert.deepEqual(names(com), ['corp.example', '*', 'partner.example'], '-eq compares text without case');
});

test('should-interpret: Set-AcceptedDomain from the same pipeline changes the selected domain', async () => {
  const r = await run(byText('*', 'Set-AcceptedDomain -DomainType ExternalRelay'), withDomains(STAR, PARTNER));
  assert.deepEqual(r.snapshot.acceptedDomains.map((d) => [d.domainName, d.domainType]), [
    ['corp.example', 'Authoritative'], ['*', 'ExternalRelay'], ['partner.example', 'InternalRelay'],
  ]);
});

test('should-interpret: a filter that matches nothing changes nothing (the last stage runs zero times)', async () => {
  const r = await run(byText('*.net', 'Remove-AcceptedDomain -Confirm:$false -ErrorAction Stop'), withDomains(STAR));
  assert.equal(r.changed, 0);
  assert.deepEqual(names(r), ['corp.example', '*']);
});

test('refused as Exchange would: the default accepted domain, also when a pipeline selects it', async () => {
  const defaultStar: Snapshot = { ...BASE, acceptedDomains: [{ ...BASE.acceptedDomains[0]!, default: false }, { ...STAR, default: true }] };
  await rejected(byText('*', 'Remove-AcceptedDomain -Confirm:$false -ErrorAction Stop'), defaultStar, /default accepted domain and cannot be removed/);
  // `-like '*'` is a pattern matching every domain: the organisation's own default is among them.
  await rejected("Get-AcceptedDomain | Where-Object { $_.DomainName -like '*' } | Remove-AcceptedDomain -Confirm:$false -ErrorAction Stop", withDomains(STAR), /corp\.example is the default accepted domain/);
  await rejected(byText('*', "Set-AcceptedDomain -DomainType Authoritative"), withDomains(STAR), /only be a relay domain/);
});

test('not interpretable: -eq on the DomainName object itself (whether it equals a string in the Management Shell is not established)', async () => {
  await rejected("Get-AcceptedDomain | Where-Object { $_.DomainName -eq '*' } | Remove-AcceptedDomain -Confirm:$false", withDomains(STAR),
    /cannot interpret this statement.*SmtpDomainWithSubdomains.*\.ToString\(\)/);
});

test('refused: -Identity given as well as the piped domain', async () => {
  await rejected(byText('*', 'Remove-AcceptedDomain -Identity Partner -Confirm:$false'), withDomains(STAR, PARTNER), /-Identity given as well as pipeline input/);
});
