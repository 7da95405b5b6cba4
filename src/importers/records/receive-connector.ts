// Get-ReceiveConnector record → ReceiveConnector (reference §1.2, §1.3, §5).
import { DEFAULT_MAX_MESSAGE_SIZE } from '../../connectors.js';
import type { Binding, ImportWarning, IpRange, ProtocolLoggingLevel, ReceiveConnector, TransportRole } from '../../model.js';
import {
  isTypeNameCell, parseAuthMechanism, parseBoolean, parseByteSize, parseEnumValue,
  parsePermissionGroups, parseUnlimitedInt, psList, psText,
} from '../ps-values.js';
import { bindingFromParts, parseBinding, parseRange, rangeFromBounds } from '../../net/index.js';
import { connectorIdentityFromPath, serverNameOf } from '../ad-object-id.js';
import { getProp, type PsRecord, type PsValue } from '../types.js';
import { buildExtra, lowerSet, splitIdentity, text, textOrNull, warn, type Mapped } from './common.js';

const TRANSPORT_ROLES: ReadonlyArray<readonly [TransportRole, number]> = [['FrontendTransport', 16384], ['HubTransport', 32]];
const LOGGING_LEVELS: ReadonlyArray<readonly [ProtocolLoggingLevel, number]> = [['None', 0], ['Verbose', 1]];

const MAPPED = lowerSet([
  'Identity', 'Name', 'Server', 'TransportRole', 'Enabled', 'Bindings', 'RemoteIPRanges', 'PermissionGroups', 'AuthMechanism',
  'RequireTLS', 'DomainSecureEnabled', 'Fqdn', 'TlsCertificateName', 'Banner', 'ProtocolLoggingLevel', 'MaxMessageSize',
  'MaxRecipientsPerMessage',
]);

/**
 * Fields a partial export did not show but whose model value needs no default (TransportRole:
 * null). Kept out of the snapshot; merging uses it so another copy of the connector may supply them.
 */
export const unseenFields = new WeakMap<ReceiveConnector, readonly string[]>();

const TRUNCATED = /(\.\.\.|…)\s*\}?\s*$/;

function isTruncated(value: PsValue | undefined): boolean {
  if (typeof value === 'string') return TRUNCATED.test(value);
  if (Array.isArray(value)) {
    const last = value[value.length - 1];
    return typeof last === 'string' && TRUNCATED.test(last);
  }
  return false;
}

/** List items with a Format-List truncation mark removed from the last one. */
function listItems(value: PsValue | undefined): PsValue[] {
  const items = psList(value, 'any');
  const last = items[items.length - 1];
  if (typeof last === 'string' && TRUNCATED.test(last)) {
    const kept = last.replace(TRUNCATED, '').trim();
    return kept === '' ? items.slice(0, -1) : [...items.slice(0, -1), kept];
  }
  return items;
}

/** A RemoteIPRanges item as the model's range, or why it is not one (src/net's reason). */
function rangeOf(item: PsValue): IpRange | string {
  if (typeof item === 'string') { const r = parseRange(item); return r.range ?? r.reason; }
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    // CLIXML / ConvertTo-Json IPRange object: LowerBound, UpperBound, Expression (reference §5.1).
    const expression = psText(item.Expression) ?? psText(item.ToString);
    const lo = psText(item.LowerBound);
    const hi = psText(item.UpperBound);
    const bounded = expression === null || lo === null || hi === null ? null : rangeFromBounds(expression, lo, hi);
    if (bounded !== null) return bounded;
    if (expression === null) return 'an IPRange without Expression or bounds';
    const r = parseRange(expression);
    return r.range ?? r.reason;
  }
  return `"${psText(item) ?? ''}" is not an IP range`;
}

function bindingOf(item: PsValue): Binding | null {
  if (typeof item === 'string') return parseBinding(item).binding ?? null;
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    // ConvertTo-Json -Depth 3 and deeper writes Address as an IPAddress object.
    const rawAddress = item.Address ?? item.IPAddressToString ?? null;
    const addr = rawAddress !== null && typeof rawAddress === 'object' && !Array.isArray(rawAddress)
      ? psText(rawAddress.IPAddressToString ?? rawAddress.ToString ?? null) : psText(rawAddress);
    const port = item.Port;
    const fromParts = addr === null || typeof port !== 'number' ? null : bindingFromParts(addr, port);
    if (fromParts !== null) return fromParts;
    const ts = psText(item.ToString);
    return ts === null ? null : parseBinding(ts).binding ?? null;
  }
  return null;
}

