// bench/lib/estate.ts feeds the import, audit and replay benches: it must give exactly the
// sizes asked for, the same snapshot for the same seed, and a configuration that audits the way
// its design says (relays found, defaults quiet).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateEstate } from '../../bench/lib/estate.js';
import { runAudit } from '../../src/analyzers/run.js';

describe('generateEstate', () => {
  const options = { connectors: 120, ranges: 6000, permissions: 4000, seed: 3 };
  const estate = generateEstate(options);

  it('has exactly the connectors, ranges and permission entries asked for', () => {
    assert.equal(estate.connectors.length, 120);
    assert.equal(estate.connectors.reduce((n, c) => n + c.remoteIPRanges.length, 0), 6000);
    assert.equal(estate.permissions.length, 4000);
    assert.equal(estate.servers.length, 3);
  });

  it('is deterministic per seed', () => {
    assert.equal(JSON.stringify(generateEstate(options)), JSON.stringify(estate));
    assert.notEqual(JSON.stringify(generateEstate({ ...options, seed: 4 })), JSON.stringify(estate));
  });

  it('ranges are well formed and identities unique', () => {
    const ids = new Set(estate.connectors.map((c) => c.identity.toLowerCase()));
    assert.equal(ids.size, estate.connectors.length);
    for (const c of estate.connectors) {
      for (const r of c.remoteIPRanges) assert.match(`${r.first} ${r.last}`, /^(\d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+|[0-9a-f:]+ [0-9a-f:]+)$/, r.expression);
    }
  });

  it('audits as designed: relay findings on custom connectors, none above low on setup\'s', () => {
    const doc = runAudit(estate, {}, new Date('2026-06-01T00:00:00Z'));
    assert.ok(doc.findings.some((f) => f.rule === 'anonymous-open-relay'));
    assert.ok(doc.findings.some((f) => f.rule === 'externally-secured-relay'));
    const defaults = /\\(Default|Client Proxy|Default Frontend|Outbound Proxy Frontend|Client Frontend|Client) EX\d+$/;
    const noisy = doc.findings.filter((f) => f.connector !== null && defaults.test(f.connector) && !['low', 'info'].includes(f.severity));
    assert.deepEqual(noisy.map((f) => `${f.rule} ${f.connector ?? ''}`), []);
  });
});
