// Certificates for STARTTLS. With --cert/--key every connector presents that certificate;
// otherwise each connector presents a self-signed one made for its Fqdn (CN and DNS SAN), as
// Exchange picks the certificate matching the connector's FQDN. Made on first use (an RSA key
// takes a moment) and kept for the life of the process.
import { createSecureContext, type SecureContext } from 'node:tls';
import { generate } from 'selfsigned';

export interface PemPair { cert: string; key: string }

const generated = new Map<string, Promise<PemPair>>();

/** What a generated certificate looks like: subject attributes, DNS names, validity end. */
export interface CertificateLikeness {
  /** Subject attributes as selfsigned names them (`commonName`, `organizationName`, …), in DN order. */
  subject: Array<{ name: string; value: string }>;
  dnsNames: string[];
  /** null: a year from now. */
  notAfter: Date | null;
}

/** A self-signed certificate for `name`, made once per process. */
export function selfSignedFor(name: string): Promise<PemPair> {
  const key = name.toLowerCase();
  return selfSignedLike({ subject: [{ name: 'commonName', value: key }], dnsNames: [key], notAfter: null });
}

/** A self-signed certificate with the given subject, SANs and expiry, made once per process. */
export function selfSignedLike(like: CertificateLikeness): Promise<PemPair> {
  const key = JSON.stringify(like);
  let pair = generated.get(key);
  if (pair === undefined) {
    const notAfter = like.notAfter ?? new Date(Date.now() - 60_000 + 365 * 24 * 3600 * 1000);
    // A certificate that expired in production is presented expired: valid for the year before.
    const notBefore = new Date(Math.min(Date.now() - 60_000, notAfter.getTime() - 365 * 24 * 3600 * 1000));
    // RSA, because the devices the sandbox stands in for (printers, old applications)
    // often speak no ECDSA cipher suite.
    pair = generate(like.subject, {
      keySize: 2048, algorithm: 'sha256', notBeforeDate: notBefore, notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        ...(like.dnsNames.length === 0 ? [] : [{ name: 'subjectAltName' as const, altNames: like.dnsNames.map((value) => ({ type: 2 as const, value })) }]),
      ],
    }).then((pems) => ({ cert: pems.cert, key: pems.private }));
    generated.set(key, pair);
  }
  return pair;
}

const DN_NAMES: Record<string, string> = {
  CN: 'commonName', O: 'organizationName', OU: 'organizationalUnitName', L: 'localityName', S: 'stateOrProvinceName',
  ST: 'stateOrProvinceName', C: 'countryName', E: 'emailAddress', EMAIL: 'emailAddress',
};

/** `CN=mail.contoso.com, O="Contoso, Ltd", C=US` → selfsigned subject attributes (unknown kinds left out). */
export function subjectAttributes(dn: string): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  const re = /(?:^|,)\s*([A-Za-z][A-Za-z0-9.]*)\s*=\s*("(?:[^"]|"")*"|[^,]*)/g;
  for (let m = re.exec(dn); m !== null; m = re.exec(dn)) {
    const kind = DN_NAMES[(m[1] ?? '').toUpperCase()];
    let value = (m[2] ?? '').trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/""/g, '"');
    if (kind !== undefined && value !== '') out.push({ name: kind, value });
  }
  return out;
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

  /** The context a connector presents: like its imported certificate when known, else one made for its Fqdn. */
  contextFor(name: string, like: CertificateLikeness | null = null): Promise<SecureContext> {
    if (this.fixed !== null) return Promise.resolve(this.fixed);
    const key = like === null ? name.toLowerCase() : JSON.stringify(like);
    let context = this.contexts.get(key);
    if (context === undefined) {
      context = (like === null ? selfSignedFor(key) : selfSignedLike(like)).then((pair) => this.context(pair));
      this.contexts.set(key, context);
    }
    return context;
  }
}
