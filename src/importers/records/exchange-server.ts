// Get-ExchangeServer record → ExchangeServer. The collect script adds the server's addresses
// (resolved from DNS) as an IPAddresses property; Exchange itself does not export them.
import type { ExchangeServer, ImportWarning } from '../../model.js';
import { psList, psText } from '../ps-values.js';
import { normalizeAddress } from '../../net/index.js';
import { getProp, type PsRecord } from '../types.js';
import { buildExtra, lowerSet, splitIdentity, text, textOrNull, warn, type Mapped } from './common.js';

const ADDRESS_PROPS = ['IPAddresses', 'IPAddress', 'IpAddresses', 'Addresses', 'IPv4Addresses', 'IPv6Addresses'];
const MAPPED = lowerSet(['Name', 'Fqdn', 'AdminDisplayVersion', 'ServerRole', ...ADDRESS_PROPS]);
// ServerRole flag values seen in exports ([real]: Mailbox 2) and reference §1.3 (HubTransport, FrontendTransport).
const ROLE_FLAGS: ReadonlyArray<readonly [string, number]> = [['Mailbox', 2], ['ClientAccess', 4], ['UnifiedMessaging', 16], ['HubTransport', 32], ['Edge', 64], ['FrontendTransport', 16384]];

export function mapExchangeServer(record: PsRecord): Mapped<ExchangeServer> {
  const warnings: ImportWarning[] = [];
  let name = textOrNull(record, 'Name');
  if (name === null) {
    const id = textOrNull(record, 'Identity');
    name = id === null ? null : splitIdentity(id)[1];
  }
  if (name === null) {
    warnings.push(warn(record, null, 'Exchange server without Name: skipped'));
    return { value: null, warnings };
  }
  const roles: string[] = [];
  const roleRaw = getProp(record, 'ServerRole');
  if (typeof roleRaw === 'number') {
    for (const [role, bit] of ROLE_FLAGS) if (Math.floor(roleRaw / bit) % 2 === 1) roles.push(role);
  } else {
    for (const item of psList(roleRaw ?? null, 'comma')) {
      const r = psText(item)?.trim() ?? '';
      if (r !== '' && r.toLowerCase() !== 'none' && !roles.includes(r)) roles.push(r);
    }
  }
  const ipAddresses: string[] = [];
  for (const prop of ADDRESS_PROPS) {
    for (const item of psList(getProp(record, prop) ?? null, 'any')) {
      const t = psText(item)?.trim() ?? '';
      if (t === '') continue;
      const a = normalizeAddress(t);
      if (a === null) warnings.push(warn(record, prop, `server ${name}: "${t}" is not an IP address; skipped`));
      else if (!ipAddresses.includes(a)) ipAddresses.push(a);
    }
  }
  const versionRaw = getProp(record, 'AdminDisplayVersion');
  const version = versionRaw !== null && typeof versionRaw === 'object' && !Array.isArray(versionRaw) && versionRaw.ToString === null
    ? null : text(record, 'AdminDisplayVersion');
  return {
    value: {
      name,
      fqdn: textOrNull(record, 'Fqdn'),
      version: version === '' ? null : version,
      roles,
      ipAddresses,
      extra: buildExtra(record, MAPPED),
    },
    warnings,
  };
}
