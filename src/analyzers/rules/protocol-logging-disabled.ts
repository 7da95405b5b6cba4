import { isRelayCapable } from '../../policy/index.js';
import { changeBlockedByConflict, setConnector, withConnector } from '../fixes.js';
import { defineRule, isCustomConnector, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

// Verbose logging changes no SMTP answer: the one setting this finding is about.
function fix(draft: FindingDraft, { snapshot }: RuleContext): FixCandidate {
  return withConnector(draft, (c) => {
    const blocked = changeBlockedByConflict(snapshot, c, (copy) => { copy.protocolLoggingLevel = 'Verbose'; }, `turn on protocol logging: ${setConnector(c, '-ProtocolLoggingLevel Verbose')}`);
    if (blocked !== null) return blocked;
    return {
    script: setConnector(c, '-ProtocolLoggingLevel Verbose'),
    fallback: `Turn on protocol logging on ${c.identity} (ProtocolLoggingLevel Verbose) once whatever Exchange refuses in its current settings is corrected; logging itself changes no mail flow.`,
    };
  });
}

export default defineRule({
  meta: {
    id: 'protocol-logging-disabled',
    scope: 'connector',
    defaultSeverity: 'low',
    title: 'Protocol logging off on a relay or custom connector',
    description: 'A relay-capable or custom connector has ProtocolLoggingLevel `None`: nobody can tell later who relayed through it.',
    remediation: 'Set-ReceiveConnector -Identity {identity} -ProtocolLoggingLevel Verbose -ErrorAction Stop',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/protocol-logging',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
    dependsOn: ['Enabled', 'ProtocolLoggingLevel'],
    wording: {
      impact: 'There is no record of who uses this connector, so abuse and the impact of a change cannot be investigated.',
      action: 'Turn on protocol logging',
    },
  },
  check: ({ snapshot, policy }) => snapshot.connectors
    .filter((c) => c.enabled && c.protocolLoggingLevel === 'None')
    .flatMap((c) => {
      const relay = isRelayCapable(policy, c);
      if (!relay && !isCustomConnector(c)) return [];
      return [{
        connector: c,
        message: `${c.identity} is ${relay ? 'relay-capable' : 'a custom connector'} and does not write a protocol log`,
        evidence: { protocolLoggingLevel: c.protocolLoggingLevel, relayCapable: relay },
      }];
    }),
  remediationFromFix: true,
  fix,
});
