import { ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER, isRelayCapable } from '../../policy/index.js';
import { describeRight, rightEvidence, rightsOf } from '../evidence.js';
import { defineRule, type FindingDraft } from '../rule.js';

export default defineRule({
  meta: {
    id: 'anonymous-sender-spoofing',
    defaultSeverity: 'medium',
    title: 'Relay hosts may send as any address',
    description: 'On a relay-capable connector, anonymous holds `ms-Exch-SMTP-Accept-Any-Sender` (any sender address is accepted from those hosts, including the organisation\'s own).',
    remediation: "Get-ADPermission -Identity {identity} -User 'NT AUTHORITY\\ANONYMOUS LOGON' | Where-Object { $_.ExtendedRights -like 'ms-Exch-SMTP-Accept-Any-Sender' } | Remove-ADPermission -Confirm:$false\n# if the right comes from the AnonymousUsers group, remove the group and grant only what the hosts need:\nSet-ReceiveConnector -Identity {identity} -PermissionGroups None\nGet-ReceiveConnector -Identity {identity} | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Submit','ms-Exch-SMTP-Accept-Any-Recipient'",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    dependsOn: ['Enabled', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'Hosts in range may send mail that appears to come from anyone, including the organisation\'s own executives.',
      action: 'Withdraw the any-sender right from anonymous clients',
    },
  },
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!isRelayCapable(policy, c)) return [];
    const [anySender, authoritative] = rightsOf(policy, c, 'anonymous', [ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER]);
    if (anySender === undefined || !anySender.allowed) return [];
    return [{
      connector: c,
      message: `${c.identity}: anonymous holds ${describeRight(anySender)}`,
      evidence: { rights: [rightEvidence(anySender), ...(authoritative === undefined ? [] : [rightEvidence(authoritative)])] },
    }];
  }),
});
