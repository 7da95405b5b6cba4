import type { ReceiveConnector, Snapshot } from '../../model.js';
import { canRelayAnonymously } from '../../policy/index.js';
import { sessionsExternallySecured } from '../evidence.js';
import { withConnector } from '../fixes.js';
import { defineRule, isCustomConnector, psQuote, type FindingDraft, type FixCandidate } from '../rule.js';
import { formatBinding } from '../../net/index.js';

/**
 * Settings the model keeps only in `extra` that New-ReceiveConnector takes (reference §1.2): the
 * new connector must carry them over, or the move would silently change them.
 */
const CARRIED_SETTINGS = [
  'Comment', 'ConnectionTimeout', 'ConnectionInactivityTimeout', 'MessageRateLimit', 'MessageRateSource',
  'MaxInboundConnection', 'MaxInboundConnectionPerSource', 'MaxInboundConnectionPercentagePerSource',
  'MaxHeaderSize', 'MaxHopCount', 'MaxLocalHopCount', 'MaxLogonFailures', 'MaxProtocolErrors',
  'BinaryMimeEnabled', 'ChunkingEnabled', 'DeliveryStatusNotificationEnabled', 'EightBitMimeEnabled',
  'SmtpUtf8Enabled', 'BareLinefeedRejectionEnabled', 'EnhancedStatusCodesEnabled', 'LongAddressesEnabled',
  'OrarEnabled', 'SuppressXAnonymousTls', 'PipeliningEnabled', 'RequireEHLODomain', 'EnableAuthGSSAPI',
  'ExtendedProtectionPolicy', 'SizeEnabled', 'TarpitInterval', 'AuthTarpitInterval', 'MaxAcknowledgementDelay',
];

/** `-Name value` for a carried setting as the export printed it; null when it cannot be written back as is. */
function carriedSetting(name: string, value: unknown): string | null {
  if (typeof value === 'boolean') return `-${name} $${String(value)}`;
  if (typeof value === 'number') return `-${name} ${value}`;
  if (typeof value !== 'string') return null;
  if (/^(true|false)$/i.test(value)) return `-${name} $${value.toLowerCase()}`;
  // A ByteQuantifiedSize prints as `128 KB (131,072 bytes)`: the byte count is what it means.
  const bytes = /\(([\d,]+) bytes\)$/.exec(value);
  if (bytes?.[1] !== undefined) return `-${name} ${bytes[1].replace(/,/g, '')}`;
  if (name === 'Comment') return `-Comment ${psQuote(value)}`;
  // Unlimited, counts, time spans, enum names (IPAddress, None): written back as printed.
  return /^[\w.:-]+$/.test(value) ? `-${name} ${psQuote(value)}` : null;
}

/** The setting-carrying part of New-ReceiveConnector for `c`, or the names it could not carry. */
function newConnectorSettings(c: ReceiveConnector): { settings: string[] } | { uncarried: string[] } {
  const assumed = new Set((c.extra?.assumed ?? []).map((x) => x.toLowerCase()));
  const settings: string[] = [];
  const uncarried: string[] = [];
  for (const [key, value] of Object.entries(c.extra ?? {})) {
    const name = CARRIED_SETTINGS.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined || assumed.has(name.toLowerCase()) || value === null || value === '') continue;
    const written = carriedSetting(name, value);
    if (written === null) uncarried.push(name); else settings.push(written);
  }
  return uncarried.length > 0 ? { uncarried } : { settings };
}

/**
 * The move to Front End Transport as one ordered script: the hub connector goes first, because
 * a Front End connector on the same bindings beside it is a role conflict Exchange refuses
 * (reference §4.4 rule 2); the new one takes its name, bindings, ranges, groups, mechanisms and
 * settings, then its explicit rights. The moment between the two steps is a short interruption
 * for its hosts, which is why the step is taken with -ErrorAction Stop on each line.
 */
