// `--redact`: replaces host names, domains, IP addresses, user names (and certificate
// thumbprints, which identify a customer through certificate-transparency logs) with stable
// placeholders, so a report can leave the customer. One Redactor per run: the same value always
// gets the same placeholder, in the snapshot, the findings and any text.
//
// Certificate names (subject and issuer: CN, OU, O, L, ST, C, …) are replaced component by
// component, and their organisation, unit, town and region values become words redacted
// everywhere else too (a banner or connector name that repeats them).
//
// Addresses stay valid addresses of the same family and of the same class, so ranges and the
// address map still make sense and nothing private is called public (nor the reverse): each
// IPv4 /16 block (IPv6 /48) of the input is moved, in ascending order, to a block of a pool of
// its class and keeps its low bits. Private blocks go to a private pool (10/8, 100.64/10 or
// 172.16/12, one the input does not use; fd00::/8 for IPv6); public blocks go to 240.0.0.0/4
// (reserved: public by rules.md's definition, routed to nobody) and 3fff::/20
// (documentation). Order, containment and the size of every range that
// lies inside one block are preserved; a range spanning several blocks keeps its order but not
// its size. 0.0.0.0, 255.255.255.255, loopback, `::`, `::1` and the all-ones IPv6 address stay.
// Blocks are numbered when the snapshot is redacted; an address in a block the snapshot never
// mentions (seen later, in free text) gets the next free block, after all the known ones.
import ipaddr from 'ipaddr.js';
import type { JsonValue } from '../json.js';
import type { Certificate, FindingsDocument, Snapshot } from '../model.js';
import { isPublicInterval } from '../net/index.js';

export interface Redactor {
  /**
   * Learns every customer name of the snapshot (servers, domains, users, certificate names)
   * without redacting anything yet: call it first, so findings redacted before the snapshot
   * lose the same words.
   */
  learn(snapshot: Snapshot): void;
  redactSnapshot(snapshot: Snapshot): Snapshot;
  redactFindings(doc: FindingsDocument): FindingsDocument;
  redactText(text: string): string;
  /** Every replacement made so far (original → placeholder): the consultant's private key. */
  mapping(): Array<{ kind: string; original: string; placeholder: string }>;
}

/** Principals' domains that are Windows' or Exchange's own, never the customer's. */
const WELL_KNOWN_DOMAINS = new Set([
  'nt authority', 'nt-autorität', 'autorite nt', 'autorité nt', 'ms exchange', 'builtin', 'vordefiniert', '<domain>',
]);
/** Group and account names setup creates in every organisation (kept, their domain is redacted). */
const WELL_KNOWN_NAMES = new Set([
  'exchange servers', 'exchangelegacyinterop', 'exchange trusted subsystem', 'exchange windows permissions',
  'organization management', 'domain admins', 'enterprise admins', 'schema admins', 'domain controllers',
  'delegated setup', 'recipient management', 'server management', 'view-only organization management',
  'public folder management', 'hygiene management', 'administrator', 'administrators', 'everyone',
  'authenticated users', 'anonymous logon', 'system', 'network service', 'self', 'exchange install domain servers',
  'managed availability servers', 'compliance management', 'records management', 'discovery management',
  'help desk', 'um management', 'exchange enterprise servers', 'exchange domain servers',
]);
/** Public names that appear in references and remediation text (Microsoft's documentation). */
const PUBLIC_SUFFIXES = ['microsoft.com', 'office.com', 'office365.com', 'windows.net', 'azure.com', 'github.com'];
/** Top-level labels treated as host names in free text (file names such as rc.txt are not). */
const TLDS = new Set(('com net org edu gov mil int info biz io co us uk de fr nl be ch at it es se no dk fi pl cz eu ie pt ' +
  'ca au nz jp cn ru br in kr za mx ar local lan corp internal intra intranet home ad priv private example test ' +
  'localdomain cloud online site tech app dev mail').split(' '));
const COMMON_WORDS = new Set(['mail', 'smtp', 'corp', 'local', 'internal', 'example', 'test', 'relay', 'exchange', 'server', 'domain', 'www', 'intra', 'invalid', 'lan', 'home']);

const PLACEHOLDER_TLD = 'invalid';
const THUMBPRINT_PLACEHOLDER_PREFIX = '0'.repeat(32);

type IpPool = { family: 4 | 6; base: bigint; shift: bigint; capacity: number };

