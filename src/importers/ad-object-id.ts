// ConvertTo-Json of whole Exchange objects (run where the Exchange snap-in is loaded) writes
// directory references (ADObjectId: Identity, Server, DistinguishedName-bearing values) as
// objects — `Rdn`, `Parent`, `Depth`, `DistinguishedName`, `Name`, `ObjectGuid`, … — and
// security principals (Get-ADPermission's User) as objects with `RawIdentity`. Below the
// -Depth it was given, ConvertTo-Json writes each nested object as its ToString text instead, so
// `Parent` may be an object at one depth and a string (a DN or a canonical path) at the next.
// This module turns any of those shapes into the text the console prints for them, so that the
// record mappers see the same value as in a Format-List or a CLIXML export.
//
// Receive connectors live at
// `CN=<name>,CN=SMTP Receive Connectors,CN=Protocols,CN=<server>,CN=Servers,…` (reference §1.1) and
// print as `SERVER\Name`; other directory objects (a Server reference) print as their name.
import type { PsValue } from './types.js';

type PsObject = { [name: string]: PsValue };

function isObject(value: PsValue | undefined): value is PsObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

/** The RDN values of a distinguished name, most specific first, unescaped (`\,` → `,`). */
export function dnValues(dn: string): Array<{ type: string; value: string }> | null {
  const out: Array<{ type: string; value: string }> = [];
  const re = /([A-Za-z][\w-]*)=((?:\\.|[^,\\])*)(?:,\s*|$)/gy;
  let at = 0;
  for (let m = re.exec(dn); m !== null && m[0] !== ''; m = re.exec(dn)) {
    out.push({ type: (m[1] ?? '').toUpperCase(), value: (m[2] ?? '').replace(/\\(.)/g, '$1') });
    at = re.lastIndex;
  }
  return at === dn.length && out.length > 0 ? out : null;
}

/** `SERVER\Name` of a receive connector from its DN or canonical path, else null. */
export function connectorIdentityFromPath(path: string): string | null {
  const rdns = dnValues(path.trim());
  if (rdns !== null) {
    const [name, container, protocols, server, servers] = rdns;
    if (name !== undefined && server !== undefined && container?.value.toLowerCase() === 'smtp receive connectors'
      && protocols?.value.toLowerCase() === 'protocols' && servers?.value.toLowerCase() === 'servers') {
      return `${server.value}\\${name.value}`;
    }
    return null;
  }
  const canonical = /\/Servers\/([^/]+)\/Protocols\/SMTP Receive Connectors\/(.+)$/i.exec(path.trim());
  if (canonical !== null) return `${canonical[1] ?? ''}\\${canonical[2] ?? ''}`;
  return null;
}

/** Last element of a DN (its first RDN value) or a canonical path. */
function leafOfPath(path: string): string | null {
  const rdns = dnValues(path.trim());
  if (rdns !== null) return rdns[0]?.value ?? null;
  const parts = path.split('/').filter((p) => p !== '');
  return parts.length > 1 ? (parts[parts.length - 1] ?? null) : null;
}

