// New-, Set- and Remove-ReceiveConnector: the usage templates of New-ReceiveConnector, the
// parameters both New and Set apply, and the checks Exchange makes before it saves a connector
// (reference §1.7, §3.2, §4.4).
import {
  AUTH_MECHANISMS, PERMISSION_GROUPS, PROTOCOL_LOGGING_LEVELS, TRANSPORT_ROLES,
  type AuthMechanism, type Binding, type IpRange, type Permission, type PermissionGroup, type ReceiveConnector, type Snapshot,
} from '../../model.js';
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_RECIPIENTS_PER_MESSAGE } from '../../connectors.js';
import { setGroups } from '../acl.js';
import { sameBinding, sameRange } from '../../net/index.js';
import type { Params } from '../binding.js';
import {
  Refusal, byteSize, enumValue, eq, flags, listEdit, orderFlags, str, toBinding, toBool, toJson, toRange,
} from '../coercion.js';
import { bannerProblem } from '../../connectors.js';
import { authMechanismProblems, conflictWith, tlsCertificateNameProblem } from '../validate.js';
import { isHash, isTruthy, stringify, toStringList, type PsValue } from '../values.js';
import { requireConnector } from './lookup.js';

interface UsageTemplate {
  groups: PermissionGroup[];
  auth: AuthMechanism[];
  bindings: 'required' | 'forbidden' | Binding[];
  ranges: 'required' | 'forbidden' | IpRange[];
}

