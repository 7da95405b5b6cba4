import { authMechanismValue, defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'basic-auth-without-tls',
    defaultSeverity: 'high',
    title: 'Basic authentication offered before TLS',
    description: '`BasicAuth` is in AuthMechanism without `BasicAuthRequireTLS` on an enabled connector: passwords can cross the network in clear text.',
    // AuthMechanism is a flags value, not a list: the command names the whole new set.
    remediation: "Set-ReceiveConnector -Identity {identity} -AuthMechanism 'Tls, BasicAuth, BasicAuthRequireTLS'   # plus the connector's other mechanisms",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
    dependsOn: ['Enabled', 'AuthMechanism'],
    wording: {
      impact: 'User names and passwords may be sent in clear text and read by anyone on the network path.',
      action: 'Require TLS before passwords are accepted',
    },
  },
  check: ({ snapshot }) => snapshot.connectors
    .filter((c) => c.enabled && c.authMechanism.includes('BasicAuth') && !c.authMechanism.includes('BasicAuthRequireTLS'))
    .map((c) => ({
      connector: c,
      message: `${c.identity} accepts AUTH LOGIN before STARTTLS, so credentials can be sent in clear text`,
      evidence: { authMechanism: [...c.authMechanism] },
    })),
  // Fix: the connector's own mechanisms with Tls and BasicAuthRequireTLS added.
  remediation: ({ connector }) => (connector === null || connector === undefined ? undefined
    : `Set-ReceiveConnector -Identity {identity} -AuthMechanism ${authMechanismValue(connector, ['Tls', 'BasicAuthRequireTLS'])}`),
});
