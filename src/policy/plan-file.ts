// Reads an exit plan (`exrelay.plan/1`, written by `exrelay plan`) back for the commands that act
// on it (`emit exo`, `replay --flavor exo`). A plan is a file a consultant may have edited by
// hand, so every field used downstream is checked here: anything wrong is one InputError naming
// the file and the field (exit 2), never a crash deeper in.
import { InputError } from '../errors.js';
import { PLAN_PATHS, PLAN_SCHEMA, type PlanDocument, type PlanPath, type PlanSender, type PlanTarget } from '../model.js';
import { addressRefusal, normalizeAddress } from '../net/index.js';

const TARGETS: readonly PlanTarget[] = ['m365', 'se', 'postfix'];

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class PlanReader {
  constructor(private readonly file: string) {}

  fail(where: string, message: string): never {
    throw new InputError(this.file, null, `${where}: ${message}`);
  }

  string(o: Fields, key: string, where: string, fallback?: string): string {
    const v = o[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string') return this.fail(`${where}.${key}`, `must be a string, not ${JSON.stringify(v) ?? 'missing'}`);
    return v;
  }

  nullableString(o: Fields, key: string, where: string): string | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    return this.string(o, key, where);
  }

  strings(o: Fields, key: string, where: string): string[] {
    const v = o[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return this.fail(`${where}.${key}`, 'must be an array of strings');
    return v as string[];
  }

  count(o: Fields, key: string, where: string): number {
    const v = o[key];
    if (v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return this.fail(`${where}.${key}`, `must be a number of 0 or more, not ${JSON.stringify(v)}`);
    return v;
  }

  address(o: Fields, key: string, where: string, nullable: boolean): string | null {
    const v = o[key];
    if (nullable && (v === undefined || v === null)) return null;
    if (typeof v !== 'string') return this.fail(`${where}.${key}`, `must be an IP address, not ${JSON.stringify(v) ?? 'missing'}`);
    const address = normalizeAddress(v);
    if (address === null) return this.fail(`${where}.${key}`, addressRefusal(v) ?? `"${v}" is not an IP address`);
    return address;
  }

  sender(value: unknown, index: number): PlanSender {
    const where = `senders[${index}]`;
    if (!isObject(value)) return this.fail(where, 'must be an object');
    const path = value.path;
    if (typeof path !== 'string' || !(PLAN_PATHS as readonly string[]).includes(path)) {
      return this.fail(`${where}.path`, `must be one of ${PLAN_PATHS.join(', ')}, not ${JSON.stringify(path) ?? 'missing'}`);
    }
    const blockers = value.blockers ?? [];
    if (!Array.isArray(blockers) || blockers.some((b) => !isObject(b) || typeof b.id !== 'string' || typeof b.text !== 'string')) {
      return this.fail(`${where}.blockers`, 'must be an array of {"id", "text"} strings');
    }
    const decidedBy = value.decidedBy ?? 'table';
    if (decidedBy !== 'table' && decidedBy !== 'worksheet') return this.fail(`${where}.decidedBy`, 'must be "table" or "worksheet"');
    const authenticated = value.authenticated ?? false;
    if (typeof authenticated !== 'boolean') return this.fail(`${where}.authenticated`, 'must be true or false');
    const sender: PlanSender = {
      remoteIp: this.address(value, 'remoteIp', where, false) ?? '',
      connector: this.nullableString(value, 'connector', where),
      server: this.nullableString(value, 'server', where),
      path: path as PlanPath,
      reasons: this.strings(value, 'reasons', where),
      blockers: blockers as Array<{ id: string; text: string }>,
      messagesPerDay: this.count(value, 'messagesPerDay', where),
      externalRecipientsPerDay: this.count(value, 'externalRecipientsPerDay', where),
      internalRecipientsPerDay: this.count(value, 'internalRecipientsPerDay', where),
      authenticated,
      accounts: this.strings(value, 'accounts', where),
      senderDomains: this.strings(value, 'senderDomains', where),
      egressIp: this.address(value, 'egressIp', where, true),
      owner: this.string(value, 'owner', where, ''),
      application: this.string(value, 'application', where, ''),
      decidedBy,
    };
    const certificate = this.nullableString(value, 'tlsCertificateName', where);
    if (certificate !== null) sender.tlsCertificateName = certificate;
    return sender;
  }
}

/** The plan in `text` (read from `file`), checked; throws InputError naming the file and field. */
export function parsePlanDocument(text: string, file: string): PlanDocument {
  const reader = new PlanReader(file);
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(file, null, `not a JSON plan (${error instanceof Error ? error.message : String(error)}); write one with exrelay plan --format json`);
  }
  if (!isObject(value)) return reader.fail('plan', 'must be a JSON object');
  if (value.schema !== PLAN_SCHEMA) {
    throw new InputError(file, null, `not an exit plan: "schema" is ${JSON.stringify(value.schema) ?? 'missing'}, expected "${PLAN_SCHEMA}" (exrelay plan --format json writes one)`);
  }
  const target = value.target;
  if (typeof target !== 'string' || !(TARGETS as readonly string[]).includes(target)) {
    return reader.fail('target', `must be one of ${TARGETS.join(', ')}, not ${JSON.stringify(target) ?? 'missing'}`);
  }
  if (!Array.isArray(value.senders)) return reader.fail('senders', 'must be an array');
  const senders = value.senders.map((s, i) => reader.sender(s, i));
  return { schema: PLAN_SCHEMA, target: target as PlanTarget, senders };
}
