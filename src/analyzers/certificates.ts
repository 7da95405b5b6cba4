// Which imported certificate a connector would present for STARTTLS: the one its
// TlsCertificateName names (`<I>issuer<S>subject`), or one with the SMTP service that covers
// its Fqdn (reference §1.2, §3.1).
import type { Certificate, ReceiveConnector, Snapshot } from '../model.js';

function normalizeDn(dn: string): string {
  return dn.trim().toLowerCase().replace(/\s*,\s*/g, ',').replace(/\s*=\s*/g, '=');
}

export function parseTlsCertificateName(name: string): { issuer: string; subject: string } | null {
  const m = /^\s*<I>(.*)<S>(.*)$/is.exec(name);
  return m === null ? null : { issuer: (m[1] ?? '').trim(), subject: (m[2] ?? '').trim() };
}

function onServer(cert: Certificate, connector: ReceiveConnector): boolean {
  // A certificate without a server (exported from one machine without the column) may be anywhere.
  return cert.server === null || cert.server.toLowerCase() === connector.server.toLowerCase();
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
  return snapshot.certificates.filter((c) => onServer(c, connector) && normalizeDn(c.subject) === subject && normalizeDn(c.issuer) === issuer);
}

/** The fqdn a connector announces: its Fqdn, else its server's. */
export function connectorFqdn(snapshot: Snapshot, connector: ReceiveConnector): string | null {
  if (connector.fqdn !== null && connector.fqdn.trim() !== '') return connector.fqdn.trim();
  return snapshot.servers.find((s) => s.name.toLowerCase() === connector.server.toLowerCase())?.fqdn ?? null;
}

export function certificatesCoveringFqdn(snapshot: Snapshot, connector: ReceiveConnector): Certificate[] {
  const fqdn = connectorFqdn(snapshot, connector);
  if (fqdn === null) return [];
  return snapshot.certificates.filter((c) => onServer(c, connector) && hasSmtpService(c)
    && [...c.dnsNames, ...(commonName(c.subject) === null ? [] : [commonName(c.subject) as string])].some((n) => nameCovers(n, fqdn)));
}
