import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import { parseScenarios, parseUsers } from '../../src/replay/scenarios.js';
import { decodeSource } from '../../src/source.js';

const fixture = (name: string) => decodeSource(`fixtures/scenarios/${name}`, readFileSync(new URL(`../../fixtures/scenarios/${name}`, import.meta.url)));
const text = (name: string, body: string) => decodeSource(name, new TextEncoder().encode(body));

function inputError(fn: () => unknown): InputError {
  try { fn(); } catch (error) { if (error instanceof InputError) return error; throw error; }
  assert.fail('expected an InputError');
}

describe('scenarios: JSON and YAML', () => {
  it('the YAML fixture reads the same as the JSON one (defaults filled in)', () => {
    const json = parseScenarios(fixture('relay.json'));
    const yaml = parseScenarios(fixture('relay.yaml'));
    assert.deepEqual(yaml.document, json.document);
    assert.deepEqual(json.warnings, []);
    assert.equal(json.document.scenarios.length, 8);
    assert.deepEqual(json.document.users[0]?.addresses, ['app@corp.example']);
  });

  it('optional fields and defaults: tls false, auth null, helo [clientIp], mechanism LOGIN', () => {
    const doc = parseScenarios(text('s.yaml', 'scenarios:\n  - name: a\n    clientIp: 10.0.0.1\n    port: 25\n    mailFrom: ""\n    rcptTo: x@y.example\n    auth: { user: u, password: p }\n    localAddress: 10.0.0.10\n    messageSize: 1000\n    bdat: true\n')).document;
    const s = doc.scenarios[0];
    assert.ok(s);
    assert.equal(s.tls, false);
    assert.equal(s.helo, '[10.0.0.1]');
    assert.equal(s.mailFrom, '');
    assert.deepEqual(s.rcptTo, ['x@y.example']);
    assert.deepEqual(s.auth, { user: 'u', password: 'p', mechanism: 'LOGIN' });
    assert.equal(s.localAddress, '10.0.0.10');
    assert.equal(s.messageSize, 1000);
    assert.equal(s.bdat, true);
  });
});

describe('scenarios: errors name the file and the line', () => {
  it('a bad port in YAML', () => {
    const e = inputError(() => parseScenarios(fixture('invalid-port.yaml')));
    assert.equal(e.line, 10);
    assert.match(e.oneLine(), /^fixtures\/scenarios\/invalid-port\.yaml:10: "port" must be a whole number/);
  });

  it('a bad client address in JSON', () => {
    const e = inputError(() => parseScenarios(text('s.json', '{\n "scenarios": [\n  { "name": "a",\n    "clientIp": "10.0.0.999",\n    "port": 25, "mailFrom": "a@b.c", "rcptTo": ["x@y.z"] }\n ]\n}\n')));
    assert.equal(e.line, 4);
    assert.match(e.message, /clientIp/);
  });

  it('a missing required field points at its scenario', () => {
    const e = inputError(() => parseScenarios(text('s.yaml', 'scenarios:\n  - name: a\n    clientIp: 10.0.0.1\n    mailFrom: a@b.c\n    rcptTo: [x@y.z]\n')));
    assert.equal(e.line, 2);
    assert.match(e.message, /"port" is required/);
  });

  it('syntax errors, wrong schema, not a document', () => {
    assert.equal(inputError(() => parseScenarios(text('s.yaml', 'scenarios:\n  - name: [unclosed\n'))).file, 's.yaml');
    assert.match(inputError(() => parseScenarios(text('s.json', '{"schema": "exrelay.snapshot/1", "scenarios": []}'))).message, /schema/);
    assert.match(inputError(() => parseScenarios(text('s.json', '[1,2]'))).message, /scenarios/);
  });

  it('unknown fields are warnings with their line, not errors', () => {
    const r = parseScenarios(text('s.yaml', 'scenarios:\n  - name: a\n    clientIp: 10.0.0.1\n    port: 25\n    mailFrom: a@b.c\n    rcptTo: [x@y.z]\n    rcpt: typo\n'));
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0]?.line, 7);
  });

  it('a users file: only the users array is read', () => {
    const u = parseUsers(text('u.yaml', 'users:\n  - user: CORP\\bob\n    password: pw\n'));
    assert.deepEqual(u.users, [{ user: 'CORP\\bob', password: 'pw', addresses: [] }]);
    assert.match(inputError(() => parseUsers(text('u.yaml', 'scenarios: []\n'))).message, /users/);
  });
});