/** Public addresses go here: 240.0.0.0/4 is public by rules.md's definition and belongs to nobody. */
const V4_PUBLIC_POOL: IpPool = { family: 4, base: 240n << 24n, shift: 16n, capacity: 15 * 256 };
/** 3fff::/20 (documentation, RFC 9637): public by rules.md's definition, routed to nobody. */
const V6_PUBLIC_POOL: IpPool = { family: 6, base: 0x3fffn << 112n, shift: 80n, capacity: 0x10000 };

/** A certificate name component: `O=Contoso Ltd`, `CN="a, b"`. */
const DN_COMPONENT_RE = /(?<![A-Za-z0-9])(CN|OU|O|L|ST|S|C|E|DC|STREET|SERIALNUMBER)=("[^"]*"|[^,;+<>\n]*[^,;+<>\s])/g;
const DN_PLACEHOLDER: Record<string, string> = { OU: 'unit', O: 'org', L: 'place', ST: 'region', S: 'region', E: 'mailbox', DC: 'dc', STREET: 'street', SERIALNUMBER: 'serial' };

const V4_POOLS: Array<{ prefix: bigint; bits: number; base: bigint; capacity: number }> = [
  { prefix: 10n << 24n, bits: 8, base: 10n << 24n, capacity: 256 },
  { prefix: (100n << 24n) | (64n << 16n), bits: 10, base: (100n << 24n) | (64n << 16n), capacity: 64 },
  { prefix: (172n << 24n) | (16n << 16n), bits: 12, base: (172n << 24n) | (16n << 16n), capacity: 16 },
];

