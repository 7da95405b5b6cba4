// --users FILE: the accounts AUTH accepts. A JSON or YAML document with a `users` array as in
// exrelay.scenarios/1 (a scenarios file will do; its scenarios are ignored here).
import { parseDocument } from 'yaml';
import { InputError } from '../errors.js';
import type { ScenarioUser } from '../model.js';
import { QUIET_YAML, checkYamlLimits, convertYaml } from '../yaml-limits.js';

export function parseUsers(file: string, text: string): ScenarioUser[] {
  // YAML is a superset of JSON, so one parser reads both and reports the line of a problem.
  checkYamlLimits(file, text);
  const doc = parseDocument(text, { ...QUIET_YAML, prettyErrors: false });
  const first = doc.errors[0];
  if (first !== undefined) throw new InputError(file, lineOf(text, first.pos[0]), `not JSON or YAML: ${first.message.split('\n')[0] ?? ''}`);
  const value: unknown = convertYaml(file, null, () => doc.toJS() as unknown);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('users' in value)) {
    throw new InputError(file, null, 'expected a document with a "users" array');
  }
  const users: unknown = value.users;
  if (!Array.isArray(users)) throw new InputError(file, null, '"users" must be an array');
  return users.map((entry: unknown, i) => {
    const where = `users[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new InputError(file, null, `${where} must be an object`);
    const { user, password, addresses } = entry as { user?: unknown; password?: unknown; addresses?: unknown };
    if (typeof user !== 'string' || user === '') throw new InputError(file, null, `${where}.user must be a non-empty string`);
    if (typeof password !== 'string') throw new InputError(file, null, `${where}.password must be a string`);
    const list = addresses === undefined ? [] : addresses;
    if (!Array.isArray(list) || !list.every((a): a is string => typeof a === 'string')) throw new InputError(file, null, `${where}.addresses must be an array of strings`);
    return { user, password, addresses: list };
  });
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
