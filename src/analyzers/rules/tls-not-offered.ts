import { defineRule, type FindingDraft } from '../rule.js';

const SMTP_PORTS = [25, 587, 465];

export default defineRule({
  meta: {
    id: 'tls-not-offered',
    defaultSeverity: 'medium',
    title: 'STARTTLS not offered on an SMTP port',
    description: '`Tls` is not in AuthMechanism on an enabled connector that takes port 25, 587 or 465 (high when the connector also offers BasicAuth).',
    remediation: "Set-ReceiveConnector -Identity {identity} -AuthMechanism @{Add='Tls'}",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
  },
  check: ({ snapshot }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!c.enabled || c.authMechanism.includes('Tls')) return [];
    const ports = [...new Set(c.bindings.map((b) => b.port).filter((p) => SMTP_PORTS.includes(p)))].sort((a, b) => a - b);
    if (ports.length === 0) return [];
    const basic = c.authMechanism.includes('BasicAuth');
    return [{
      connector: c,
      severity: basic ? 'high' : 'medium',
      message: `${c.identity} takes port ${ports.join(', ')} without offering STARTTLS${basic ? ', and offers Basic authentication' : ''}`,
      evidence: { ports, authMechanism: [...c.authMechanism] },
    }];
  }),
});
