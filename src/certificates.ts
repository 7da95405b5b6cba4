// Which imported certificate a connector would present for STARTTLS: the one its
// TlsCertificateName names (`<I>issuer<S>subject`), or one with the SMTP service that covers
// its Fqdn (reference §1.2, §3.1). The one home of certificate matching (a root module, so every
// layer may ask it): the TLS rules, the
// report's inventory and the migration script all ask here, so they cannot disagree.
import type { Certificate, ExchangeServer, ReceiveConnector, Snapshot } from './model.js';

function normalizeDn(dn: string): string {
  return dn.trim().toLowerCase().replace(/\s*,\s*/g, ',').replace(/\s*=\s*/g, '=');
}

export function parseTlsCertificateName(name: string): { issuer: string; subject: string } | null {
  const m = /^\s*<I>(.*)<S>(.*)$/is.exec(name);
  return m === null ? null : { issuer: (m[1] ?? '').trim(), subject: (m[2] ?? '').trim() };
}

/** A certificate without a server (exported from one machine without the column) may be on any. */
function onServer(cert: Certificate, server: string): boolean {
  return cert.server === null || cert.server.toLowerCase() === server.toLowerCase();
}

function commonName(subject: string): string | null {
  const m = /(?:^|,)\s*CN=([^,]+)/i.exec(subject);
  return m === null ? null : (m[1] ?? '').trim();
}

/** A certificate name covers a host name exactly or through a one-label wildcard. */
export function nameCovers(pattern: string, host: string): boolean {
  const p = pattern.trim().toLowerCase().replace(/\.$/, '');
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (p === h) return true;
  if (p.startsWith('*.')) {
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === p.slice(2);
  }
  return false;
}

export function hasSmtpService(cert: Certificate): boolean {
  return cert.services.some((s) => s.trim().toUpperCase() === 'SMTP');
}

export function certificatesNamedBy(snapshot: Snapshot, connector: ReceiveConnector): Certificate[] {
  if (connector.tlsCertificateName === null || connector.tlsCertificateName.trim() === '') return [];
  const parsed = parseTlsCertificateName(connector.tlsCertificateName);
  if (parsed === null) return [];
  const issuer = normalizeDn(parsed.issuer);
  const subject = normalizeDn(parsed.subject);
  return snapshot.certificates.filter((c) => onServer(c, connector.server) && normalizeDn(c.subject) === subject && normalizeDn(c.issuer) === issuer);
}

/** The fqdn a connector announces: its Fqdn, else its server's. */
export function connectorFqdn(snapshot: Snapshot, connector: ReceiveConnector): string | null {
  if (connector.fqdn !== null && connector.fqdn.trim() !== '') return connector.fqdn.trim();
  return firstServerNamed(snapshot.servers, connector.server)?.fqdn ?? null;
}

// Every connector asks for its server's Fqdn and certificates: one index per list (a list is
// not changed once audited), instead of a search of every server and certificate per connector.
const serverIndexes = new WeakMap<readonly ExchangeServer[], Map<string, ExchangeServer>>();
const certificateIndexes = new WeakMap<readonly Certificate[], Map<string, Certificate[]>>();

/** The first server of that name (case-insensitive), as a search of the list finds it. */
function firstServerNamed(servers: readonly ExchangeServer[], name: string): ExchangeServer | undefined {
  let index = serverIndexes.get(servers);
  if (index === undefined) {
    index = new Map();
    for (const s of servers) if (!index.has(s.name.toLowerCase())) index.set(s.name.toLowerCase(), s);
    serverIndexes.set(servers, index);
  }
  return index.get(name.toLowerCase());
}

/** The certificates of the list that may be on `server` (see onServer), in list order. */
function certificatesOnServer(certificates: readonly Certificate[], server: string): readonly Certificate[] {
  let index = certificateIndexes.get(certificates);
  if (index === undefined) { index = new Map(); certificateIndexes.set(certificates, index); }
  const key = server.toLowerCase();
  let list = index.get(key);
  if (list === undefined) { list = certificates.filter((c) => onServer(c, server)); index.set(key, list); }
  return list;
}

/** Certificates on `server` with the SMTP service whose names (SANs or subject CN) cover `host`. */
export function certificatesCovering(certificates: readonly Certificate[], server: string, host: string): Certificate[] {
  return certificatesOnServer(certificates, server).filter((c) => hasSmtpService(c)
    && [...c.dnsNames, ...(commonName(c.subject) === null ? [] : [commonName(c.subject) as string])].some((n) => nameCovers(n, host)));
}

export function certificatesCoveringFqdn(snapshot: Snapshot, connector: ReceiveConnector): Certificate[] {
  const fqdn = connectorFqdn(snapshot, connector);
  return fqdn === null ? [] : certificatesCovering(snapshot.certificates, connector.server, fqdn);
}

export function isExpired(cert: Certificate, now: Date): boolean {
  const t = Date.parse(cert.notAfter);
  return Number.isFinite(t) && t < now.getTime();
}

/** The certificate a connector presents, how it was found, and the candidates it was chosen from. */
export interface PresentedCertificate {
  certificate: Certificate;
  /** By TlsCertificateName, or by covering the connector's Fqdn. */
  namedByTlsCertificateName: boolean;
  expired: boolean;
  candidates: Certificate[];
}

/**
 * What Exchange would present: among the named certificates (or, without a name, those
 * covering the Fqdn), a valid one when there is one, else the one that expired last.
 */
export function presentedCertificate(snapshot: Snapshot, connector: ReceiveConnector, now: Date): PresentedCertificate | null {
  const named = certificatesNamedBy(snapshot, connector);
  const candidates = named.length > 0 ? named : certificatesCoveringFqdn(snapshot, connector);
  if (candidates.length === 0) return null;
  const valid = candidates.find((c) => !isExpired(c, now));
  const lastToExpire = [...candidates].sort((a, b) => Date.parse(b.notAfter) - Date.parse(a.notAfter))[0];
  if (lastToExpire === undefined) return null;
  const certificate = valid ?? lastToExpire;
  return { certificate, namedByTlsCertificateName: named.length > 0, expired: valid === undefined, candidates };
}
