import { ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER, isRelayCapable } from '../../policy/index.js';
import { describeRight, rightEvidence, rightsOf, sessionsExternallySecured } from '../evidence.js';
import { defineRule, type FindingDraft } from '../rule.js';

export default defineRule({
  meta: {
    id: 'anonymous-sender-spoofing',
    defaultSeverity: 'medium',
    title: 'Relay hosts may send as any address',
    description: 'On a relay-capable connector, anonymous holds `ms-Exch-SMTP-Accept-Any-Sender` (any sender address is accepted from those hosts, including the organisation\'s own): medium on hub and Exchange 2010 connectors, where Exchange enforces sender rights; low on FrontendTransport connectors, where Exchange does not enforce them for anonymous sessions (removing the right changes nothing there: SPF/DMARC or a transport rule does). Not on connectors whose sessions are all externally secured.',
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
    gradedWording: {
      low: {
        impact: 'The relay hosts may send mail that appears to come from anyone. On Front End Transport Exchange does not check anonymous senders anyway, so the protection is SPF/DMARC or a transport rule, not this right.',
        action: 'Protect the organisation\'s sender domains with SPF/DMARC or a transport rule',
      },
    },
  },
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!isRelayCapable(policy, c) || sessionsExternallySecured(c)) return [];
    const [anySender, authoritative] = rightsOf(policy, c, 'anonymous', [ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER]);
    if (anySender === undefined || !anySender.allowed) return [];
    // Reference §6.4: 2013+ Front End connectors do not check anonymous senders at all.
    const frontEnd = c.transportRole === 'FrontendTransport';
    return [{
      connector: c,
      severity: frontEnd ? 'low' : 'medium',
      message: frontEnd
        ? `${c.identity}: anonymous holds ${describeRight(anySender)}; Front End Transport does not enforce anonymous sender rights, so the relay hosts can send as any address either way`
        : `${c.identity}: anonymous holds ${describeRight(anySender)}, so the relay hosts may send as any address, the organisation's own included`,
      evidence: {
        rights: [rightEvidence(anySender), ...(authoritative === undefined ? [] : [rightEvidence(authoritative)])],
        transportRole: c.transportRole ?? 'HubTransport (Exchange 2010)',
        senderRightsEnforced: !frontEnd,
      },
      ...(frontEnd ? {
        remediation: 'Front End Transport does not check anonymous senders, so removing this right changes nothing. Protect the organisation\'s sender domains with SPF and DMARC; a transport rule that rejects mail from outside the organisation using an internal sender domain must except the relay hosts (-ExceptIfSenderIpRanges), or their own mail is rejected too.',
      } : {}),
    }];
  }),
});