/** ByteQuantifiedSize / Unlimited`1 in any of its shapes → bytes, null (Unlimited) or undefined. */
function sizeOf(value: PsValue | undefined, parse: (s: string) => number | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parse(value);
  if (typeof value === 'boolean' || Array.isArray(value)) return undefined;
  if (value.IsUnlimited === true) return null;
  if (value.ToString !== undefined && value.ToString !== null) {
    const fromText = sizeOf(value.ToString, parse);
    if (fromText !== undefined) return fromText;
  }
  return sizeOf(value.Value, parse);
}

export function mapReceiveConnector(record: PsRecord): Mapped<ReceiveConnector> {
  const warnings: ImportWarning[] = [];
  const defaulted: string[] = [];
  const missing: string[] = [];
  const identityText = text(record, 'Identity');
  let name = textOrNull(record, 'Name');
  const serverText = textOrNull(record, 'Server');
  let server = serverText === null ? null : serverNameOf(serverText);
  // An Identity or DistinguishedName printed as the connector's DN or canonical path (a
  // ConvertTo-Json cut at its -Depth) names the server and the connector too.
  const dnText = textOrNull(record, 'DistinguishedName');
  let identity = identityText === null || identityText === '' ? null
    : connectorIdentityFromPath(identityText) ?? identityText;
  if (identity === null && dnText !== null) identity = connectorIdentityFromPath(dnText);
  if (identity !== null) {
    const [idServer, idName] = splitIdentity(identity);
    server ??= idServer;
    name ??= idName;
  }
  if (name === null) {
    warnings.push(warn(record, null, 'receive connector without Identity or Name: skipped'));
    return { value: null, warnings };
  }
  if (server === null) {
    warnings.push(warn(record, null, `receive connector "${name}" has neither a "SERVER\\Name" Identity nor a Server property; server left empty`));
    server = '';
  }
  identity ??= server === '' ? name : `${server}\\${name}`;
  const label = identity;

  const bool = (prop: string, fallback: boolean): boolean => {
    const raw = getProp(record, prop);
    if (raw === undefined || raw === null || raw === '') { defaulted.push(prop); return fallback; }
    if (typeof raw === 'boolean') return raw;
    const parsed = parseBoolean(psText(raw) ?? '');
    if (parsed === undefined) {
      warnings.push(warn(record, prop, `${label}: ${prop} "${psText(raw) ?? ''}" is not True/False; assumed ${String(fallback)}`));
      return fallback;
    }
    return parsed;
  };

  // TransportRole: absent on Exchange 2010 (null), FrontendTransport/HubTransport, or 16384/32 in JSON.
  const roleRaw = getProp(record, 'TransportRole');
  let transportRole: TransportRole | null = null;
  // A full property set without TransportRole is Exchange 2010; a partial paste simply did not
  // show it (so another copy of the connector may supply it when inputs are merged).
  const silentlyAbsent: string[] = [];
  // A partial capture (`fl auth*,bind*`, a `select` of a few properties) is told from a whole
  // Exchange 2010 object, which has neither TransportRole nor TlsCertificateName, by its size.
  const partial = record.typeNames.length === 0 && record.props.size < 25;
  if (partial) {
    for (const prop of ['TransportRole', 'Fqdn', 'TlsCertificateName', 'Banner']) {
      if (getProp(record, prop) === undefined) silentlyAbsent.push(prop);
    }
  }
  if (roleRaw !== undefined && roleRaw !== null && roleRaw !== '') {
    const role = parseEnumValue(TRANSPORT_ROLES, roleRaw);
    if (role === undefined) warnings.push(warn(record, 'TransportRole', `${label}: unknown TransportRole "${psText(roleRaw) ?? ''}"; left empty`));
    transportRole = role ?? null;
  }

  // A list printed as its .NET type name (ConvertTo-Json below the needed -Depth, Export-Csv):
  // the values are not in the export, which is said once instead of "not understood" per item.
  const listProp = (prop: string): PsValue | undefined => {
    const raw = getProp(record, prop);
    if (typeof raw === 'string' && isTypeNameCell(raw)) {
      warnings.push(warn(record, prop, `${label}: ${prop} holds the type name "${raw.trim()}" instead of its values (export with Export-Clixml, or ConvertTo-Json -Depth 4); not in the export`));
      return undefined;
    }
    return raw;
  };

  const bindings: Binding[] = [];
  const bindingsRaw = listProp('Bindings');
  if (bindingsRaw === undefined) missing.push('Bindings');
  if (isTruncated(bindingsRaw)) warnings.push(warn(record, 'Bindings', `${label}: Bindings list truncated by the console ("..."); only the entries shown were kept`));
  for (const item of listItems(bindingsRaw)) {
    const b = bindingOf(item);
    if (b === null) warnings.push(warn(record, 'Bindings', `${label}: binding "${psText(item) ?? ''}" is not IP:port; skipped`));
    else if (!bindings.some((x) => x.address === b.address && x.port === b.port)) bindings.push(b);
  }

  const remoteIPRanges: IpRange[] = [];
  const rangesRaw = listProp('RemoteIPRanges');
  if (rangesRaw === undefined) missing.push('RemoteIPRanges');
  if (isTruncated(rangesRaw)) {
    warnings.push(warn(record, 'RemoteIPRanges', `${label}: RemoteIPRanges list truncated by the console ("..."); only the entries shown were kept`));
  }
  for (const item of listItems(rangesRaw)) {
    const r = rangeOf(item);
    if (typeof r === 'string') warnings.push(warn(record, 'RemoteIPRanges', `${label}: ${r}; skipped`));
    else remoteIPRanges.push(r);
  }

  const pgRaw = getProp(record, 'PermissionGroups');
  if (pgRaw === undefined) defaulted.push('PermissionGroups');
  const pg = parsePermissionGroups(pgRaw ?? null);
  if (pg.unknown.length > 0) warnings.push(warn(record, 'PermissionGroups', `${label}: unknown PermissionGroups value(s) ${pg.unknown.join(', ')}; ignored`));
  const amRaw = getProp(record, 'AuthMechanism');
  if (amRaw === undefined) defaulted.push('AuthMechanism');
  const am = parseAuthMechanism(amRaw ?? null);
  if (am.unknown.length > 0) warnings.push(warn(record, 'AuthMechanism', `${label}: unknown AuthMechanism value(s) ${am.unknown.join(', ')}; ignored`));

  const logRaw = getProp(record, 'ProtocolLoggingLevel');
  let protocolLoggingLevel: ProtocolLoggingLevel = 'None';
  if (logRaw === undefined || logRaw === null || logRaw === '') defaulted.push('ProtocolLoggingLevel');
  else {
    const level = parseEnumValue(LOGGING_LEVELS, logRaw);
    if (level === undefined) warnings.push(warn(record, 'ProtocolLoggingLevel', `${label}: unknown ProtocolLoggingLevel "${psText(logRaw) ?? ''}"; assumed None`));
    protocolLoggingLevel = level ?? 'None';
  }

  const limit = (prop: string, parse: (s: string) => number | null | undefined, fallback: number | null): number | null => {
    const raw = getProp(record, prop);
    if (raw === undefined || raw === '') { defaulted.push(prop); return fallback; }
    const v = sizeOf(raw, parse);
    if (v === undefined) {
      warnings.push(warn(record, prop, `${label}: ${prop} "${psText(raw) ?? ''}" not understood; assumed ${fallback === null ? 'Unlimited' : String(fallback)}`));
      return fallback;
    }
    return v;
  };

  const connector: ReceiveConnector = {
    identity,
    server,
    name,
    transportRole,
    enabled: bool('Enabled', true),
    bindings,
    remoteIPRanges,
    permissionGroups: pg.values,
    authMechanism: am.values,
    requireTLS: bool('RequireTLS', false),
    domainSecureEnabled: bool('DomainSecureEnabled', false),
    fqdn: textOrNull(record, 'Fqdn'),
    tlsCertificateName: textOrNull(record, 'TlsCertificateName'),
    banner: textOrNull(record, 'Banner'),
    protocolLoggingLevel,
    // Defaults of a new connector (reference §1.2): 36 MB, 200 recipients.
    maxMessageSize: limit('MaxMessageSize', parseByteSize, DEFAULT_MAX_MESSAGE_SIZE),
    maxRecipientsPerMessage: limit('MaxRecipientsPerMessage', parseUnlimitedInt, 200),
    extra: buildExtra(record, MAPPED),
  };
  const absent = [...missing, ...defaulted];
  if (silentlyAbsent.length > 0) unseenFields.set(connector, silentlyAbsent);
  if (absent.length > 0 && connector.extra !== undefined) connector.extra.notInExport = absent;
  // Contract rules.md, "Assumed is not observed": every property the snapshot holds only
  // because the importer filled it in, by its PowerShell name, so rules can tell it from a value.
  const assumed = [...new Set([...absent, ...silentlyAbsent])].sort();
  if (assumed.length > 0 && connector.extra !== undefined) connector.extra.assumed = assumed;
  if (missing.length > 0) warnings.push(warn(record, null, `${label}: ${missing.join(' and ')} not in the export; left empty`));
  if (defaulted.length > 0) {
    warnings.push(warn(record, null, `${label}: not in the export, defaults assumed for ${defaulted.join(', ')}`));
  }
  return { value: connector, warnings };
}
