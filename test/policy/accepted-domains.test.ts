import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicy, classifyDomain, domainOfAddress, isInternalDomain, isWildcardRelayDomain } from '../../src/policy/index.js';
import { domain, snapshot } from './helpers.js';

describe('accepted domains (reference §7)', () => {
  const s = snapshot({ acceptedDomains: [
    domain('corp.example', 'Authoritative', true),
    domain('shared.example', 'InternalRelay'),
    domain('partner.example', 'ExternalRelay'),
    domain('*.sub.example', 'InternalRelay'),
    domain('deep.sub.example', 'Authoritative'),
  ] });
  const policy = buildPolicy(s);
  const cls = (d: string) => classifyDomain(policy, d).class;

  it('classifies each type', () => {
    assert.equal(cls('corp.example'), 'authoritative');
    assert.equal(cls('CORP.Example.'), 'authoritative');
    assert.equal(cls('shared.example'), 'internalRelay');
    assert.equal(cls('partner.example'), 'externalRelay');
    assert.equal(cls('fabrikam.example'), 'external');
  });

  it('an exact domain does not cover its subdomains', () => {
    assert.equal(cls('mail.corp.example'), 'external');
  });

  it('*.x matches subdomains at any depth; the best (exact) match wins', () => {
    assert.equal(cls('a.sub.example'), 'internalRelay');
    assert.equal(cls('a.b.sub.example'), 'internalRelay');
    assert.equal(cls('deep.sub.example'), 'authoritative');
    assert.equal(classifyDomain(policy, 'a.sub.example').match?.domainName, '*.sub.example');
  });

  it('*.x matches x itself (reference §7, Exchange 2013 accepted-domain help)', () => {
    assert.equal(cls('sub.example'), 'internalRelay');
  });

  it('* matches every domain, but a more specific match still decides the type', () => {
    const star = snapshot({ acceptedDomains: [domain('corp.example'), domain('*', 'ExternalRelay')] });
    const p = buildPolicy(star);
    assert.equal(classifyDomain(p, 'anything.example').class, 'externalRelay');
    assert.equal(classifyDomain(p, 'corp.example').class, 'authoritative');
    assert.ok(isWildcardRelayDomain(domain('*', 'InternalRelay')));
    assert.ok(!isWildcardRelayDomain(domain('*.corp.example', 'InternalRelay')));
  });

  it('address literals are never accepted; internal = Authoritative or InternalRelay', () => {
    assert.equal(cls('[192.0.2.1]'), 'external');
    assert.ok(isInternalDomain(policy, 'shared.example'));
    assert.ok(!isInternalDomain(policy, 'partner.example'));
    assert.equal(domainOfAddress('<User@Corp.Example>'), 'corp.example');
    assert.equal(domainOfAddress('postmaster'), '');
  });
});
