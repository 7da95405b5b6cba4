// Certificates for STARTTLS. With --cert/--key every connector presents that certificate;
// otherwise each connector presents a self-signed one generated for its Fqdn (CN and DNS SAN),
// as Exchange picks the certificate matching the connector's FQDN. Generated once at start-up.
import { createSecureContext, type SecureContext } from 'node:tls';
import { generate } from 'selfsigned';

export interface PemPair { cert: string; key: string }

export class CertificateStore {
  private readonly contexts = new Map<string, SecureContext>();
  private readonly pems = new Map<string, PemPair>();

  private constructor(private readonly fixed: SecureContext | null, private readonly fixedPem: PemPair | null) {}

  static async create(names: readonly string[], fixed: PemPair | null): Promise<CertificateStore> {
    const store = new CertificateStore(fixed === null ? null : createSecureContext(fixed), fixed);
    if (fixed === null) {
      for (const name of new Set(names.map((n) => n.toLowerCase()))) {
        const notBefore = new Date(Date.now() - 60_000);
        const notAfter = new Date(notBefore.getTime() + 365 * 24 * 3600 * 1000);
        // RSA, because the devices the sandbox stands in for (printers, old applications)
        // often speak no ECDSA cipher suite.
        const pems = await generate([{ name: 'commonName', value: name }], {
          keySize: 2048, algorithm: 'sha256', notBeforeDate: notBefore, notAfterDate: notAfter,
          extensions: [
            { name: 'basicConstraints', cA: false },
            { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
            { name: 'extKeyUsage', serverAuth: true },
            { name: 'subjectAltName', altNames: [{ type: 2, value: name }] },
          ],
        });
        const pair = { cert: pems.cert, key: pems.private };
        store.pems.set(name, pair);
        store.contexts.set(name, createSecureContext(pair));
      }
    }
    return store;
  }

  /** The context a connector with this Fqdn presents. */
  contextFor(name: string): SecureContext {
    if (this.fixed !== null) return this.fixed;
    const hit = this.contexts.get(name.toLowerCase()) ?? this.contexts.values().next().value;
    if (hit === undefined) throw new Error('no certificate was prepared for STARTTLS');
    return hit;
  }

  /** PEMs (for the default context smtp-server insists on building, and for tests). */
  pemFor(name: string): PemPair | null {
    return this.fixedPem ?? this.pems.get(name.toLowerCase()) ?? this.pems.values().next().value ?? null;
  }
}
