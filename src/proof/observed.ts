// The hosts seen in the logs (`audit --logs`), as the rules and the verifier read them: one row
// per device and connector. Analyzers may not read logs; the command hands these over.
import type { LogsDocument } from '../logs/aggregate.js';
import { serverOfConnector } from '../logs/session.js';
import type { ObservedSender } from '../model.js';

export function observedSendersFrom(doc: LogsDocument): ObservedSender[] {
  return doc.senders.map((s) => ({
    connector: s.connector === '' ? null : s.connector,
    server: serverOfConnector(s.connector) || null,
    remoteIp: s.remoteIp,
    authenticated: s.authenticatedAs.length > 0,
    messages: s.messages,
    externalRecipients: s.externalRecipients,
  }));
}