// IPv4 (a.b.c.d) or IPv6 (two or more colons, optionally ending in dotted IPv4) in free text.
const ADDRESS_RE = /(?<![0-9A-Za-z.:_])((?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}))(?![0-9A-Za-z:_])|(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?!\.?\d)/g;
const EMAIL_RE = /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63})(?![A-Za-z0-9-])/g;
const FQDN_RE = /(?<![A-Za-z0-9_.@-])((?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,63}))(?![A-Za-z0-9_-])/g;
const THUMBPRINT_RE = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])/g;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function createRedactor(): Redactor {
  const log: Array<{ kind: string; original: string; placeholder: string }> = [];
  // lower-case original → placeholder, for names replaced as whole words
  const words = new Map<string, string>();
  const domains = new Map<string, string>();
  const labels = new Map<string, string>();
  const locals = new Map<string, string>();
  const thumbprints = new Map<string, string>();
  const v4Blocks = new Map<bigint, bigint>();
  const v6Blocks = new Map<bigint, bigint>();
  const v4PublicBlocks = new Map<bigint, bigint>();
  const v6PublicBlocks = new Map<bigint, bigint>();
  const dnValues = new Map<string, string>();
  let v4Pool: IpPool | null = null;
  let v6Pool: IpPool | null = null;
  let wordRe: RegExp | null = null;
  const counters = { server: 0, domain: 0, netbios: 0, user: 0, host: 0, mailbox: 0, org: 0, cert: 0, dn: 0 };

  const logged = new Set<string>();
  function record(kind: string, original: string, placeholder: string): string {
    const key = `${kind}\u0000${original.toLowerCase()}`;
    if (!logged.has(key)) { logged.add(key); log.push({ kind, original, placeholder }); }
    return placeholder;
  }

  function addWord(kind: string, original: string, placeholder: string): string {
    const key = original.toLowerCase();
    const hit = words.get(key);
    if (hit !== undefined) return hit;
    words.set(key, placeholder);
    wordRe = null;
    return record(kind, original, placeholder);
  }

  // ------------------------------------------------------------ addresses

  function choosePools(v4: bigint[], v6: bigint[]): void {
    if (v4Pool === null) {
      const free = V4_POOLS.find((p) => !v4.some((v) => v >> BigInt(32 - p.bits) === p.prefix >> BigInt(32 - p.bits))) ?? V4_POOLS[0];
      const pool = free ?? { base: 10n << 24n, capacity: 256 };
      v4Pool = { family: 4, base: pool.base, shift: 16n, capacity: pool.capacity };
    }
    if (v6Pool === null) {
      const usesFd00 = v6.some((v) => v >> 112n === 0xfd00n);
      v6Pool = { family: 6, base: (usesFd00 ? 0xfdeen : 0xfd00n) << 112n, shift: 80n, capacity: 0xffffffff };
    }
  }

  function keepV4(v: bigint): boolean {
    return v === 0n || v === 0xffffffffn || v >> 24n === 127n;
  }
  function keepV6(v: bigint): boolean {
    return v === 0n || v === 1n || v === (1n << 128n) - 1n;
  }

  function mapBlock(blocks: Map<bigint, bigint>, pool: IpPool, block: bigint): bigint {
    const hit = blocks.get(block);
    if (hit !== undefined) return hit;
    // Beyond the pool's capacity blocks wrap around; ranges then may collide, never leak. A
    // block already inside the pool never keeps its own place (the original would show).
    let index = BigInt(blocks.size % pool.capacity);
    if ((pool.base >> pool.shift) + index === block) index = (index + 1n) % BigInt(pool.capacity);
    const mapped = (pool.base >> pool.shift) + index;
    blocks.set(block, mapped);
    return mapped;
  }

  function isPublic(family: 4 | 6, v: bigint): boolean {
    return isPublicInterval({ family, first: v, last: v });
  }

  function mapV4(v: bigint): bigint {
    if (keepV4(v)) return v;
    choosePools([v], []);
    const pub = isPublic(4, v);
    const pool = pub ? V4_PUBLIC_POOL : v4Pool as IpPool;
    const mask = (1n << pool.shift) - 1n;
    return (mapBlock(pub ? v4PublicBlocks : v4Blocks, pool, v >> pool.shift) << pool.shift) | (v & mask);
  }

  function mapV6(v: bigint): bigint {
    if (keepV6(v)) return v;
    // IPv4-mapped (::ffff:a.b.c.d) keeps its form and maps the IPv4 part.
    if (v >> 32n === 0xffffn) return (0xffffn << 32n) | mapV4(v & 0xffffffffn);
    choosePools([], [v]);
    const pub = isPublic(6, v);
    const pool = pub ? V6_PUBLIC_POOL : v6Pool as IpPool;
    const mask = (1n << pool.shift) - 1n;
    return (mapBlock(pub ? v6PublicBlocks : v6Blocks, pool, v >> pool.shift) << pool.shift) | (v & mask);
  }

  function v4Value(text: string): bigint | null {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
  }
  function v4Text(v: bigint): string {
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  function v6Value(text: string): bigint | null {
    if (!ipaddr.IPv6.isValid(text)) return null;
    return ipaddr.IPv6.parse(text).toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  }
  function v6Text(v: bigint): string {
    const bytes: number[] = [];
    for (let s = 120n; s >= 0n; s -= 8n) bytes.push(Number((v >> s) & 0xffn));
    const addr = new ipaddr.IPv6(bytes);
    if (v >> 32n === 0xffffn) return `::ffff:${v4Text(v & 0xffffffffn)}`;
    return addr.toString();
  }

  function redactAddress(v6: string | undefined, v4: string | undefined, whole: string): string {
    if (v4 !== undefined) {
      const v = v4Value(v4);
      if (v === null) return whole;
      const out = v4Text(mapV4(v));
      if (out !== v4) record('ip', v4, out);
      return out;
    }
    if (v6 !== undefined) {
      const v = v6Value(v6);
      if (v === null) return whole;
      const out = v6Text(mapV6(v));
      if (out !== v6) record('ip', v6, out);
      return out;
    }
    return whole;
  }

  /** Registers every address in a document first, so blocks are numbered in address order. */
  function preregisterAddresses(texts: string[]): void {
    const v4: bigint[] = [];
    const v6: bigint[] = [];
    for (const t of texts) {
      for (const m of t.matchAll(ADDRESS_RE)) {
        if (m[2] !== undefined) { const v = v4Value(m[2]); if (v !== null && !keepV4(v)) v4.push(v); }
        else if (m[1] !== undefined) {
          const v = v6Value(m[1]);
          if (v === null || keepV6(v)) continue;
          if (v >> 32n === 0xffffn) v4.push(v & 0xffffffffn); else v6.push(v);
        }
      }
    }
    choosePools(v4, v6);
    const v4Pool0 = v4Pool as IpPool;
    const v6Pool0 = v6Pool as IpPool;
    const order = (a: bigint, b: bigint): number => (a < b ? -1 : 1);
    for (const b of [...new Set(v4.map((v) => v >> v4Pool0.shift))].sort(order)) {
      const pub = isPublic(4, b << v4Pool0.shift);
      mapBlock(pub ? v4PublicBlocks : v4Blocks, pub ? V4_PUBLIC_POOL : v4Pool0, b);
    }
    for (const b of [...new Set(v6.map((v) => v >> v6Pool0.shift))].sort(order)) {
      const pub = isPublic(6, b << v6Pool0.shift);
      mapBlock(pub ? v6PublicBlocks : v6Blocks, pub ? V6_PUBLIC_POOL : v6Pool0, b);
    }
  }

  // ------------------------------------------------------------ names

  function isPublicName(name: string): boolean {
    const n = name.toLowerCase();
    return PUBLIC_SUFFIXES.some((s) => n === s || n.endsWith(`.${s}`)) || n.endsWith(`.${PLACEHOLDER_TLD}`);
  }

  function orgLabel(domain: string): string | null {
    const parts = domain.toLowerCase().replace(/^\*\./, '').split('.');
    const label = parts.length >= 2 ? parts[parts.length - 2] : undefined;
    return label !== undefined && label.length >= 4 && !COMMON_WORDS.has(label) && !TLDS.has(label) ? label : null;
  }

  /** A domain (accepted domain, or the zone of a host name) → `domainN.invalid`. */
  function mapDomain(domain: string): string {
    const wildcard = domain.startsWith('*.');
    const bare = (wildcard ? domain.slice(2) : domain).toLowerCase();
    if (bare === '' || bare === '*') return domain;
    let mapped = domains.get(bare);
    if (mapped === undefined) {
      counters.domain += 1;
      mapped = `domain${counters.domain}.${PLACEHOLDER_TLD}`;
      domains.set(bare, mapped);
      addWord('domain', bare, mapped);
      // The organisation's name as it appears in text: the domain's label ("contoso-mfg") and its
      // first part ("Contoso Manufacturing Ltd" in a certificate subject).
      const org = orgLabel(bare);
      const orgParts = org === null ? [] : [org, ...(org.includes('-') ? [org.split('-')[0] ?? ''] : [])];
      for (const part of orgParts) {
        if (part.length >= 4 && !COMMON_WORDS.has(part) && !words.has(part)) { counters.org += 1; addWord('organisation', part, `org${counters.org}`); }
      }
    }
    return wildcard ? `*.${mapped}` : mapped;
  }

  function mapLabel(label: string): string {
    const key = label.toLowerCase();
    const asServer = words.get(key);
    if (asServer !== undefined && /^SRV\d+$/.test(asServer)) return asServer.toLowerCase();
    let mapped = labels.get(key);
    if (mapped === undefined) {
      counters.host += 1;
      mapped = `host${pad(counters.host)}`;
      labels.set(key, mapped);
      record('host', label, mapped);
    }
    return mapped;
  }

  /** A host or domain name: the longest known domain suffix is the zone, the rest are host labels. */
  function mapName(name: string): string {
    if (isPublicName(name) || name === '*') return name;
    const lower = name.toLowerCase();
    const exact = words.get(lower);
    if (exact !== undefined && exact.includes('.')) return exact;
    const wildcard = lower.startsWith('*.');
    const bare = wildcard ? lower.slice(2) : lower;
    const parts = bare.split('.');
    let zoneAt = -1;
    for (let i = 0; i < parts.length - 1; i += 1) {
      if (domains.has(parts.slice(i).join('.'))) { zoneAt = i; break; }
    }
    if (zoneAt < 0) zoneAt = Math.max(0, parts.length - 2);
    const zone = mapDomain(parts.slice(zoneAt).join('.'));
    const host = parts.slice(0, zoneAt).map(mapLabel);
    const out = [...(wildcard ? ['*'] : []), ...host, zone].join('.');
    if (zoneAt > 0) addWord('host', bare, out);
    return out;
  }

  function registerServer(name: string): void {
    if (name === '' || words.has(name.toLowerCase())) return;
    counters.server += 1;
    addWord('server', name, `SRV${pad(counters.server)}`);
  }

  function registerNetbios(domain: string): string {
    const key = domain.toLowerCase();
    if (WELL_KNOWN_DOMAINS.has(key)) return domain;
    const hit = words.get(key);
    if (hit !== undefined) return hit;
    counters.netbios += 1;
    return addWord('netbios-domain', domain, `DOMAIN${counters.netbios}`);
  }

  function registerUser(user: string): void {
    const slash = user.indexOf('\\');
    if (slash < 0) {
      if (user.includes('@') || /^S-1-/i.test(user) || WELL_KNOWN_NAMES.has(user.toLowerCase())) return;
      if (!words.has(user.toLowerCase())) { counters.user += 1; addWord('user', user, `user${pad(counters.user)}`); }
      return;
    }
    const dom = user.slice(0, slash);
    const name = user.slice(slash + 1);
    const domOut = registerNetbios(dom);
    if (WELL_KNOWN_DOMAINS.has(dom.toLowerCase()) || WELL_KNOWN_NAMES.has(name.toLowerCase())) {
      if (domOut !== dom) addWord('user', user, `${domOut}\\${name}`);
      return;
    }
    let nameOut = words.get(name.toLowerCase());
    if (nameOut === undefined) { counters.user += 1; nameOut = addWord('user', name, `user${pad(counters.user)}`); }
    addWord('user', user, `${domOut}\\${nameOut}`);
  }

  function mapThumbprint(t: string): string {
    const key = t.toUpperCase();
    if (key.startsWith(THUMBPRINT_PLACEHOLDER_PREFIX)) return t;
    let mapped = thumbprints.get(key);
    if (mapped === undefined) {
      counters.cert += 1;
      mapped = `${THUMBPRINT_PLACEHOLDER_PREFIX}${counters.cert.toString(16).toUpperCase().padStart(8, '0')}`;
      thumbprints.set(key, mapped);
      record('thumbprint', t, mapped);
    }
    return mapped;
  }

  function wordRegex(): RegExp | null {
    if (words.size === 0) return null;
    if (wordRe === null) {
      const keys = [...words.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b)).map(escapeRe);
      wordRe = new RegExp(`(?<![A-Za-z0-9_-])(?:${keys.join('|')})(?![A-Za-z0-9_-])`, 'gi');
    }
    return wordRe;
  }

  // ------------------------------------------------------------ certificate names

  /** One component's value → its placeholder: host names as host names, the country as XX. */
  function mapDnValue(attr: string, raw: string): string {
    const key = attr.toUpperCase();
    const value = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    if (value === '' || /^redacted-[a-z]+\d+$/.test(value) || value === 'XX') return raw;
    if (key === 'C') return 'XX';
    if (key === 'CN') {
      if (value.includes('.')) return mapName(value);
      const known = words.get(value.toLowerCase());
      if (known !== undefined) return known;
    }
    const lookup = `${key}\u0000${value.toLowerCase()}`;
    let mapped = dnValues.get(lookup);
    if (mapped === undefined) {
      counters.dn += 1;
      mapped = `redacted-${DN_PLACEHOLDER[key] ?? 'name'}${counters.dn}`;
      dnValues.set(lookup, mapped);
      record(`certificate ${key}`, value, mapped);
    }
    return mapped;
  }

  /**
   * The organisation, unit, town and region of a certificate name are words of the customer:
   * registered so that a banner or connector name repeating them is redacted too (with the
   * name's first word, "Contoso" of "Contoso Manufacturing Ltd", when it is distinctive).
   */
  function registerDn(dn: string): void {
    for (const m of dn.matchAll(DN_COMPONENT_RE)) {
      const attr = (m[1] ?? '').toUpperCase();
      if (!['O', 'OU', 'L', 'ST', 'S', 'CN', 'STREET'].includes(attr)) continue;
      const raw = m[2] ?? '';
      const value = (raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw).trim();
      if (value.length < 3 || (attr === 'CN' && value.includes('.'))) continue;
      const placeholder = mapDnValue(attr, raw);
      if (words.has(value.toLowerCase())) continue;
      addWord(`certificate ${attr}`, value, placeholder);
      const firstWord = value.split(/[\s,]+/)[0] ?? '';
      if (firstWord !== value && firstWord.length >= 4 && !COMMON_WORDS.has(firstWord.toLowerCase()) && !words.has(firstWord.toLowerCase())) {
        addWord(`certificate ${attr}`, firstWord, placeholder);
      }
    }
  }

  // ------------------------------------------------------------ text

  function redactText(text: string): string {
    // Certificate names first, while their host names and words are still whole.
    let out = text.replace(DN_COMPONENT_RE, (whole: string, attr: string, value: string) => `${attr}=${mapDnValue(attr, value)}`);
    out = out.replace(ADDRESS_RE, (whole: string, v6: string | undefined, v4: string | undefined) => redactAddress(v6, v4, whole));
    // 40 hex digits in an Exchange export are a certificate thumbprint (SHA-1).
    out = out.replace(THUMBPRINT_RE, (t) => mapThumbprint(t));
    out = out.replace(EMAIL_RE, (whole, local: string, domain: string) => {
      if (isPublicName(domain)) return whole;
      const key = local.toLowerCase();
      let l = locals.get(key);
      if (l === undefined) {
        counters.mailbox += 1;
        l = `mailbox${pad(counters.mailbox)}`;
        locals.set(key, l);
        record('mailbox', local, l);
      }
      return `${l}@${mapName(domain)}`;
    });
    // Unknown host names in free text: a dotted name ending in a real (or internal) TLD.
    out = out.replace(FQDN_RE, (whole, name: string, tld: string) => {
      if (!TLDS.has(tld.toLowerCase()) || isPublicName(name)) return whole;
      return mapName(name);
    });
    const re = wordRegex();
    if (re !== null) out = out.replace(re, (w) => words.get(w.toLowerCase()) ?? w);
    return out;
  }

  function walk(value: JsonValue, skipKeys: ReadonlySet<string>): JsonValue {
    if (typeof value === 'string') return redactText(value);
    if (Array.isArray(value)) return value.map((v) => walk(v, skipKeys));
    if (value !== null && typeof value === 'object') {
      const out: { [k: string]: JsonValue } = {};
      for (const [k, v] of Object.entries(value)) out[k] = skipKeys.has(k) ? v : walk(v, skipKeys);
      return out;
    }
    return value;
  }

  function allStrings(value: unknown, into: string[]): string[] {
    if (typeof value === 'string') into.push(value);
    else if (Array.isArray(value)) for (const v of value) allStrings(v, into);
    else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) allStrings(v, into);
    return into;
  }

  const SNAPSHOT_KEEP = new Set(['thumbprint', 'schema', 'transportRole', 'permissionGroups', 'authMechanism', 'protocolLoggingLevel', 'extendedRights', 'domainType', 'services', 'roles', 'version']);
  const FINDINGS_KEEP = new Set(['schema', 'rule', 'severity', 'references', 'summary']);

  function registerSnapshot(s: Snapshot): void {
    preregisterAddresses(allStrings(s, []));
    for (const name of [...new Set([...s.servers.map((x) => x.name), ...s.connectors.map((c) => c.server)])].sort()) registerServer(name);
    for (const d of [...s.acceptedDomains].map((x) => x.domainName).sort()) if (d !== '*') mapDomain(d);
    for (const name of [...s.servers.map((x) => x.fqdn), ...s.connectors.map((c) => c.fqdn)]) if (name !== null && name.includes('.')) mapName(name);
    for (const c of s.certificates) for (const n of c.dnsNames) if (n.includes('.')) mapName(n);
    for (const u of [...new Set(s.permissions.map((p) => p.user))].sort()) registerUser(u);
    for (const c of s.certificates) mapThumbprint(c.thumbprint);
    for (const c of s.certificates) { registerDn(c.subject); registerDn(c.issuer); }
  }

  return {
    learn: registerSnapshot,
    redactSnapshot(snapshot: Snapshot): Snapshot {
      registerSnapshot(snapshot);
      const out = walk(snapshot as unknown as JsonValue, SNAPSHOT_KEEP) as unknown as Snapshot;
      out.certificates = out.certificates.map((c: Certificate) => ({ ...c, thumbprint: mapThumbprint(c.thumbprint) }));
      return out;
    },
    redactFindings(doc: FindingsDocument): FindingsDocument {
      const findings = [...doc.findings, ...(doc.accepted ?? []).map((a) => a.finding)];
      for (const f of findings) {
        if (f.server !== null) registerServer(f.server);
        const slash = f.connector?.indexOf('\\') ?? -1;
        if (f.connector !== null && slash > 0) registerServer(f.connector.slice(0, slash));
      }
      // Checks skipped for one connector name it too (its server is customer data).
      for (const n of doc.notRun ?? []) {
        const slash = n.connector?.indexOf('\\') ?? -1;
        if (n.connector !== undefined && slash > 0) registerServer(n.connector.slice(0, slash));
      }
      preregisterAddresses(allStrings(doc, []));
      return walk(doc as unknown as JsonValue, FINDINGS_KEEP) as unknown as FindingsDocument;
    },
    redactText,
    mapping: () => [...log],
  };
}
