// certificates.ts answers from one index per server list and certificate list (every connector
// asks for its server's Fqdn and certificates): on random lists — servers named twice in other
// cases, certificates without a server, names in any case, wildcards — each answer must be the
// plain search's (the same certificates, in list order).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { certificatesCovering, certificatesCoveringFqdn, connectorFqdn, nameCovers, hasSmtpService } from '../../src/certificates.js';
import type { Certificate, ExchangeServer, ReceiveConnector, Snapshot } from '../../src/model.js';
import { prng } from '../../bench/lib/prng.js';

const SERVERS = ['EX01', 'ex01', 'EX02', 'Ex03', 'EX04'];
const HOSTS = ['mail.contoso.com', 'MAIL.contoso.com', 'smtp.contoso.com', 'ex01.corp.contoso.com', 'relay.fabrikam.com'];
const NAMES = ['mail.contoso.com', '*.contoso.com', 'SMTP.CONTOSO.COM', 'ex01.corp.contoso.com', '*.corp.contoso.com', 'relay.fabrikam.com.'];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

function randomSnapshot(rnd: () => number): Snapshot {
  const servers: ExchangeServer[] = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => ({
    name: pick(rnd, SERVERS), fqdn: rnd() < 0.2 ? null : pick(rnd, HOSTS), version: null, roles: [], ipAddresses: [],
  }));
  const certificates: Certificate[] = Array.from({ length: Math.floor(rnd() * 12) }, (_, i) => ({
    thumbprint: `T${i}`, subject: rnd() < 0.5 ? `CN=${pick(rnd, NAMES)}, O=Contoso` : 'O=Contoso', issuer: 'CN=CA',
    notAfter: '2030-01-01T00:00:00Z', dnsNames: Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, NAMES)),
    services: rnd() < 0.8 ? ['IIS', 'SMTP'] : ['IIS'], server: rnd() < 0.2 ? null : pick(rnd, SERVERS),
  }));
  return { servers, certificates } as unknown as Snapshot;
}

// The definitions as they read before the index: a search of the whole list per question.
function plainFqdn(snapshot: Snapshot, c: ReceiveConnector): string | null {
  if (c.fqdn !== null && c.fqdn.trim() !== '') return c.fqdn.trim();
  return snapshot.servers.find((s) => s.name.toLowerCase() === c.server.toLowerCase())?.fqdn ?? null;
}

function plainCovering(certificates: readonly Certificate[], server: string, host: string): Certificate[] {
  const cn = (subject: string): string | null => { const m = /(?:^|,)\s*CN=([^,]+)/i.exec(subject); return m === null ? null : (m[1] ?? '').trim(); };
  return certificates.filter((c) => (c.server === null || c.server.toLowerCase() === server.toLowerCase()) && hasSmtpService(c)
    && [...c.dnsNames, ...(cn(c.subject) === null ? [] : [cn(c.subject) as string])].some((n) => nameCovers(n, host)));
}

describe('certificate and server indexes', () => {
  it('answer as the plain search on random lists', () => {
    const rnd = prng(29);
    let found = 0;
    for (let round = 0; round < 300; round++) {
      const snapshot = randomSnapshot(rnd);
      for (let q = 0; q < 10; q++) {
        const c = { server: pick(rnd, SERVERS), fqdn: rnd() < 0.3 ? pick(rnd, HOSTS) : null } as ReceiveConnector;
        assert.equal(connectorFqdn(snapshot, c), plainFqdn(snapshot, c));
        const host = pick(rnd, HOSTS);
        const want = plainCovering(snapshot.certificates, c.server, host);
        assert.deepEqual(certificatesCovering(snapshot.certificates, c.server, host).map((x) => x.thumbprint), want.map((x) => x.thumbprint));
        const fqdn = plainFqdn(snapshot, c);
        assert.deepEqual(certificatesCoveringFqdn(snapshot, c).map((x) => x.thumbprint), (fqdn === null ? [] : plainCovering(snapshot.certificates, c.server, fqdn)).map((x) => x.thumbprint));
        found += want.length;
      }
    }
    assert.ok(found > 100, 'the lists cover hosts');
  });
});
