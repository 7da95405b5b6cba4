import rule from '../../../src/analyzers/rules/unsupported-exchange-version.js';
import { defaults, estate, server } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

// Before 2020-10-13 every version the default installs carry was still supported, so the
// untouched installs are clean by configuration and by lifecycle on that date.
const ALL_SUPPORTED = new Date('2020-06-01T12:00:00Z');
const at = (day: string): Date => new Date(`${day}T12:00:00Z`);
const one = (version: string | null, name = 'EX01') => estate(server({ name, version }));

testRule(rule, {
  valid: [
    ...defaults.all().map((d) => ({ ...d, now: ALL_SUPPORTED })),
    { name: 'Subscription Edition RTM (AdminDisplayVersion)', snapshot: one('Version 15.2 (Build 2562.17)'), now: at('2026-12-01') },
    { name: 'Subscription Edition, file-version form', snapshot: one('15.02.2562.056'), now: at('2026-12-01') },
    { name: 'Exchange 2019 on its last supported day', snapshot: one('Version 15.2 (Build 1748.10)'), now: at('2025-10-14') },
    { name: 'Exchange 2016 on its last supported day', snapshot: one('Version 15.1 (Build 2507.6)'), now: at('2025-10-14') },
    { name: 'Exchange 2013 on its last supported day', snapshot: one('Version 15.0 (Build 1497.2)'), now: at('2023-04-11') },
    { name: 'Exchange 2010 on its last supported day', snapshot: one('Version 14.3 (Build 123.4)'), now: at('2020-10-13') },
    // UNSURE: 15.2 is both 2019 and Subscription Edition; without the build nothing is concluded.
    { name: '15.2 without a build is not judged', snapshot: one('15.2'), now: at('2026-12-01') },
    { name: 'version not exported', snapshot: one(null), now: at('2026-12-01') },
    { name: 'version text that names no version', snapshot: one('unknown'), now: at('2026-12-01') },
  ],
  invalid: [
    { name: 'Exchange 2010 after 2020-10-13', snapshot: one('Version 14.3 (Build 123.4)'), now: at('2020-10-14'),
      findings: [{ connector: null, server: 'EX01', severity: 'high', message: /through Exchange 2016 first/,
        evidence: { server: 'EX01', version: 'Version 14.3 (Build 123.4)', endOfSupport: '2020-10-13', extendedSecurityUpdates: null, supportedTarget: 'Exchange Server Subscription Edition (Version 15.2 build 2562 or later), or Exchange Online' } }] },
    { name: 'Exchange 2013 after 2023-04-11', snapshot: one('15.00.1497.002'), now: at('2023-04-12'),
      findings: [{ connector: null, evidence: { product: 'Exchange 2013', endOfSupport: '2023-04-11', extendedSecurityUpdates: null } }] },
    { name: 'Exchange 2016 in ESU period 1', snapshot: one('Version 15.1 (Build 2507.6)'), now: at('2025-10-15'),
      findings: [{ connector: null, message: /ESU\) period 1, which ends on 2026-04-14/, evidence: { product: 'Exchange 2016', endOfSupport: '2025-10-14', asOf: '2025-10-15' } }] },
    { name: 'Exchange 2019 CU15 in ESU period 2', snapshot: one('Version 15.2 (Build 1748.10)'), now: at('2026-06-01'),
      findings: [{ connector: null, message: /ESU\) period 2/, evidence: { product: 'Exchange 2019', endOfSupport: '2025-10-14' } }] },
    { name: 'Exchange 2019 after every ESU period', snapshot: one('15.2.1544.4'), now: at('2026-12-01'),
      findings: [{ connector: null, evidence: { product: 'Exchange 2019', endOfSupport: '2025-10-14', extendedSecurityUpdates: null } }] },
    { name: 'one finding per unsupported server, the SE server is not one', snapshot: estate(
      server({ name: 'EX16', version: 'Version 15.1 (Build 2507.6)' }), server({ name: 'EXSE', version: 'Version 15.2 (Build 2562.17)' })), now: at('2026-12-01'),
      findings: [{ connector: null, server: 'EX16', evidence: { server: 'EX16' } }] },
  ],
});
