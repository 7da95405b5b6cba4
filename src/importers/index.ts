// importSources: every input's kind detected by content, parsed, mapped to model entities and
// merged into one snapshot. The same connector seen twice (e.g. a CLIXML export and a pasted
// Format-List of it) is one connector; permissions, accepted domains, servers and
// certificates are de-duplicated the same way.
import type { JsonValue } from '../json.js';
import {
  emptySnapshot,
  type AcceptedDomain, type Certificate, type ExchangeServer, type ImportWarning, type Permission,
  type ReceiveConnector, type Snapshot,
} from '../model.js';
import { canonicalPrincipal } from '../principals.js';
import type { SourceText } from '../source.js';
import { parseClixml } from './clixml.js';
import { parseConsoleText } from './console-text.js';
import { parseCsv } from './csv.js';
import { detectKind } from './detect.js';
import { parseConvertToJson, parseJsonText } from './json.js';
import { classifyRecord, mapRecord } from './records/index.js';
import { unseenFields } from './records/receive-connector.js';
import { parseSnapshot } from './snapshot.js';
import { getProp, type ExportKind, type PsRecord, type RecordKind } from './types.js';

export { detectKind } from './detect.js';

export interface ImportResult { snapshot: Snapshot; warnings: ImportWarning[] }

export const NOT_SUPPORTED = 'not a supported export';

/** What one file contributed, before merging. */
export interface FileImport {
  kind: ExportKind;
  snapshot: Snapshot;
  /** Records per mapped kind (for reporting and tests). */
  counts: Record<string, number>;
}

// eslint-disable-next-line @typescript-eslint/require-await -- async so that a thrown InputError reaches callers as a rejection
export async function importSource(source: SourceText): Promise<FileImport> {
  const kind = detectKind(source);
  const snap = emptySnapshot();
  const counts: Record<string, number> = {};
  const warnings = snap.warnings;
  const unsupported = (why: string, line: number | null = null): FileImport => {
    warnings.push({ file: source.name, line, message: why.startsWith(NOT_SUPPORTED) || why.includes(NOT_SUPPORTED) ? why : `${NOT_SUPPORTED} (${why})` });
    return { kind, snapshot: snap, counts };
  };

  let records: PsRecord[];
  switch (kind) {
    case 'snapshot': {
      const s = parseSnapshot(source);
      return { kind, snapshot: s, counts: { snapshot: 1 } };
    }
    case 'clixml': {
      const parsed = parseClixml(source);
      records = parsed.value;
      if (parsed.streamForm) {
        const usable = records.filter((r) => mapRecord(r).kind !== 'unknown').length;
        if (usable === 0) return unsupported('a CLIXML output stream (powershell -OutputFormat xml, "#< CLIXML"): not a supported export; use Export-Clixml', 1);
        warnings.push({ file: source.name, line: 1, message: 'a CLIXML output stream ("#< CLIXML"), not an Export-Clixml file: only its objects were read' });
      }
      break;
    }
    case 'json': {
      const doc = parseJsonText(source);
      const parsed = parseConvertToJson(source, doc);
      warnings.push(...parsed.warnings);
      records = parsed.value;
      break;
    }
    case 'csv': {
      const parsed = parseCsv(source);
      warnings.push(...parsed.warnings);
      if (parsed.unsupported !== null) return unsupported(parsed.unsupported, 1);
      records = parsed.value;
      break;
    }
    case 'console-text': {
      const parsed = parseConsoleText(source);
      warnings.push(...parsed.warnings);
      records = parsed.value;
      applyCommandContext(source, records);
      break;
    }
    case 'protocol-log':
      return unsupported('an SMTP receive protocol log: read it with `exrelay logs`');
    case 'scenarios':
      // Scenarios travel with the exports they test (the demo estate keeps its own); they hold
      // no configuration, so there is nothing to import and nothing to warn about.
      return { kind, snapshot: snap, counts };
    default:
      return unsupported('no Exchange export recognised');
  }

  let unknown = 0;
  for (const record of records) {
    const mapped = mapRecord(record, kindHints.get(record));
    counts[mapped.kind] = (counts[mapped.kind] ?? 0) + 1;
    if (mapped.kind === 'unknown') { unknown++; continue; }
    warnings.push(...mapped.result.warnings);
    const value = mapped.result.value;
    if (value === null) continue;
    switch (mapped.kind) {
      case 'receive-connector': snap.connectors.push(mapped.result.value as ReceiveConnector); break;
      case 'ad-permission': snap.permissions.push(mapped.result.value as Permission); break;
      case 'accepted-domain': snap.acceptedDomains.push(mapped.result.value as AcceptedDomain); break;
      case 'exchange-server': snap.servers.push(mapped.result.value as ExchangeServer); break;
      case 'exchange-certificate': snap.certificates.push(mapped.result.value as Certificate); break;
    }
  }
  if (records.length === 0 || unknown === records.length) {
    const types = [...new Set(records.flatMap((r) => r.typeNames.slice(0, 1)))].slice(0, 3);
    return unsupported(types.length > 0 ? `objects of type ${types.join(', ')}` : records.length === 0 ? 'no objects found' : 'no receive connector, ADPermission, accepted domain, server or certificate objects', records[0]?.source.line ?? 1);
  }
  if (unknown > 0) {
    warnings.push({ file: source.name, line: null, message: `${unknown} object(s) of other kinds skipped (not receive connectors, ADPermission entries, accepted domains, servers or certificates)` });
  }
  snap.warnings = collapseWarnings(snap.warnings);
  return { kind, snapshot: snap, counts };
}

