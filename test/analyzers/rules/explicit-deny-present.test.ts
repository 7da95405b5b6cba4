import rule from '../../../src/analyzers/rules/explicit-deny-present.js';
import { LEGACY_INTEROP, R, defaults, estate, permission } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'setup\'s ExchangeLegacyInterop denies written with a lower-case domain', snapshot: estate(base(),
      permission({ identity: 'EX01\\Client Frontend EX01', user: 'corp\\exchangelegacyinterop', deny: true, extendedRights: [R.forestHeaders] })) },
    { name: 'no permissions exported', snapshot: { ...base(), permissions: [] }, notRun: true },
  ],
  invalid: [
    { name: 'a service account denied Submit', snapshot: estate(base(), permission({ identity: 'EX01\\Default Frontend EX01', user: 'CORP\\blocked-app', deny: true, extendedRights: [R.submit] })),
      findings: [{ connector: 'EX01\\Default Frontend EX01', severity: 'info', evidence: { principal: 'CORP\\blocked-app', rights: [R.submit] } }] },
    { name: 'ExchangeLegacyInterop denied a right setup never denies', snapshot: estate(base(), permission({ identity: 'EX01\\Default EX01', user: LEGACY_INTEROP, deny: true, extendedRights: [R.submit] })),
      findings: [{ connector: 'EX01\\Default EX01', evidence: { principal: LEGACY_INTEROP, rights: [R.submit] } }] },
    { name: 'inherited Deny for anonymous', snapshot: estate(base(), permission({ identity: 'EX01\\Default Frontend EX01', deny: true, inherited: true, extendedRights: [R.anyRecipient] })),
      findings: [{ connector: 'EX01\\Default Frontend EX01', evidence: { entries: [{ inherited: true, deny: true }] }, message: /inherited/ }] },
  ],
});
