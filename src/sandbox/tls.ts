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

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/**
 * TLS as Windows negotiates it for Exchange: at most TLS 1.2 by default (Schannel on the
 * Windows Server versions Exchange 2010-2019 run on offers no TLS 1.3 to SMTP), and the
 * server's cipher order wins (Schannel's preference), not the client's.
 */
export class CertificateStore {
  private readonly contexts = new Map<string, Promise<SecureContext>>();
  private readonly fixed: SecureContext | null;
  private readonly maxVersion: TlsVersion;

  constructor(fixed: PemPair | null, maxVersion: TlsVersion = 'TLSv1.2') {
    this.maxVersion = maxVersion;
    this.fixed = fixed === null ? null : this.context(fixed);
  }

  private context(pair: PemPair): SecureContext {
    return createSecureContext({ ...pair, maxVersion: this.maxVersion, honorCipherOrder: true });
  }

  /** The context a connector with this Fqdn presents. */
  contextFor(name: string): Promise<SecureContext> {
    if (this.fixed !== null) return Promise.resolve(this.fixed);
    const key = name.toLowerCase();
    let context = this.contexts.get(key);
    if (context === undefined) {
      context = selfSignedFor(key).then((pair) => this.context(pair));
      this.contexts.set(key, context);
    }
    return context;
  }
}