/** The same message about many records of one file (one per row of a table) becomes one warning. */
function collapseWarnings(list: readonly ImportWarning[]): ImportWarning[] {
  const groups = new Map<string, ImportWarning[]>();
  for (const w of list) {
    const k = `${w.file}\u0000${w.message}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [w]); else g.push(w);
  }
  return [...groups.values()].map((g) => {
    const first = g[0] as ImportWarning;
    return g.length === 1 ? first : { ...first, message: `${first.message} (and ${g.length - 1} more like it)` };
  });
}

// ---------------------------------------------------------------- console captures

const kindHints = new WeakMap<PsRecord, RecordKind>();

const COMMAND = /^(?:\[PS\]\s*)?(?:PS\s+)?(?:[A-Za-z]:\\[^>]*>\s*)?(Get-ReceiveConnector|Get-ADPermission|Get-AcceptedDomain|Get-ExchangeServer|Get-ExchangeCertificate)\b(.*)$/i;
const CMDLET_KINDS: Record<string, RecordKind> = {
  'get-receiveconnector': 'receive-connector', 'get-adpermission': 'ad-permission', 'get-accepteddomain': 'accepted-domain',
  'get-exchangeserver': 'exchange-server', 'get-exchangecertificate': 'exchange-certificate',
};

/**
 * Pasted console output often shows only some properties (`fl auth*,bind*`, `ft User,ExtendedRights`)
 * below the command that printed them. The command line names the cmdlet and, usually, the
 * connector (`Get-ReceiveConnector "Client EX0" | fl …`): a record without Identity takes it from
 * there, and its kind follows the cmdlet.
 */
function applyCommandContext(source: SourceText, records: readonly PsRecord[]): void {
  const commands: Array<{ line: number; kind: RecordKind; identity: string | null }> = [];
  source.text.split('\n').forEach((raw, k) => {
    const m = COMMAND.exec(raw.trim());
    if (m === null) return;
    const kind = CMDLET_KINDS[(m[1] ?? '').toLowerCase()] ?? 'unknown';
    const args = (m[2] ?? '').split('|')[0] ?? '';
    const id = /^\s*(?:-Identity\s+)?(?:"([^"]+)"|'([^']+)'|([^\s"'-][^\s]*))/.exec(args);
    const identity = id === null ? null : (id[1] ?? id[2] ?? id[3] ?? null);
    commands.push({ line: k + 1, kind, identity: identity !== null && /^[$(@{]/.test(identity) ? null : identity });
  });
  if (commands.length === 0) return;
  for (const record of records) {
    let cmd: (typeof commands)[number] | undefined;
    for (const c of commands) if (c.line < (record.source.line ?? 0)) cmd = c;
    if (cmd === undefined) continue;
    const own = classifyRecord(record);
    if (own === 'unknown' || own === cmd.kind) kindHints.set(record, cmd.kind);
    if ((own === 'unknown' || own === cmd.kind) && cmd.identity !== null && getProp(record, 'Identity') === undefined) {
      record.props.set('Identity', cmd.identity);
    }
  }
}

// ---------------------------------------------------------------- merging

function withoutExtra<T extends { extra?: Record<string, JsonValue> }>(value: T): Omit<T, 'extra'> {
  const { extra: _extra, ...rest } = value;
  return rest;
}

function absentFields(c: ReceiveConnector): Set<string> {
  const list = c.extra?.notInExport;
  const out = new Set(Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase()) : []);
  for (const f of unseenFields.get(c) ?? []) out.add(f.toLowerCase());
  return out;
}

function sourceOf(extra: Record<string, JsonValue> | undefined): string {
  const s = extra?.source;
  if (s !== null && typeof s === 'object' && !Array.isArray(s) && typeof s.file === 'string') {
    return typeof s.line === 'number' ? `${s.file}:${s.line}` : s.file;
  }
  return 'an input';
}

function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  const key = (x: unknown): string => JSON.stringify(x).toLowerCase();
  const sa = new Set(a.map(key));
  const sb = new Set(b.map(key));
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Fields on which two copies of one connector disagree (fields one copy lacks are not compared). */
function connectorDifferences(a: ReceiveConnector, b: ReceiveConnector): string[] {
  const skip = new Set([...absentFields(a), ...absentFields(b)]);
  const diffs: string[] = [];
  const pa = withoutExtra(a) as unknown as Record<string, unknown>;
  const pb = withoutExtra(b) as unknown as Record<string, unknown>;
  for (const field of Object.keys(pa)) {
    if (skip.has(field.toLowerCase()) || field === 'identity') continue;
    const va = pa[field];
    const vb = pb[field];
    const equal = Array.isArray(va) && Array.isArray(vb) ? sameSet(va, vb)
      : typeof va === 'string' && typeof vb === 'string' ? va.toLowerCase() === vb.toLowerCase()
        : JSON.stringify(va) === JSON.stringify(vb);
    if (!equal) diffs.push(field);
  }
  return diffs;
}

/** `primary` with the fields it lacks (extra.notInExport) taken from `other` where `other` has them. */
function fillAbsent(primary: ReceiveConnector, other: ReceiveConnector): ReceiveConnector {
  const lacking = absentFields(primary);
  if (lacking.size === 0) return primary;
  const otherLacks = absentFields(other);
  const out = { ...primary, extra: { ...(primary.extra ?? {}) } } as ReceiveConnector & Record<string, unknown>;
  const src = other as unknown as Record<string, unknown>;
  const still: string[] = [];
  const modelName = (lower: string): string | undefined => Object.keys(primary).find((k) => k.toLowerCase() === lower);
  for (const field of lacking) {
    const name = modelName(field);
    if (name !== undefined && !otherLacks.has(field)) out[name] = src[name];
    else if (name !== undefined) still.push(name);
  }
  if (out.extra !== undefined) {
    const listed = (Array.isArray(primary.extra?.notInExport) ? primary.extra.notInExport : []).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    const stillListed = listed.filter((x) => still.some((f) => f.toLowerCase() === x.toLowerCase()));
    if (stillListed.length > 0) out.extra.notInExport = stillListed; else delete out.extra.notInExport;
  }
  const unseen = still.filter((f) => (unseenFields.get(primary) ?? []).some((u) => u.toLowerCase() === f.toLowerCase()));
  if (unseen.length > 0) unseenFields.set(out, unseen);
  return out;
}

export function mergeSnapshots(parts: readonly Snapshot[]): Snapshot {
  const out = emptySnapshot();
  const connectors = new Map<string, number>();
  const permissions = new Set<string>();
  const domains = new Map<string, number>();
  const servers = new Map<string, number>();
  const certs = new Set<string>();
  for (const part of parts) {
    out.warnings.push(...part.warnings);
    for (const c of part.connectors) {
      const key = c.identity.toLowerCase();
      const at = connectors.get(key);
      if (at === undefined) { connectors.set(key, out.connectors.length); out.connectors.push(c); continue; }
      const kept0 = out.connectors[at] as ReceiveConnector;
      const diffs = connectorDifferences(kept0, c);
      // Keep the more complete copy (a CLIXML export over a partial console paste), and fill
      // what it lacks from the other (two `fl` pastes of different properties of one connector).
      const keepNew = absentFields(c).size < absentFields(kept0).size;
      const kept = fillAbsent(keepNew ? c : kept0, keepNew ? kept0 : c);
      out.connectors[at] = kept;
      const src = c.extra?.source;
      const file = src !== null && typeof src === 'object' && !Array.isArray(src) && typeof src.file === 'string' ? src.file : '';
      const line = src !== null && typeof src === 'object' && !Array.isArray(src) && typeof src.line === 'number' ? src.line : null;
      if (diffs.length > 0) {
        out.warnings.push({
          file, line,
          message: `connector ${c.identity} appears in ${sourceOf(kept.extra)} and ${sourceOf(c.extra)} and the copies disagree on ${diffs.join(', ')}; kept the copy from ${sourceOf((keepNew ? c : kept).extra)}`,
        });
      }
    }
    for (const p of part.permissions) {
      const user = canonicalPrincipal(p.user) ?? p.user;
      // Entries without Identity (an `ft User,ExtendedRights` paste) can only be told apart by
      // the file they came from: two such pastes may be about two connectors.
      const scope = p.identity === '' ? sourceOf(p.extra).replace(/:\d+$/, '') : p.identity.toLowerCase();
      const key = JSON.stringify([scope, user.toLowerCase(), p.deny, p.inherited, p.extendedRights.map((r) => r.toLowerCase()).sort(),
        JSON.stringify(p.extra?.AccessRights ?? null), JSON.stringify(p.extra?.InheritanceType ?? null)]);
      if (permissions.has(key)) continue;
      permissions.add(key);
      out.permissions.push(p);
    }
    for (const d of part.acceptedDomains) {
      const key = d.domainName.toLowerCase();
      const at = domains.get(key);
      if (at === undefined) { domains.set(key, out.acceptedDomains.length); out.acceptedDomains.push(d); continue; }
      const kept = out.acceptedDomains[at] as AcceptedDomain;
      if (kept.domainType !== d.domainType || kept.default !== d.default) {
        const at2 = sourceOf(d.extra);
        const m = /^(.*?)(?::(\d+))?$/.exec(at2);
        out.warnings.push({ file: m?.[1] ?? '', line: m?.[2] === undefined ? null : Number(m[2]), message: `accepted domain ${d.domainName} appears twice with different settings (${sourceOf(kept.extra)}: ${kept.domainType}${kept.default ? ', default' : ''}; ${sourceOf(d.extra)}: ${d.domainType}${d.default ? ', default' : ''}); kept the first` });
      }
    }
    for (const s of part.servers) {
      const key = s.name.toLowerCase();
      const at = servers.get(key);
      if (at === undefined) { servers.set(key, out.servers.length); out.servers.push({ ...s, roles: [...s.roles], ipAddresses: [...s.ipAddresses] }); continue; }
      const kept = out.servers[at] as ExchangeServer;
      kept.fqdn ??= s.fqdn;
      kept.version ??= s.version;
      for (const r of s.roles) if (!kept.roles.some((x) => x.toLowerCase() === r.toLowerCase())) kept.roles.push(r);
      for (const ip of s.ipAddresses) if (!kept.ipAddresses.includes(ip)) kept.ipAddresses.push(ip);
    }
    for (const c of part.certificates) {
      const key = `${c.thumbprint.toUpperCase()}|${(c.server ?? '').toLowerCase()}`;
      if (certs.has(key)) continue;
      certs.add(key);
      out.certificates.push(c);
    }
  }
  // Warnings may repeat when one file is given twice; one of each is enough.
  const seen = new Set<string>();
  out.warnings = out.warnings.filter((w) => {
    const k = `${w.file}\u0000${String(w.line)}\u0000${w.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return out;
}

export async function importSources(sources: readonly SourceText[]): Promise<ImportResult> {
  const parts: Snapshot[] = [];
  for (const source of sources) parts.push((await importSource(source)).snapshot);
  const snapshot = mergeSnapshots(parts);
  return { snapshot, warnings: snapshot.warnings };
}
