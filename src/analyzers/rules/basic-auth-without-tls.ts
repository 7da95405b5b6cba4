import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'basic-auth-without-tls',
    defaultSeverity: 'high',
    title: 'Basic authentication offered before TLS',
    description: '`BasicAuth` is in AuthMechanism without `BasicAuthRequireTLS` on an enabled connector: passwords can cross the network in clear text.',
    remediation: "Set-ReceiveConnector -Identity {identity} -AuthMechanism @{Add='Tls','BasicAuthRequireTLS'}",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
  },
  check: ({ snapshot }) => snapshot.connectors
    .filter((c) => c.enabled && c.authMechanism.includes('BasicAuth') && !c.authMechanism.includes('BasicAuthRequireTLS'))
    .map((c) => ({
      connector: c,
      message: `${c.identity} accepts AUTH LOGIN before STARTTLS, so credentials can be sent in clear text`,
      evidence: { authMechanism: [...c.authMechanism] },
    })),
});
