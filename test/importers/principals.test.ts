import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalPrincipal, expandTruncatedPrincipal } from '../../src/principals.js';

describe('well-known principals across languages and SIDs', () => {
  const anon = 'NT AUTHORITY\\ANONYMOUS LOGON';
  for (const name of ['NT AUTHORITY\\ANONYMOUS LOGON', 'nt authority\\anonymous logon', 'S-1-5-7', 'NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG', 'AUTORITE NT\\ANONYMOUS LOGON', 'AUTORITÉ NT\\ANONYMOUS LOGON']) {
    it(`${name} is anonymous`, () => assert.equal(canonicalPrincipal(name), anon));
  }
  it('S-1-5-11 and the German name are Authenticated Users', () => {
    assert.equal(canonicalPrincipal('S-1-5-11'), 'NT AUTHORITY\\Authenticated Users');
    assert.equal(canonicalPrincipal('NT-AUTORITÄT\\Authentifizierte Benutzer'), 'NT AUTHORITY\\Authenticated Users');
  });
  it('Everyone in German and French', () => {
    assert.equal(canonicalPrincipal('Jeder'), 'Everyone');
    assert.equal(canonicalPrincipal('Tout le monde'), 'Everyone');
  });
  it('MS Exchange pseudo-principals', () => assert.equal(canonicalPrincipal('ms exchange\\externally secured servers'), 'MS Exchange\\Externally Secured Servers'));
  it('domain groups keep the customer\'s domain', () => {
    assert.equal(canonicalPrincipal('CORP\\exchange servers'), 'CORP\\Exchange Servers');
    assert.equal(canonicalPrincipal('CORP\\ExchangeLegacyInterop'), 'CORP\\ExchangeLegacyInterop');
  });
  it('ordinary accounts are not well-known', () => {
    assert.equal(canonicalPrincipal('CORP\\svc-scanner'), null);
    assert.equal(canonicalPrincipal('S-1-5-21-1-2-3-1104'), null);
  });
  // UNSURE(reference): translations beyond German and French are not in the corpus.
  it('UNSURE(reference): other translations of ANONYMOUS LOGON', () => assert.equal(canonicalPrincipal('NT INSTANS\\ANONYM LOGON'), anon));
  it('a truncated table cell expands only to a single match', () => {
    assert.equal(expandTruncatedPrincipal('NT AUTHORITY\\ANON...'), anon);
    assert.equal(expandTruncatedPrincipal('NT AUTHORITY\\...'), null);
  });
});
