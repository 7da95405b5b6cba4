// Get-AcceptedDomain record → AcceptedDomain (reference §7).
import type { AcceptedDomain, DomainType, ImportWarning } from '../../model.js';
import { parseBoolean, parseEnumValue, psText } from '../ps-values.js';
import { getProp, type PsRecord } from '../types.js';
import { buildExtra, lowerSet, text, warn, type Mapped } from './common.js';

const DOMAIN_TYPES: ReadonlyArray<readonly [DomainType, number]> = [['Authoritative', 0], ['ExternalRelay', 1], ['InternalRelay', 2]];
const MAPPED = lowerSet(['DomainName', 'DomainType', 'Default']);

export function mapAcceptedDomain(record: PsRecord): Mapped<AcceptedDomain> {
  const warnings: ImportWarning[] = [];
  const raw = getProp(record, 'DomainName');
  // ConvertTo-Json gives the SmtpDomainWithSubdomains object; its Address is the printed form.
  const domainName = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? psText(raw.Address ?? raw.ToString ?? null) : text(record, 'DomainName'))?.trim() ?? '';
  if (domainName === '') {
    warnings.push(warn(record, null, 'accepted domain without DomainName: skipped'));
    return { value: null, warnings };
  }
  const typeRaw = getProp(record, 'DomainType');
  let domainType = typeRaw === undefined ? undefined : parseEnumValue(DOMAIN_TYPES, typeRaw);
  if (domainType === undefined) {
    warnings.push(warn(record, 'DomainType', `accepted domain ${domainName}: DomainType "${psText(typeRaw ?? null) ?? ''}" not understood; assumed Authoritative`));
    domainType = 'Authoritative';
  }
  const defRaw = getProp(record, 'Default');
  const isDefault = typeof defRaw === 'boolean' ? defRaw : parseBoolean(psText(defRaw ?? null) ?? '') ?? false;
  return { value: { domainName, domainType, default: isDefault, extra: buildExtra(record, MAPPED) }, warnings };
}
