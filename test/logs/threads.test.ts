import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultWorkers } from '../../src/logs/reader.js';

const MB = 1024 * 1024;

describe('reader thread count', () => {
  it('reads small inputs in the calling thread', () => {
    assert.equal(defaultWorkers(8 * MB, 2, 0), 0);
  });
  it('uses two threads when the cores are idle', () => {
    assert.equal(defaultWorkers(400 * MB, 2, 0.3), 2);
    assert.equal(defaultWorkers(400 * MB, 8, 3.9), 2);
  });
  it('stays in one thread when other work holds the cores', () => {
    assert.equal(defaultWorkers(400 * MB, 2, 1), 0);
    assert.equal(defaultWorkers(400 * MB, 2, 14), 0);
    assert.equal(defaultWorkers(400 * MB, 1, 0), 0);
  });
});
