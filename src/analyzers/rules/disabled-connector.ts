import { defineRule } from '../rule.js';
import { formatBinding } from '../../net/index.js';

export default defineRule({
  meta: {
    id: 'disabled-connector',
    defaultSeverity: 'info',
    title: 'Disabled receive connector',
    description: 'A connector is disabled (it takes no part in connector selection; remove it or re-enable it on purpose).',
    remediation: 'Remove-ReceiveConnector -Identity {identity}   # or: Set-ReceiveConnector -Identity {identity} -Enabled $true',
    references: ['https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector'],
  },
  check: ({ snapshot }) => snapshot.connectors
    .filter((c) => !c.enabled)
    .map((c) => ({
      connector: c,
      message: `${c.identity} is disabled`,
      evidence: { bindings: c.bindings.map(formatBinding) },
    })),
});
