// Certificates for STARTTLS. With --cert/--key every connector presents that certificate;
// otherwise each connector presents a self-signed one made for its Fqdn (CN and DNS SAN), as
// Exchange picks the certificate matching the connector's FQDN. Made on first use (an RSA key
// takes a moment) and kept for the life of the process.
import { createSecureContext, type SecureContext } from 'node:tls';
import { generate } from 'selfsigned';

export interface PemPair { cert: string; key: string }

const generated = new Map<string, Promise<PemPair>>();

/** A self-signed certificate for `name`, made once per process. */
export function selfSignedFor(name: string): Promise<PemPair> {
  const key = name.toLowerCase();
  let pair = generated.get(key);
  if (pair === undefined) {
    const notBefore = new Date(Date.now() - 60_000);
    const notAfter = new Date(notBefore.getTime() + 365 * 24 * 3600 * 1000);
    // RSA, because the devices the sandbox stands in for (printers, old applications)
    // often speak no ECDSA cipher suite.
    pair = generate([{ name: 'commonName', value: key }], {
      keySize: 2048, algorithm: 'sha256', notBeforeDate: notBefore, notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: key }] },
      ],
    }).then((pems) => ({ cert: pems.cert, key: pems.private }));
    generated.set(key, pair);
  }
  return pair;
}

export class CertificateStore {
  private readonly contexts = new Map<string, Promise<SecureContext>>();
  private readonly fixed: SecureContext | null;

  constructor(fixed: PemPair | null) {
    this.fixed = fixed === null ? null : createSecureContext(fixed);
  }

  /** The context a connector with this Fqdn presents. */
  contextFor(name: string): Promise<SecureContext> {
    if (this.fixed !== null) return Promise.resolve(this.fixed);
    const key = name.toLowerCase();
    let context = this.contexts.get(key);
    if (context === undefined) {
      context = selfSignedFor(key).then((pair) => createSecureContext(pair));
      this.contexts.set(key, context);
    }
    return context;
  }
}
