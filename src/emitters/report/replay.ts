// `--replay FILE`: a `replay --compare` result (exrelay.replay/1 with before/after pairs), read by
// the CLI as JSON and validated here, field by field, before the report trusts it.
import { InputError } from '../../errors.js';
import {
  REPLAY_SCHEMA, SMTP_STAGES, type RecipientReply, type ReplayComparison, type ReplayOutcome,
  type ReplayResult, type SmtpStage, type StageReply,
} from '../../model.js';

export interface ComparisonDocument { summary: { total: number; changed: number }; results: ReplayComparison[] }

const OUTCOMES: readonly ReplayOutcome[] = ['accepted', 'rejected', 'refused'];

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  constructor(private readonly file: string) {}
  fail(path: string, message: string): never {
    throw new InputError(this.file, null, `${path}: ${message}`);
  }
  obj(value: unknown, path: string): Obj {
    if (!isObj(value)) this.fail(path, 'expected an object');
    return value;
  }
  arr(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'expected an array');
    return value;
  }
  str(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'expected a string');
    return value;
  }
  strOrNull(value: unknown, path: string): string | null {
    return value === null ? null : this.str(value, path);
  }
  int(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) this.fail(path, 'expected a whole number');
    return value;
  }
  bool(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'expected true or false');
    return value;
  }
}

function readReply(c: Checker, value: unknown, path: string): { code: number; enhanced: string | null; text: string } {
  const o = c.obj(value, path);
  return { code: c.int(o.code, `${path}.code`), enhanced: c.strOrNull(o.enhanced ?? null, `${path}.enhanced`), text: c.str(o.text, `${path}.text`) };
}

function readResult(c: Checker, value: unknown, path: string): ReplayResult {
  const o = c.obj(value, path);
  const outcome = c.str(o.outcome, `${path}.outcome`);
  if (!(OUTCOMES as readonly string[]).includes(outcome)) c.fail(`${path}.outcome`, `unknown outcome "${outcome}"`);
  const replies: StageReply[] = c.arr(o.replies, `${path}.replies`).map((r, i) => {
    const p = `${path}.replies[${i}]`;
    const stage = c.str(c.obj(r, p).stage, `${p}.stage`);
    if (!(SMTP_STAGES as readonly string[]).includes(stage)) c.fail(`${p}.stage`, `unknown stage "${stage}"`);
    return { stage: stage as SmtpStage, ...readReply(c, r, p) };
  });
  const recipients: RecipientReply[] = c.arr(o.recipients ?? [], `${path}.recipients`).map((r, i) => {
    const p = `${path}.recipients[${i}]`;
    return { address: c.str(c.obj(r, p).address, `${p}.address`), ...readReply(c, r, p) };
  });
  return {
    name: c.str(o.name ?? '', `${path}.name`),
    connector: c.strOrNull(o.connector ?? null, `${path}.connector`),
    outcome: outcome as ReplayOutcome,
    replies,
    recipients,
  };
}

/** Validates an untrusted `replay --compare` document; throws InputError naming the bad field. */
export function parseReplayComparison(value: unknown, file = '--replay'): ComparisonDocument {
  const c: Checker = new Checker(file);
  const doc = c.obj(value, 'document');
  if (doc.schema !== REPLAY_SCHEMA) c.fail('schema', `expected "${REPLAY_SCHEMA}"`);
  const summary = doc.summary;
  if (!isObj(summary)) c.fail('summary', 'missing: the file is not a `replay --compare` result (run replay with --compare --format json)');
  const results = c.arr(doc.results, 'results').map((r, i): ReplayComparison => {
    const p = `results[${i}]`;
    const o = c.obj(r, p);
    return {
      name: c.str(o.name, `${p}.name`),
      before: readResult(c, o.before, `${p}.before`),
      after: readResult(c, o.after, `${p}.after`),
      changed: c.bool(o.changed, `${p}.changed`),
    };
  });
  return {
    summary: { total: c.int(summary.total, 'summary.total'), changed: c.int(summary.changed, 'summary.changed') },
    results,
  };
}
