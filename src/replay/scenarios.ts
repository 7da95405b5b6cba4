// Reading `exrelay.scenarios/1` documents (JSON or YAML). Bad fields are InputErrors naming
// the file and the line of the offending value; unknown fields are warnings.
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { InputError } from '../errors.js';
import { SCENARIOS_SCHEMA, type ImportWarning, type Scenario, type ScenarioAuth, type ScenarioUser, type ScenariosDocument } from '../model.js';
import { addressRefusal, parseAddress } from '../net/index.js';
import type { SourceText } from '../source.js';
import { QUIET_YAML, checkYamlLimits, convertYaml } from '../yaml-limits.js';

type Path = Array<string | number>;

class FieldError extends Error {
  constructor(readonly path: Path, message: string) { super(message); }
}

const SCENARIO_FIELDS = new Set(['name', 'server', 'clientIp', 'port', 'tls', 'auth', 'helo', 'mailFrom', 'rcptTo', 'localAddress', 'data', 'messageSize', 'bdat', 'expect', 'headers', 'repeat']);
const USER_FIELDS = new Set(['user', 'password', 'addresses']);
const AUTH_FIELDS = new Set(['user', 'password', 'mechanism']);
const ROOT_FIELDS = new Set(['schema', 'users', 'scenarios']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

function str(obj: Record<string, unknown>, key: string, path: Path, options: { optional?: boolean; allowEmpty?: boolean } = {}): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (options.optional === true) return undefined;
    throw new FieldError([...path, key], `"${key}" is required`);
  }
  if (typeof v !== 'string') throw new FieldError([...path, key], `"${key}" must be text, not ${describe(v)}`);
  if (v.trim() === '' && options.allowEmpty !== true) throw new FieldError([...path, key], `"${key}" must not be empty`);
  return v;
}

function bool(obj: Record<string, unknown>, key: string, path: Path): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new FieldError([...path, key], `"${key}" must be true or false, not ${describe(v)}`);
  return v;
}

function int(obj: Record<string, unknown>, key: string, path: Path, min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new FieldError([...path, key], `"${key}" must be a whole number from ${min} to ${max}, not ${describe(v)}`);
  }
  return n;
}

function address(obj: Record<string, unknown>, key: string, path: Path, optional: boolean): string | undefined {
  const v = str(obj, key, path, { optional });
  if (v === undefined) return undefined;
  if (parseAddress(v) === null) throw new FieldError([...path, key], `"${key}" is not an IP address: ${addressRefusal(v) ?? JSON.stringify(v)}`);
  return v.trim();
}

function unknownFields(obj: Record<string, unknown>, known: Set<string>, path: Path, what: string, warnings: Array<{ path: Path; message: string }>): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) warnings.push({ path: [...path, key], message: `unknown field "${key}" in ${what} ignored (expected ${[...known].join(', ')})` });
  }
}

function readUsers(root: Record<string, unknown>, warnings: Array<{ path: Path; message: string }>): ScenarioUser[] {
  const raw = root.users;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new FieldError(['users'], '"users" must be a list');
  return raw.map((u: unknown, i): ScenarioUser => {
    const path: Path = ['users', i];
    if (!isObject(u)) throw new FieldError(path, `users[${i}] must be an object with user, password, addresses`);
    unknownFields(u, USER_FIELDS, path, `users[${i}]`, warnings);
    const addresses = u.addresses ?? [];
    if (!Array.isArray(addresses) || !addresses.every((a): a is string => typeof a === 'string')) {
      throw new FieldError([...path, 'addresses'], '"addresses" must be a list of addresses');
    }
    return { user: str(u, 'user', path) ?? '', password: str(u, 'password', path, { allowEmpty: true }) ?? '', addresses };
  });
}

