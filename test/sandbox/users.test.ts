import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUsers } from '../../src/sandbox/users.js';
import { FIXTURES } from './helpers.js';

describe('--users file', () => {
  it('reads the users of a scenarios document (JSON) and a users-only YAML document', () => {
    const json = parseUsers('users.json', readFileSync(join(FIXTURES, 'users.json'), 'utf8'));
    assert.deepEqual(json, [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }]);
    const yaml = parseUsers('u.yaml', 'users:\n  - user: CORP\\svc-app\n    password: secret\n    addresses: [app@corp.example]\n  - { user: scanner, password: "123" }\n');
    assert.deepEqual(yaml, [...json, { user: 'scanner', password: '123', addresses: [] }]);
  });
  it('names the file (and line) of what is wrong', () => {
    assert.throws(() => parseUsers('u.yaml', 'users: [\n'), (e: Error & { oneLine?: () => string }) => /^u\.yaml:\d+: not JSON or YAML/.test(e.oneLine?.() ?? ''));
    assert.throws(() => parseUsers('u.json', '{"scenarios": []}'), /expected a document with a "users" array/);
    assert.throws(() => parseUsers('u.json', '{"users": [{"user": "a"}]}'), /users\[0\]\.password must be a string/);
  });
});
