import { ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER, ACCEPT_HEADERS_ROUTING, SMTP_SUBMIT, isRelayCapable } from '../../policy/index.js';
import { describeRight, rightEvidence, rightsOf, sessionsExternallySecured } from '../evidence.js';
import type { ReceiveConnector } from '../../model.js';
import { ANONYMOUS_USER, addAnonymousRights, removeAnonymousGrant } from '../relay-fixes.js';
import { peerGroups } from '../peer-groups.js';
import { defineRule, psQuote, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

/** What the relay hosts need for their own mail once Accept-Any-Sender is gone (rules.md "Fixes"). */
const KEEP = [SMTP_SUBMIT, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER, ACCEPT_HEADERS_ROUTING];

const FRONT_END_MANUAL = 'Front End Transport does not check anonymous senders, so removing ms-Exch-SMTP-Accept-Any-Sender here changes nothing and no script is offered. Protect the organisation\'s sender domains with SPF and DMARC, or a transport rule that rejects mail from outside using an internal sender domain, excepting the relay hosts (-ExceptIfSenderIpRanges) so their own mail still passes.';

/**
 * Hub and 2010 connectors: take Accept-Any-Sender from anonymous and keep Submit,
 * Accept-Authoritative-Domain-Sender and Accept-Headers-Routing, so the relay hosts can still
 * send as the organisation's own domains. Where the right comes from the AnonymousUsers group,
 * the group goes and the three rights become explicit entries.
 */
function senderFix(draft: FindingDraft, context: RuleContext): FixCandidate {
  const c = draft.connector;
  if (c === null || c === undefined) return { manual: 'Withdraw ms-Exch-SMTP-Accept-Any-Sender from anonymous by hand.' };
  if (c.transportRole === 'FrontendTransport') return { manual: FRONT_END_MANUAL };
  const fallback = `Withdraw ms-Exch-SMTP-Accept-Any-Sender from anonymous on ${c.identity} and keep ${KEEP.join(', ')} (the relay hosts need them to send as the organisation's own domains).`;
  // The same connector on the other servers of its generation changes with it (they stay alike).
  const group = groupScript(context, senderPeers(context, c));
  if (group.blockedOn !== null) return { manual: `${fallback} The grant on ${group.blockedOn.identity} cannot be removed on the connector itself.` };
  return { script: group.script, fallback };
}

const senderPeers = peerGroups((context, p) => p.transportRole !== 'FrontendTransport' && rightsOf(context.policy, p, 'anonymous', [ACCEPT_ANY_SENDER])[0]?.allowed === true);

/** The group's script, or the first copy whose grant cannot be removed on it. */
interface GroupScript { script: string; blockedOn: ReceiveConnector | null }

// Every copy's finding shares its group's list (peerGroups): the script is written once per list.
const groupScripts = new WeakMap<RuleContext, WeakMap<readonly ReceiveConnector[], GroupScript>>();

function groupScript(context: RuleContext, peers: readonly ReceiveConnector[]): GroupScript {
  let known = groupScripts.get(context);
  if (known === undefined) { known = new WeakMap(); groupScripts.set(context, known); }
  const hit = known.get(peers);
  if (hit !== undefined) return hit;
  const lines: string[] = [];
  let result: GroupScript | null = null;
  for (const peer of peers) {
    const peerLines = senderLines(context, peer);
    if (peerLines === null) { result = { script: '', blockedOn: peer }; break; }
    lines.push(...peerLines);
  }
  result ??= { script: lines.join('\n'), blockedOn: null };
  known.set(peers, result);
  return result;
}

/** Add what the hosts need first, then take Accept-Any-Sender away; null when it cannot be taken on the connector. */
function senderLines(context: RuleContext, c: ReceiveConnector): string[] | null {
  const [anySender, ...kept] = rightsOf(context.policy, c, 'anonymous', [ACCEPT_ANY_SENDER, ...KEEP]);
  if (anySender === undefined) return null;
  const missing = KEEP.filter((_, i) => kept[i]?.allowed !== true);
  const lines: string[] = [];
  if (missing.length > 0) lines.push(addAnonymousRights(c, missing));
  // Remove-ADPermission of a right the AnonymousUsers group wrote takes only that entry: the
  // group's other entries stay, and PermissionGroups shows Custom (reference §2.3).
  const viaGroup = anySender.grantedBy.some((g) => g.kind === 'group');
  const explicit = { ...anySender, grantedBy: anySender.grantedBy.filter((g) => g.kind !== 'group') };
  const removal = explicit.grantedBy.length === 0 ? [] : removeAnonymousGrant(c, explicit);
  if (removal === null) return null;
  const canonical = `Remove-ADPermission -Identity ${psQuote(c.identity)} -User ${psQuote(ANONYMOUS_USER)} -ExtendedRights ${psQuote(ACCEPT_ANY_SENDER)} -Confirm:$false -ErrorAction Stop`;
  lines.push(...removal);
  if (viaGroup && !removal.includes(canonical)) lines.push(canonical);
  return lines;
}

export default defineRule({
  meta: {
    id: 'anonymous-sender-spoofing',
    scope: 'connector',
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
  fix: senderFix,
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
