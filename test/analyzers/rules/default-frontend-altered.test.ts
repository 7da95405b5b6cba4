import rule from '../../../src/analyzers/rules/default-frontend-altered.js';
import type { Snapshot } from '../../../src/model.js';
import { ANONYMOUS, R, connectorOf, defaults, estate, permission } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const DF = 'EX01\\Default Frontend EX01';

function altered(change: (s: Snapshot) => void): Snapshot {
  const s = defaults.exchange2016();
  change(s);
  return s;
}

/** Anti-spoofing hardening: Authoritative-Domain-Sender removed; AnonymousUsers turns into Custom (reference §2.3). */
const hardened = altered((s) => {
  connectorOf(s, DF).permissionGroups = ['ExchangeServers', 'ExchangeLegacyServers', 'Custom'];
  s.permissions = s.permissions.filter((p) => !(p.identity === DF && p.user === ANONYMOUS && p.extendedRights[0] === R.authoritativeSender));
});

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'anti-spoofing hardening (Custom, anonymous keeps Submit)', snapshot: hardened },
    { name: 'hardening seen through a filtered export with no anonymous entries', snapshot: altered((s) => {
      connectorOf(s, DF).permissionGroups = ['ExchangeServers', 'ExchangeLegacyServers', 'Custom'];
      s.permissions = s.permissions.filter((p) => !(p.identity === DF && p.user === ANONYMOUS));
    }) },
    { name: 'extra bindings beside port 25', snapshot: altered((s) => { connectorOf(s, DF).bindings.push({ address: '0.0.0.0', port: 2500 }); }) },
  ],
  invalid: [
    { name: 'Default Frontend disabled', snapshot: altered((s) => { connectorOf(s, DF).enabled = false; }),
      findings: [{ connector: DF, severity: 'high', evidence: { enabled: false } }] },
    { name: 'Default Frontend moved off port 25', snapshot: altered((s) => { connectorOf(s, DF).bindings = [{ address: '0.0.0.0', port: 2500 }]; }),
      findings: [{ connector: DF, evidence: { bindings: ['0.0.0.0:2500'] }, message: /no longer binds port 25/ }] },
    { name: 'AnonymousUsers removed from PermissionGroups', snapshot: altered((s) => {
      connectorOf(s, DF).permissionGroups = ['ExchangeServers', 'ExchangeLegacyServers'];
      s.permissions = s.permissions.filter((p) => !(p.identity === DF && p.user === ANONYMOUS));
    }), findings: [{ connector: DF, evidence: { anonymousSubmit: { right: R.submit, allowed: false } } }] },
    { name: 'explicit Deny of Submit for anonymous', snapshot: estate(defaults.exchange2016(), permission({ identity: DF, extendedRights: [R.submit], deny: true })),
      findings: [{ connector: DF, evidence: { anonymousSubmit: { allowed: false, deniedBy: [{ kind: 'permission', user: ANONYMOUS, deny: true, inherited: false }] } } }] },
  ],
});
