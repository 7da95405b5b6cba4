// One mapper per cmdlet; classifyRecord decides which applies.
import type { AcceptedDomain, Certificate, ExchangeServer, Permission, ReceiveConnector } from '../../model.js';
import type { PsRecord, RecordKind } from '../types.js';
import { mapAcceptedDomain } from './accepted-domain.js';
import { mapAdPermission } from './ad-permission.js';
import { classifyRecord, type Mapped } from './common.js';
import { mapExchangeCertificate } from './exchange-certificate.js';
import { mapExchangeServer } from './exchange-server.js';
import { mapReceiveConnector } from './receive-connector.js';

export { classifyRecord } from './common.js';

export type MappedRecord =
  | { kind: 'receive-connector'; result: Mapped<ReceiveConnector> }
  | { kind: 'ad-permission'; result: Mapped<Permission> }
  | { kind: 'accepted-domain'; result: Mapped<AcceptedDomain> }
  | { kind: 'exchange-server'; result: Mapped<ExchangeServer> }
  | { kind: 'exchange-certificate'; result: Mapped<Certificate> }
  | { kind: 'unknown'; result: null };

export function mapRecord(record: PsRecord, kind: RecordKind = classifyRecord(record)): MappedRecord {
  switch (kind) {
    case 'receive-connector': return { kind, result: mapReceiveConnector(record) };
    case 'ad-permission': return { kind, result: mapAdPermission(record) };
    case 'accepted-domain': return { kind, result: mapAcceptedDomain(record) };
    case 'exchange-server': return { kind, result: mapExchangeServer(record) };
    case 'exchange-certificate': return { kind, result: mapExchangeCertificate(record) };
    default: return { kind: 'unknown', result: null };
  }
}
