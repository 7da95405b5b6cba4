// Sender profiles shared by the log tests: a small estate's worth of relay traffic.
import type { SenderProfile } from '../../bench/lib/log-generator.js';

export const RELAY = 'EX01\\Relay EX01';
export const FRONTEND = 'EX01\\Default Frontend EX01';
export const CLIENT = 'EX01\\Client Frontend EX01';

export function mixedProfiles(scale = 1): SenderProfile[] {
  return [
    { connector: RELAY, localEndpoint: '10.0.0.10:25', remoteIp: '10.1.2.3', helo: 'scanner01.corp.example', account: null, tls: false,
      mailFrom: 'scanner@corp.example', recipients: [{ address: 'alice@corp.example', accept: true }, { address: 'partner@external.example', accept: true }],
      sessions: 40 * scale, messagesPerSession: 1 },
    { connector: RELAY, localEndpoint: '10.0.0.10:25', remoteIp: '10.1.2.4', helo: 'app02', account: null, tls: true,
      mailFrom: 'noreply@apps.corp.example', recipients: [{ address: 'bob@corp.example', accept: true }],
      sessions: 25 * scale, messagesPerSession: 3, bdat: true },
    { connector: FRONTEND, localEndpoint: '10.0.0.10:25', remoteIp: '198.51.100.7', helo: 'mx.example.net', account: null, tls: true,
      mailFrom: 'news@example.net', recipients: [{ address: 'carol@corp.example', accept: true }, { address: 'someone@fabrikam.example', accept: false }],
      sessions: 30 * scale, messagesPerSession: 2 },
    { connector: FRONTEND, localEndpoint: '10.0.0.10:25', remoteIp: '203.0.113.9', helo: 'spambot', account: null, tls: false,
      mailFrom: 'x@spam.example', recipients: [{ address: 'victim@elsewhere.example', accept: false }],
      sessions: 15 * scale, messagesPerSession: 1 },
    { connector: CLIENT, localEndpoint: '10.0.0.10:587', remoteIp: '10.2.0.50', helo: 'crm01.corp.example', account: 'CORP\\svc-crm', tls: true,
      mailFrom: 'crm@corp.example', recipients: [{ address: 'customer@contoso.example', accept: true }, { address: 'dave@corp.example', accept: true }],
      sessions: 20 * scale, messagesPerSession: 2 },
  ];
}
