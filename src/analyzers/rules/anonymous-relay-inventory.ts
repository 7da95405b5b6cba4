import { ACCEPT_ANY_RECIPIENT, canRelayAnonymously } from '../../policy/index.js';
import { describeRight, intervalEvidence, listEvidence, reachOf, rightEvidence, rightsOf, sessionsExternallySecured, shortList } from '../evidence.js';
import { scopeText } from '../../sizes.js';
import { defineRule, type FindingDraft } from '../rule.js';
import { BROAD_RELAY_ADDRESSES } from './anonymous-open-relay.js';

export default defineRule({
  meta: {
    id: 'anonymous-relay-inventory',
    scope: 'server',
    defaultSeverity: 'info',
    title: 'Anonymous relay for a short list of private hosts',
    description: 'Anonymous relay holds and at most 256 private addresses select the connector (the normal, narrow relay connector: listed so it can be reviewed).',
    remediation: 'Get-ReceiveConnector -Identity {identity} | Select-Object -ExpandProperty RemoteIPRanges   # review: every host listed may send to any domain',
    references: ['https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay'],
    needs: ['permissions'],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'These internal hosts may relay without authentication. That is the usual set-up for printers and applications; it is listed so the list stays short and reviewed.',
      action: 'Review the hosts allowed to relay anonymously',
    },
  },
  // Information, not a problem: nothing to change, only a list to review.
  fix: (draft) => ({ manual: `No change needed: review that every host allowed on ${draft.connector?.identity ?? 'this connector'} still needs to relay, and remove those that do not.` }),
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!canRelayAnonymously(policy, c) || sessionsExternallySecured(c)) return [];
    const reach = reachOf(policy, c);
    if (reach.publicParts.length > 0 || reach.breadth > BROAD_RELAY_ADDRESSES) return [];
    const merged = reach.merged;
    const allowed = listEvidence(merged).map(intervalEvidence);
    const [grant] = rightsOf(policy, c, 'anonymous', [ACCEPT_ANY_RECIPIENT]);
    return [{
      connector: c,
      message: allowed.length === 0
        ? `${c.identity} grants anonymous relay but no address selects it`
        : `${c.identity}: ${scopeText(merged)} (private) may relay anonymously: ${shortList(allowed.map((a) => a.expression), 5, merged.length)}`,
      evidence: {
        addresses: allowed,
        scope: scopeText(merged),
        rights: grant === undefined ? [] : [rightEvidence(grant)],
        grantedBy: grant === undefined ? '' : describeRight(grant),
      },
    }];
  }),
});