function readAuth(value: unknown, path: Path, warnings: Array<{ path: Path; message: string }>): ScenarioAuth | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new FieldError(path, '"auth" must be null or an object with user, password, mechanism');
  unknownFields(value, AUTH_FIELDS, path, 'auth', warnings);
  return {
    user: str(value, 'user', path) ?? '',
    password: str(value, 'password', path, { allowEmpty: true }) ?? '',
    mechanism: (str(value, 'mechanism', path, { optional: true }) ?? 'LOGIN').trim().toUpperCase(),
  };
}

function readScenario(value: unknown, i: number, warnings: Array<{ path: Path; message: string }>): Scenario {
  const path: Path = ['scenarios', i];
  if (!isObject(value)) throw new FieldError(path, `scenarios[${i}] must be an object`);
  unknownFields(value, SCENARIO_FIELDS, path, `scenario ${i + 1}`, warnings);
  const name = str(value, 'name', path) ?? '';
  const clientIp = address(value, 'clientIp', path, false) ?? '';
  const port = int(value, 'port', path, 1, 65535);
  if (port === undefined) throw new FieldError([...path, 'port'], '"port" is required (the Exchange port: 25, 587, 2525, ...)');
  let rcpt = value.rcptTo;
  if (typeof rcpt === 'string') rcpt = [rcpt];
  if (!Array.isArray(rcpt) || rcpt.length === 0 || !rcpt.every((r): r is string => typeof r === 'string' && r.trim() !== '')) {
    throw new FieldError([...path, 'rcptTo'], '"rcptTo" must be a non-empty list of addresses');
  }
  const mailFrom = str(value, 'mailFrom', path, { allowEmpty: true }) ?? '';
  const scenario: Scenario = {
    name, clientIp, port,
    tls: bool(value, 'tls', path) ?? false,
    auth: readAuth(value.auth, [...path, 'auth'], warnings),
    // RFC 5321 address literal: `[192.0.2.1]`, `[IPv6:2001:db8::1]`.
    helo: str(value, 'helo', path, { optional: true }) ?? (clientIp.includes(':') ? `[IPv6:${clientIp}]` : `[${clientIp}]`),
    mailFrom,
    rcptTo: rcpt.map((r) => r.trim()),
  };
  const server = str(value, 'server', path, { optional: true });
  if (server !== undefined) scenario.server = server.trim();
  const local = address(value, 'localAddress', path, true);
  if (local !== undefined) scenario.localAddress = local;
  const data = str(value, 'data', path, { optional: true, allowEmpty: true });
  if (data !== undefined) scenario.data = data;
  const size = int(value, 'messageSize', path, 0, Number.MAX_SAFE_INTEGER);
  if (size !== undefined) scenario.messageSize = size;
  const bdat = bool(value, 'bdat', path);
  if (bdat !== undefined) scenario.bdat = bdat;
  // What the consultant means to happen: a comparison reports reaching it as "fixed".
  const expect = str(value, 'expect', path, { optional: true });
  if (expect !== undefined) {
    const e = expect.trim().toLowerCase();
    if (e !== 'accepted' && e !== 'rejected') throw new FieldError([...path, 'expect'], '"expect" must be "accepted" or "rejected"');
    scenario.expect = e;
  }
  const headers = value.headers;
  if (headers !== undefined && headers !== null) {
    // Header lines: `Name: value`, no line breaks (a folded header is several list entries:
    // its continuation lines start with a space or tab).
    if (!Array.isArray(headers) || !headers.every((h): h is string => typeof h === 'string' && !/[\r\n]/.test(h) && (/^[\x21-\x39\x3b-\x7e]+:/.test(h) || /^[ \t]/.test(h)))) {
      throw new FieldError([...path, 'headers'], '"headers" must be a list of header lines ("Name: value"; a line starting with a space continues the one before)');
    }
    scenario.headers = headers;
  }
  const repeat = int(value, 'repeat', path, 1, 10000);
  if (repeat !== undefined) scenario.repeat = repeat;
  return scenario;
}

export interface ParsedScenarios { document: ScenariosDocument; warnings: ImportWarning[] }

