// The rule tester refuses tables too weak to trust (style §3.7).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../src/analyzers/rules/basic-auth-without-tls.js';
import info from '../../src/analyzers/rules/disabled-connector.js';
import { connector, defaults, estate } from '../helpers/build.js';
import { matchesPartially, validateTable, type InvalidCase, type ValidCase } from '../helpers/rule-tester.js';

const okValid: ValidCase[] = defaults.all();
const okInvalid: InvalidCase[] = [{ name: 'fires', snapshot: estate(connector({ authMechanism: ['BasicAuth'] })), findings: [{ connector: 'EX01\\Custom EX01', evidence: { authMechanism: ['BasicAuth'] } }] }];

describe('validateTable', () => {
  it('accepts a sound table', () => { validateTable(rule, { valid: okValid, invalid: okInvalid }); });
  it('rejects empty lists', () => {
    assert.throws(() => validateTable(rule, { valid: [], invalid: okInvalid }), /valid .* list is empty/);
    assert.throws(() => validateTable(rule, { valid: okValid, invalid: [] }), /invalid .* list is empty/);
  });
  it('rejects repeated names', () => {
    assert.throws(() => validateTable(rule, { valid: [...okValid, { name: 'fires', snapshot: estate() }], invalid: okInvalid }), /repeated/);
  });
  it('rejects an invalid case expecting nothing, or a finding without connector or evidence', () => {
    assert.throws(() => validateTable(rule, { valid: okValid, invalid: [{ name: 'x', snapshot: estate(), findings: [] }] }), /expects no finding/);
    const noEvidence = [{ name: 'x', snapshot: estate(), findings: [{ connector: 'EX01\\A', evidence: {} }] }];
    assert.throws(() => validateTable(rule, { valid: okValid, invalid: noEvidence }), /without evidence/);
    const noConnector = [{ name: 'x', snapshot: estate(), findings: [{ evidence: { a: 1 } } as unknown as InvalidCase['findings'][number]] }];
    assert.throws(() => validateTable(rule, { valid: okValid, invalid: noConnector }), /without connector/);
  });
  it('requires the four default installs in the valid list of rules above low, not of info rules', () => {
    assert.throws(() => validateTable(rule, { valid: okValid.slice(1), invalid: okInvalid }), /default Exchange 2010 install/);
    validateTable(info, { valid: [{ name: 'one', snapshot: estate() }], invalid: [{ name: 'two', snapshot: estate(connector({ enabled: false })), findings: [{ connector: 'EX01\\Custom EX01', evidence: { bindings: ['0.0.0.0:25', '[::]:25'] } }] }] });
  });
});

describe('matchesPartially', () => {
  it('matches objects on expected keys and arrays element by element', () => {
    assert.equal(matchesPartially({ a: 1, b: [{ c: 2, d: 3 }] }, { b: [{ c: 2 }] }), true);
    assert.equal(matchesPartially({ a: 1, b: [{ c: 2 }, { c: 3 }] }, { b: [{ c: 2 }] }), false);
    assert.equal(matchesPartially({ a: '1' }, { a: 1 }), false);
    assert.equal(matchesPartially({ a: null }, { a: null }), true);
  });
});