function moveToFrontend(snapshot: Snapshot, c: ReceiveConnector): FixCandidate {
  const manual = `Recreate ${c.identity} on Front End Transport: remove the hub connector first (a Front End connector on the same bindings beside it is a role conflict Exchange refuses), then New-ReceiveConnector -TransportRole FrontendTransport -Custom with the same bindings, RemoteIPRanges, PermissionGroups, AuthMechanism and settings, and add its explicit rights again (Add-ADPermission).`;
  const carried = newConnectorSettings(c);
  if ('uncarried' in carried) {
    return { manual: `${manual} No script is offered: the export prints ${carried.uncarried.join(', ')} in a form exrelay cannot write back, so the new connector would not keep ${carried.uncarried.length === 1 ? 'it' : 'them'}.` };
  }
  if (c.bindings.length === 0 || c.remoteIPRanges.length === 0) return { manual: `${manual} No script is offered: the export gives no bindings or RemoteIPRanges for it.` };
  const groups = c.permissionGroups.filter((g) => g !== 'Custom');
  const params = [
    `-Name ${psQuote(c.name)}`, `-Server ${psQuote(c.server)}`, '-TransportRole FrontendTransport', '-Custom',
    `-Bindings ${c.bindings.map((b) => psQuote(formatBinding(b))).join(',')}`,
    `-RemoteIPRanges ${c.remoteIPRanges.map((r) => psQuote(r.expression)).join(',')}`,
    `-PermissionGroups ${psQuote(groups.length === 0 ? 'None' : groups.join(', '))}`,
    `-AuthMechanism ${psQuote(c.authMechanism.length === 0 ? 'None' : c.authMechanism.join(', '))}`,
    ...(c.fqdn === null ? [] : [`-Fqdn ${psQuote(c.fqdn)}`]),
    ...(c.requireTLS ? ['-RequireTLS $true'] : []),
    ...(c.domainSecureEnabled ? ['-DomainSecureEnabled $true'] : []),
    ...(c.tlsCertificateName === null ? [] : [`-TlsCertificateName ${psQuote(c.tlsCertificateName)}`]),
    ...(c.banner === null ? [] : [`-Banner ${psQuote(c.banner)}`]),
    `-ProtocolLoggingLevel ${c.protocolLoggingLevel}`,
    `-MaxMessageSize ${c.maxMessageSize === null ? "'Unlimited'" : c.maxMessageSize}`,
    `-MaxRecipientsPerMessage ${c.maxRecipientsPerMessage === null ? "'Unlimited'" : c.maxRecipientsPerMessage}`,
    ...carried.settings,
    ...(c.enabled ? [] : ['-Enabled $false']),
  ];
  const rights = snapshot.permissions.filter((p) => !p.inherited && p.identity.toLowerCase() === c.identity.toLowerCase() && p.extendedRights.length > 0)
    .map((p) => `Add-ADPermission -Identity ${psQuote(c.identity)} -User ${psQuote(p.user)} -ExtendedRights ${p.extendedRights.map(psQuote).join(',')}${p.deny ? ' -Deny' : ''} -ErrorAction Stop`);
  return {
    script: [
      `Remove-ReceiveConnector -Identity ${psQuote(c.identity)} -Confirm:$false -ErrorAction Stop`,
      `New-ReceiveConnector ${params.join(' ')} -ErrorAction Stop`,
      ...rights,
    ].join('\n'),
    fallback: manual,
  };
}

export default defineRule({
  meta: {
    id: 'hub-transport-relay-connector',
    defaultSeverity: 'medium',
    title: 'Custom relay connector on the hub Transport service',
    description: 'On a server that has FrontendTransport connectors (2013 or later), a custom HubTransport connector grants anonymous relay or is bound to port 25 (a 2010 habit: on 2013+ such connectors belong to Front End Transport).',
    remediation: 'Remove the hub connector, then recreate it with the same name, bindings, RemoteIPRanges, PermissionGroups, AuthMechanism and settings with New-ReceiveConnector -TransportRole FrontendTransport -Custom (in this order: a Front End connector on the same bindings beside the hub one is a role conflict Exchange refuses), and add its explicit rights again with Add-ADPermission.',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    dependsOn: ['Enabled', 'Bindings', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'On Exchange 2013 and later port 25 belongs to the Front End Transport service; a hub connector here conflicts with it or relays in a way Microsoft does not support.',
      action: 'Recreate the relay connector in the Front End Transport role',
    },
  },
  remediationFromFix: true,
  fix: (draft, { snapshot }) => withConnector(draft, (c) => moveToFrontend(snapshot, c)),
  check: ({ snapshot, policy }) => {
    const withFrontend = new Set(snapshot.connectors.filter((c) => c.transportRole === 'FrontendTransport').map((c) => c.server.toLowerCase()));
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
      if (c.transportRole !== 'HubTransport' || !withFrontend.has(c.server.toLowerCase()) || !isCustomConnector(c)) return [];
      const relay = c.enabled && canRelayAnonymously(policy, c) && !sessionsExternallySecured(c);
      const port25 = c.bindings.filter((b) => b.port === 25);
      if (!relay && port25.length === 0) return [];
      const why = [relay ? 'grants anonymous relay' : null, port25.length > 0 ? `binds ${port25.map(formatBinding).join(', ')}` : null].filter((x) => x !== null);
      return [{
        connector: c,
        message: `${c.identity} is a HubTransport connector that ${why.join(' and ')}; on 2013 and later relay connectors belong to Front End Transport`,
        evidence: { transportRole: 'HubTransport', bindings: c.bindings.map(formatBinding), anonymousRelay: relay },
      }];
    });
  },
});
