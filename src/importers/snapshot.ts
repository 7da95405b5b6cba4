// An earlier `exrelay.snapshot/1` document: schema tag and field types are checked, so a
// hand-edited or foreign file fails with the line of the offending field, not later with a crash.
import { InputError } from '../errors.js';
import {
  AUTH_MECHANISMS, DOMAIN_TYPES, PERMISSION_GROUPS, PROTOCOL_LOGGING_LEVELS, SNAPSHOT_SCHEMA, TRANSPORT_ROLES,
  type Snapshot,
} from '../model.js';
import type { SourceText } from '../source.js';
import { parseJsonText } from './json.js';
import { offsetOfPath } from './json-positions.js';

type Path = Array<string | number>;
type Check = (value: unknown) => string | null;

const str: Check = (v) => (typeof v === 'string' ? null : 'expected a string');
const strOrNull: Check = (v) => (v === null || typeof v === 'string' ? null : 'expected a string or null');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'expected true or false');
const intOrNull: Check = (v) => (v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0) ? null : 'expected a whole number or null');
const strArray: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : 'expected an array of strings');
const oneOf = (allowed: readonly string[], nullable = false): Check => (v) =>
  (nullable && v === null) || (typeof v === 'string' && allowed.includes(v)) ? null : `expected one of ${allowed.join(', ')}${nullable ? ' or null' : ''}`;
const subsetOf = (allowed: readonly string[]): Check => (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && allowed.includes(x)) ? null : `expected an array of ${allowed.join(', ')}`;
const optionalObject: Check = (v) => (v === undefined || (v !== null && typeof v === 'object' && !Array.isArray(v)) ? null : 'expected an object');
const range: Check = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'expected {expression, first, last}';
  const r = v as Record<string, unknown>;
  return typeof r.expression === 'string' && typeof r.first === 'string' && typeof r.last === 'string' ? null : 'expected {expression, first, last} strings';
};
const binding: Check = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'expected {address, port}';
  const b = v as Record<string, unknown>;
  return typeof b.address === 'string' && typeof b.port === 'number' && Number.isInteger(b.port) ? null : 'expected {address: string, port: number}';
};
// Array items are checked one by one (ITEM_CHECKS) so that the message names the element's line.
const array: Check = (v) => (Array.isArray(v) ? null : 'expected an array');

const SHAPES: Record<string, Record<string, Check>> = {
  servers: { name: str, fqdn: strOrNull, version: strOrNull, roles: strArray, ipAddresses: strArray, extra: optionalObject },
  connectors: {
    identity: str, server: str, name: str, transportRole: oneOf(TRANSPORT_ROLES, true), enabled: bool,
    bindings: array, remoteIPRanges: array, permissionGroups: subsetOf(PERMISSION_GROUPS),
    authMechanism: subsetOf(AUTH_MECHANISMS), requireTLS: bool, domainSecureEnabled: bool, fqdn: strOrNull,
    tlsCertificateName: strOrNull, banner: strOrNull, protocolLoggingLevel: oneOf(PROTOCOL_LOGGING_LEVELS),
    maxMessageSize: intOrNull, maxRecipientsPerMessage: intOrNull, extra: optionalObject,
  },
  permissions: { identity: str, user: str, deny: bool, inherited: bool, extendedRights: strArray, extra: optionalObject },
  acceptedDomains: { domainName: str, domainType: oneOf(DOMAIN_TYPES), default: bool, extra: optionalObject },
  certificates: {
    thumbprint: str, subject: str, issuer: str, notAfter: str, dnsNames: strArray, services: strArray, server: strOrNull,
    extra: optionalObject,
  },
  warnings: { file: str, line: (v) => (v === null || (typeof v === 'number' && Number.isInteger(v)) ? null : 'expected a line number or null'), message: str },
};
const ITEM_CHECKS: Record<string, Check> = { bindings: binding, remoteIPRanges: range };

export function parseSnapshot(source: SourceText, doc: unknown = parseJsonText(source)): Snapshot {
  const fail = (path: Path, message: string): never => {
    const where = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    throw new InputError(source.name, source.lineOf(offsetOfPath(source.text, path)), `${where === '' ? 'snapshot' : where}: ${message}`);
  };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail([], 'expected an exrelay.snapshot/1 object');
  const root = doc as Record<string, unknown>;
  if (root.schema !== SNAPSHOT_SCHEMA) return fail(['schema'], `unsupported schema ${JSON.stringify(root.schema ?? null)} (expected "${SNAPSHOT_SCHEMA}")`);
  for (const [section, shape] of Object.entries(SHAPES)) {
    const list = root[section];
    if (list === undefined && section === 'warnings') continue;
    if (!Array.isArray(list)) return fail([section], 'expected an array');
    list.forEach((item: unknown, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) fail([section, index], 'expected an object');
      const obj = item as Record<string, unknown>;
      for (const [field, check] of Object.entries(shape)) {
        const problem = check(obj[field]);
        if (problem !== null) fail([section, index, field], obj[field] === undefined ? 'missing' : problem);
        const itemCheck = ITEM_CHECKS[field];
        if (itemCheck !== undefined && Array.isArray(obj[field])) {
          (obj[field] as unknown[]).forEach((el, j) => {
            const p = itemCheck(el);
            if (p !== null) fail([section, index, field, j], p);
          });
        }
      }
    });
  }
  const snap = doc as Snapshot;
  snap.warnings ??= [];
  return snap;
}