// Reference §1.7. "forbidden"/"required" are what New-ReceiveConnector checks for each usage.
const USAGES: Record<string, UsageTemplate> = {
  Client: { groups: ['ExchangeUsers'], auth: ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS'], bindings: [{ address: '0.0.0.0', port: 587 }], ranges: 'required' },
  Custom: { groups: [], auth: ['Tls'], bindings: 'required', ranges: 'required' },
  Internal: { groups: ['ExchangeServers', 'ExchangeLegacyServers'], auth: ['Tls', 'ExchangeServer'], bindings: [{ address: '0.0.0.0', port: 25 }], ranges: 'required' },
  Internet: { groups: ['AnonymousUsers'], auth: ['Tls'], bindings: 'required', ranges: [{ expression: '0.0.0.0-255.255.255.255', first: '0.0.0.0', last: '255.255.255.255' }] },
  Partner: { groups: ['Partners'], auth: ['Tls'], bindings: 'required', ranges: 'required' },
};
const USAGE_SWITCHES = ['Client', 'Custom', 'Internal', 'Internet', 'Partner'];

/** The parameters New- and Set-ReceiveConnector share, applied to a working copy. */
function applySettings(c: ReceiveConnector, permissions: Permission[], b: Params): void {
  for (const [key, { value }] of b) {
    switch (key) {
      case 'Bindings':
        c.bindings = listEdit(value, c.bindings, toBinding, sameBinding, 'Bindings');
        if (c.bindings.length === 0) throw new Refusal('Bindings cannot be empty');
        break;
      case 'RemoteIPRanges':
        c.remoteIPRanges = listEdit(value, c.remoteIPRanges, toRange, sameRange, 'RemoteIPRanges');
        if (c.remoteIPRanges.length === 0) throw new Refusal('RemoteIPRanges cannot be empty');
        break;
      case 'PermissionGroups': {
        const groups = isHash(value)
          ? listEdit(value, c.permissionGroups.filter((g) => g !== 'Custom'), (s) => enumValue(PERMISSION_GROUPS, s, 'PermissionGroups value'), (x, y) => x === y, 'PermissionGroups')
          : flags(PERMISSION_GROUPS, toStringList(value), 'PermissionGroups');
        if (groups.includes('Custom')) throw new Refusal('PermissionGroups Custom cannot be set; it is shown when explicit AD permissions exist');
        const ordered = orderFlags(PERMISSION_GROUPS, groups);
        // The same groups again is "no settings modified": Exchange leaves the ACL alone.
        if (ordered.join() !== c.permissionGroups.filter((g) => g !== 'Custom').join()) setGroups(c, permissions, ordered);
        break;
      }
      case 'AuthMechanism':
        c.authMechanism = isHash(value)
          ? orderFlags(AUTH_MECHANISMS, listEdit(value, c.authMechanism, (s) => enumValue(AUTH_MECHANISMS, s, 'AuthMechanism value'), (x, y) => x === y, 'AuthMechanism'))
          : flags(AUTH_MECHANISMS, toStringList(value), 'AuthMechanism');
        break;
      case 'TransportRole':
        if (c.transportRole !== null) c.transportRole = enumValue(TRANSPORT_ROLES, stringify(value), 'TransportRole');
        break;
      case 'Enabled': c.enabled = toBool(value, key); break;
      case 'RequireTLS': c.requireTLS = toBool(value, key); break;
      case 'DomainSecureEnabled': c.domainSecureEnabled = toBool(value, key); break;
      case 'Fqdn': c.fqdn = value === null || stringify(value) === '' ? null : stringify(value); break;
      case 'TlsCertificateName': c.tlsCertificateName = checkedText(value, tlsCertificateNameProblem); break;
      case 'Banner': c.banner = checkedText(value, bannerProblem); break;
      case 'MaxMessageSize': {
        const size = byteSize(value, key);
        if (size === null || size < 65536 || size > 2 * 1024 ** 3) throw new Refusal('MaxMessageSize must be between 64 KB and 2 GB');
        c.maxMessageSize = size;
        break;
      }
      case 'MaxRecipientsPerMessage': {
        const n = typeof value === 'number' ? value : Number(stringify(value));
        if (!Number.isInteger(n) || n < 1 || n > 512000) throw new Refusal('MaxRecipientsPerMessage must be a whole number from 1 to 512000');
        c.maxRecipientsPerMessage = n;
        break;
      }
      case 'ProtocolLoggingLevel':
        c.protocolLoggingLevel = enumValue(PROTOCOL_LOGGING_LEVELS, stringify(value), 'ProtocolLoggingLevel');
        break;
      default:
        if (key.startsWith('extra:')) {
          c.extra = { ...(c.extra ?? {}), [key.slice('extra:'.length)]: toJson(value) };
        }
    }
  }
}

/** An optional text setting: empty clears it (null); otherwise `problemOf` must find nothing wrong. */
function checkedText(value: PsValue, problemOf: (text: string) => string | null): string | null {
  const text = value === null ? '' : stringify(value);
  if (text === '') return null;
  const problem = problemOf(text);
  if (problem !== null) throw new Refusal(problem);
  return text;
}

function validateConnector(snap: Snapshot, c: ReceiveConnector): void {
  if (c.name.length === 0 || c.name.length > 64) throw new Refusal('Name must be 1 to 64 characters');
  const auth = authMechanismProblems(c);
  if (auth[0] !== undefined) throw new Refusal(auth[0]);
  const conflict = conflictWith(c, snap.connectors);
  if (conflict !== null) throw new Refusal(conflict);
}

export function newReceiveConnector(snap: Snapshot, b: Params): string {
  const name = str(b, 'Name');
  if (name === undefined || name.trim() === '') throw new Refusal('-Name is required');
  let server = str(b, 'Server');
  if (server === undefined) {
    const known = knownServers(snap);
    if (known.length !== 1 || known[0] === undefined) throw new Refusal('-Server is required (the dry run cannot know which server the script runs on)');
    server = known[0];
  }
  const serverName = knownServers(snap).find((s) => eq(s, server ?? ''));
  if (serverName === undefined) throw new Refusal(`couldn't find server "${server}"`);
  const usageParam = str(b, 'Usage');
  const switches = USAGE_SWITCHES.filter((s) => b.has(s) && isTruthy(b.get(s)?.value ?? false));
  if (switches.length + (usageParam === undefined ? 0 : 1) > 1) throw new Refusal('give one usage only (-Usage or one of -Client -Custom -Internal -Internet -Partner)');
  const usage = usageParam === undefined ? (switches[0] ?? 'Custom') : enumValue(USAGE_SWITCHES, usageParam, 'Usage');
  const template = USAGES[usage] ?? USAGES['Custom'];
  if (template === undefined) throw new Refusal(`unknown usage ${usage}`);
  if (template.bindings === 'required' && !b.has('Bindings')) throw new Refusal(`-Bindings is required with usage ${usage}`);
  if (template.bindings !== 'required' && template.bindings !== 'forbidden' && b.has('Bindings') && usage !== 'Custom') {
    throw new Refusal(`-Bindings cannot be used with usage ${usage}`);
  }
  if (template.ranges === 'required' && !b.has('RemoteIPRanges')) throw new Refusal(`-RemoteIPRanges is required with usage ${usage}`);
  if (Array.isArray(template.ranges) && b.has('RemoteIPRanges')) throw new Refusal(`-RemoteIPRanges cannot be used with usage ${usage}`);
  for (const key of ['Bindings', 'RemoteIPRanges']) {
    const v = b.get(key);
    if (v !== undefined && isHash(v.value)) throw new Refusal(`-${key} @{Add/Remove} needs an existing connector; give a list`);
  }
  const legacy = isLegacyServer(snap, serverName);
  const serverObj = snap.servers.find((s) => eq(s.name, serverName));
  const identity = `${serverName}\\${name}`;
  if (snap.connectors.some((c) => eq(c.identity, identity))) throw new Refusal(`a receive connector named "${name}" already exists on ${serverName}`);
  const c: ReceiveConnector = {
    identity,
    server: serverName,
    name,
    // UNSURE(reference): §1.2 says a new 2013+ connector is HubTransport unless -TransportRole is given (unconfirmed).
    transportRole: legacy ? null : 'HubTransport',
    enabled: true,
    bindings: Array.isArray(template.bindings) ? [...template.bindings] : [],
    remoteIPRanges: Array.isArray(template.ranges) ? [...template.ranges] : [],
    permissionGroups: [...template.groups],
    authMechanism: [...template.auth],
    requireTLS: false,
    domainSecureEnabled: false,
    fqdn: serverObj?.fqdn ?? null,
    tlsCertificateName: null,
    banner: null,
    protocolLoggingLevel: 'None',
    maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
    maxRecipientsPerMessage: DEFAULT_MAX_RECIPIENTS_PER_MESSAGE,
  };
  const permissions = [...snap.permissions];
  const settings = new Map([...b].filter(([k]) => k !== 'Name'));
  applySettings(c, permissions, settings);
  validateConnector(snap, c);
  snap.connectors.push(c);
  snap.permissions = permissions;
  return `created ${identity}`;
}

function knownServers(snap: Snapshot): string[] {
  const names = new Map<string, string>();
  for (const s of snap.servers) names.set(s.name.toLowerCase(), s.name);
  for (const c of snap.connectors) if (!names.has(c.server.toLowerCase())) names.set(c.server.toLowerCase(), c.server);
  return [...names.values()];
}

export function setReceiveConnector(snap: Snapshot, b: Params): string {
  const current = requireConnector(snap, b);
  const c = structuredClone(current);
  const newName = str(b, 'Name');
  // Only a rename and PermissionGroups touch the ACL; the copy (kept until the change is
  // validated) is made only for them: it is the whole organisation's permission list.
  const renames = newName !== undefined && newName !== c.name;
  const permissions = renames || b.has('PermissionGroups') ? structuredClone(snap.permissions) : snap.permissions;
  if (renames) {
    const identity = `${c.server}\\${newName}`;
    if (snap.connectors.some((o) => o !== current && eq(o.identity, identity))) throw new Refusal(`a receive connector named "${newName}" already exists on ${c.server}`);
    for (const p of permissions) if (eq(p.identity, c.identity)) p.identity = identity;
    c.name = newName;
    c.identity = identity;
  }
  applySettings(c, permissions, new Map([...b].filter(([k]) => k !== 'Name' && k !== 'Identity')));
  const index = snap.connectors.indexOf(current);
  snap.connectors[index] = c;
  try {
    validateConnector(snap, c);
  } catch (error) {
    snap.connectors[index] = current;
    throw error;
  }
  snap.permissions = permissions;
  return `set ${c.identity}`;
}

export function removeReceiveConnector(snap: Snapshot, b: Params): string {
  const c = requireConnector(snap, b);
  snap.connectors = snap.connectors.filter((x) => x !== c);
  // The ACL lives on the connector's AD object and goes with it.
  snap.permissions = snap.permissions.filter((p) => !eq(p.identity, c.identity));
  return `removed ${c.identity}`;
}

function isLegacyServer(snap: Snapshot, server: string): boolean {
  const s = snap.servers.find((x) => eq(x.name, server));
  if (s?.version !== null && s?.version !== undefined) return /(?:^|\s)(?:Version\s+)?(?:8|14)\./i.test(s.version);
  const own = snap.connectors.filter((c) => eq(c.server, server));
  return own.length > 0 && own.every((c) => c.transportRole === null);
}