// One YAML parse per source, shared by the reader and every later line lookup (a document
// with many warnings would otherwise be parsed once per warning).
const parsedYaml = new WeakMap<SourceText, { doc: Document.Parsed; lineCounter: LineCounter }>();

function yamlOf(source: SourceText): { doc: Document.Parsed; lineCounter: LineCounter } {
  const cached = parsedYaml.get(source);
  if (cached !== undefined) return cached;
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { ...QUIET_YAML, lineCounter, prettyErrors: false, uniqueKeys: true });
  const entry = { doc, lineCounter };
  parsedYaml.set(source, entry);
  return entry;
}

function parseText(source: SourceText): unknown {
  // Size and nesting first: the line lookups below parse the text as YAML even when it is JSON.
  checkYamlLimits(source.name, source.text, { json: true });
  const trimmed = source.text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try { return JSON.parse(source.text); } catch { /* fall through: YAML reports the line */ }
  }
  checkYamlLimits(source.name, source.text);
  const { doc, lineCounter } = yamlOf(source);
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = lineCounter.linePos(error.pos[0]).line;
    throw new InputError(source.name, line > 0 ? line : null, `not valid JSON or YAML: ${error.message.split('\n')[0] ?? ''}`);
  }
  return convertYaml(source.name, null, () => doc.toJS({ maxAliasCount: 100 }) as unknown);
}

/** The line of the value at `path` (or of the closest ancestor that exists). */
function lineOfPath(source: SourceText, path: Path): number | null {
  const { doc, lineCounter } = yamlOf(source);
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      const line = lineCounter.linePos(node.range[0]).line;
      return line > 0 ? line : null;
    }
  }
  return null;
}

function read<T>(source: SourceText, build: (root: Record<string, unknown>, warnings: Array<{ path: Path; message: string }>) => T): { value: T; warnings: ImportWarning[] } {
  const parsed = parseText(source);
  if (!isObject(parsed)) throw new InputError(source.name, 1, 'expected an exrelay.scenarios/1 document (an object with "scenarios")');
  const raw: Array<{ path: Path; message: string }> = [];
  try {
    const value = build(parsed, raw);
    const warnings = raw.map((w) => ({ file: source.name, line: lineOfPath(source, w.path), message: w.message }));
    return { value, warnings };
  } catch (error) {
    if (error instanceof FieldError) throw new InputError(source.name, lineOfPath(source, error.path), error.message);
    throw error;
  }
}

/** Reads a scenarios document (JSON or YAML). */
export function parseScenarios(source: SourceText): ParsedScenarios {
  const { value, warnings } = read(source, (root, w) => {
    if (root.schema !== undefined && root.schema !== SCENARIOS_SCHEMA) {
      throw new FieldError(['schema'], `"schema" must be "${SCENARIOS_SCHEMA}", not ${describe(root.schema)}`);
    }
    unknownFields(root, ROOT_FIELDS, [], 'the document', w);
    const users = readUsers(root, w);
    if (!Array.isArray(root.scenarios)) throw new FieldError(['scenarios'], '"scenarios" must be a list of scenarios');
    const scenarios = root.scenarios.map((s: unknown, i) => readScenario(s, i, w));
    return { schema: SCENARIOS_SCHEMA, users, scenarios } satisfies ScenariosDocument;
  });
  return { document: value, warnings };
}

/**
 * Reads the accounts AUTH accepts from a document with a `users` array as in
 * `exrelay.scenarios/1` (a scenarios file will do; its scenarios are not read).
 */
export function parseUsers(source: SourceText): { users: ScenarioUser[]; warnings: ImportWarning[] } {
  const { value, warnings } = read(source, (root, w) => {
    if (root.users === undefined) throw new FieldError([], 'expected a document with a "users" list');
    return readUsers(root, w);
  });
  return { users: value, warnings };
}

/** Line of scenario `index` in its file (for errors found later, e.g. an unknown server). */
export function scenarioLine(source: SourceText, index: number, field?: string): number | null {
  return lineOfPath(source, field === undefined ? ['scenarios', index] : ['scenarios', index, field]);
}
