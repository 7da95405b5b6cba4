// Safety: the sandbox never delivers. No module under src/sandbox reaches for an API that
// opens an outbound connection or asks DNS (smtp-server's reverse lookup is switched off in
// server.ts, which this also checks).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../../src/sandbox/', import.meta.url));

describe('sandbox safety', () => {
  it('no outbound connection, DNS or HTTP API appears in src/sandbox', () => {
    const forbidden = /\b(net\.connect|net\.createConnection|tls\.connect|createConnection|from 'node:dns'|from 'node:http'|from 'node:https'|dns\.|fetch\(|nodemailer')/;
    for (const name of readdirSync(DIR).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(DIR, name), 'utf8');
      assert.doesNotMatch(text, forbidden, name);
    }
  });
  it('smtp-server reverse DNS is off', () => {
    assert.match(readFileSync(join(DIR, 'server.ts'), 'utf8'), /disableReverseLookup: true/);
  });
});