function stringProp(obj: PsObject, name: string): string | null {
  const v = obj[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** An Rdn (`AdName`: Prefix, UnescapedName, EscapedName) or its printed `CN=name` text. */
function rdnName(value: PsValue | undefined): string | null {
  if (typeof value === 'string') return value.includes('=') ? leafOfPath(value) : value;
  if (isObject(value)) return stringProp(value, 'UnescapedName') ?? (stringProp(value, 'EscapedName')?.replace(/\\(.)/g, '$1') ?? null);
  return null;
}

/** Does this JSON object have the shape of an ADObjectId (at any depth ConvertTo-Json cut it)? */
export function isAdObjectId(value: PsValue | undefined): boolean {
  if (!isObject(value)) return false;
  if (typeof value.DistinguishedName === 'string' && ('Rdn' in value || 'Parent' in value || 'ObjectGuid' in value || 'Depth' in value || 'IsRelativeDn' in value)) return true;
  return 'Rdn' in value && 'Parent' in value;
}

interface Chain { names: string[]; path: string | null }

/**
 * The names from the object up its Parent chain, until an object that carries its own
 * DistinguishedName or a Parent that ConvertTo-Json printed as text (a DN or a canonical path);
 * that text is `path` and is not repeated in `names`.
 */
function walk(value: PsValue | undefined, depth = 0): Chain {
  if (depth > 64) return { names: [], path: null };
  if (typeof value === 'string') return { names: [], path: value.trim() === '' ? null : value.trim() };
  if (!isObject(value)) return { names: [], path: null };
  const dn = stringProp(value, 'DistinguishedName');
  if (dn !== null) return { names: [], path: dn };
  const name = stringProp(value, 'Name') ?? rdnName(value.Rdn);
  const up = walk(value.Parent, depth + 1);
  return { names: name === null ? up.names : [name, ...up.names], path: up.path };
}

const escapeRdn = (name: string): string => name.replace(/([,\\+"<>;=])/g, '\\$1');

/**
 * The printed text of an ADObjectId object: `SERVER\Name` for a receive connector, the name for
 * any other directory object; null when the object carries neither a DN nor a name.
 */
export function adObjectIdText(value: PsObject): string | null {
  const { names, path } = walk(value);
  let full: string | null;
  if (path === null) full = names.length === 0 ? null : names.map((n) => `CN=${escapeRdn(n)}`).join(',');
  else if (dnValues(path) !== null) full = [...names.map((n) => `CN=${escapeRdn(n)}`), path].join(',');
  else if (path.includes('/')) full = [path.replace(/\/+$/, ''), ...[...names].reverse()].join('/');
  else full = null; // a Parent printed as something else: only the names are known
  const connector = full === null ? null : connectorIdentityFromPath(full);
  if (connector !== null) return connector;
  return names[0] ?? (full === null ? path : leafOfPath(full) ?? full);
}

/**
 * A security principal object (Get-ADPermission `User`: SecurityPrincipalIdParameter) prints as
 * its RawIdentity (`NT AUTHORITY\ANONYMOUS LOGON`).
 */
function principalText(value: PsObject): string | null {
  return stringProp(value, 'RawIdentity') ?? stringProp(value, 'FriendlyName');
}

/**
 * A JSON value with every directory reference replaced by its printed text; other objects and
 * lists are walked (ConvertTo-Json nests them at any depth). Cycles cannot occur in parsed JSON.
 */
export function printedReferences(value: PsValue, depth = 0): PsValue {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => printedReferences(v, depth + 1));
  if (isAdObjectId(value)) return adObjectIdText(value) ?? value;
  if ('RawIdentity' in value && ('SecurityIdentifier' in value || 'FriendlyName' in value)) return principalText(value) ?? value;
  // UNSURE(reference): SmtpX509Identifier's property names (TlsCertificateName as an object) are
  // not in the reference; its printed form `<I>issuer<S>subject` is (§1.2).
  const issuer = stringProp(value, 'CertificateIssuer');
  const subject = stringProp(value, 'CertificateSubject');
  if (issuer !== null && subject !== null) return `<I>${issuer}<S>${subject}`;
  // UNSURE(reference): SmtpDomainWithSubdomains (a certificate's CertificateDomains item) as an
  // object: `Domain` and `IncludeSubDomains`, printed `*.domain` when it includes subdomains.
  const domain = stringProp(value, 'Domain');
  const subdomains = value.IncludeSubDomains;
  if (domain !== null && (subdomains !== undefined || value.SmtpDomain !== undefined)) {
    return stringProp(value, 'Address') ?? (subdomains === true ? `*.${domain}` : domain);
  }
  return value;
}

/** `CN=EX01,CN=Servers,…` (a Server reference printed as its DN) → `EX01`; any other text as it is. */
export function serverNameOf(text: string): string {
  const rdns = dnValues(text.trim());
  return rdns !== null && rdns[1]?.value.toLowerCase() === 'servers' ? (rdns[0] as { value: string }).value : text;
}
