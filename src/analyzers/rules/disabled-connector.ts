import { psQuote } from '../../powershell/quote.js';
import { withConnector } from '../fixes.js';
import { defineRule, type FindingDraft, type FixCandidate } from '../rule.js';

// A disabled connector takes no part in selection, so removing it changes no conversation; it
// only still counts in Exchange's binding and range conflict checks (reference §4.4), which
// removing it can only relieve. Re-enabling it would change mail flow and is never the fix.
function fix(draft: FindingDraft): FixCandidate {
  return withConnector(draft, (c) => ({
    script: `Remove-ReceiveConnector -Identity ${psQuote(c.identity)} -Confirm:$false -ErrorAction Stop`,
    fallback: `${c.identity} is disabled and answers nobody. Remove it if nobody needs its settings; if it was disabled for a maintenance window, check its ranges and rights before enabling it again.`,
  }));
}
import { formatBinding } from '../../net/index.js';

export default defineRule({
  meta: {
    id: 'disabled-connector',
    scope: 'connector',
    defaultSeverity: 'info',
    title: 'Disabled receive connector',
    description: 'A connector is disabled (it takes no part in connector selection; remove it or re-enable it on purpose).',
    remediation: 'Remove-ReceiveConnector -Identity {identity} -Confirm:$false -ErrorAction Stop',
    references: ['https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector'],
    dependsOn: ['Enabled'],
    wording: {
      impact: 'The connector does nothing today, but it can be re-enabled by mistake with outdated settings.',
      action: 'Remove the disabled connector if it is no longer needed',
    },
  },
  check: ({ snapshot }) => snapshot.connectors
    .filter((c) => !c.enabled)
    .map((c) => ({
      connector: c,
      message: `${c.identity} is disabled`,
      evidence: { bindings: c.bindings.map(formatBinding) },
    })),
  remediationFromFix: true,
  fix,
});
