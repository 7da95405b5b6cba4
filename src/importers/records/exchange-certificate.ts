// Get-ExchangeCertificate record → Certificate. Live and remote CLIXML exports carry little
// more than the certificate itself (RawData) and its multi-line ToString, so the DER is read
// with node's X509 parser; Format-List/JSON exports carry the properties directly.
import { X509Certificate } from 'node:crypto';
import type { Certificate, ImportWarning } from '../../model.js';
import { readConsoleDate } from '../dates.js';
import { parseDate, psList, psText } from '../ps-values.js';
import { getProp, type PsRecord } from '../types.js';
import { buildExtra, lowerSet, splitIdentity, textOrNull, warn, type Mapped } from './common.js';

const MAPPED = lowerSet(['Thumbprint', 'Subject', 'Issuer', 'NotAfter', 'CertificateDomains', 'DnsNameList', 'Services', 'RawData', 'Server']);

// UNSURE(reference): Exchange's AllowedServices flag values and the one-letter column of the
// default table view are not in the reference; taken from Exchange's enum as commonly printed.
const SERVICE_FLAGS: ReadonlyArray<readonly [string, number]> = [['IMAP', 1], ['POP', 2], ['UM', 4], ['IIS', 8], ['SMTP', 16], ['Federation', 32], ['UMCallRouter', 64]];
const SERVICE_LETTERS: Record<string, string> = { I: 'IMAP', P: 'POP', U: 'UM', W: 'IIS', S: 'SMTP', F: 'Federation' };

export function parseServices(value: unknown): string[] {
  if (typeof value === 'number') return SERVICE_FLAGS.filter(([, bit]) => Math.floor(value / bit) % 2 === 1).map(([n]) => n);
  if (typeof value !== 'string') return [];
  const t = value.trim();
  if (/^[A-Z.]{4,8}$/.test(t) && t.includes('.')) {
    return [...t].filter((c) => c !== '.').map((c) => SERVICE_LETTERS[c] ?? c);
  }
  return t.replace(/^\{|\}$/g, '').split(',').map((s) => s.trim()).filter((s) => s !== '' && s.toLowerCase() !== 'none');
}

/** The `[Subject]` … `[Thumbprint]` sections of X509Certificate2.ToString(). */
function toStringSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let current: string | null = null;
  for (const line of lines) {
    const head = /^\[([^\]]+)\]\s*$/.exec(line.trim());
    if (head !== null) { current = head[1] ?? null; continue; }
    if (current !== null && line.trim() !== '' && !out.has(current)) out.set(current, line.trim());
  }
  return out;
}

function windowsDn(nodeDn: string): string {
  // node prints one RDN per line, most significant first; Windows prints CN first, comma-separated.
  return nodeDn.split('\n').filter((s) => s !== '').reverse().join(', ');
}

export function mapExchangeCertificate(record: PsRecord): Mapped<Certificate> {
  const warnings: ImportWarning[] = [];
  const sections = record.text === undefined ? new Map<string, string>() : toStringSections(record.text);
  let der: X509Certificate | null = null;
  const raw = getProp(record, 'RawData');
  if (typeof raw === 'string' && raw.trim() !== '') {
    try { der = new X509Certificate(Buffer.from(raw, 'base64')); } catch {
      warnings.push(warn(record, 'RawData', 'certificate RawData is not a readable DER certificate; using the printed properties'));
    }
  }
  const thumbprint = (textOrNull(record, 'Thumbprint') ?? sections.get('Thumbprint') ?? der?.fingerprint.replace(/:/g, '') ?? '').toUpperCase();
  if (thumbprint === '') {
    warnings.push(warn(record, null, 'certificate without Thumbprint: skipped'));
    return { value: null, warnings };
  }
  const subject = textOrNull(record, 'Subject') ?? sections.get('Subject') ?? (der === null ? '' : windowsDn(der.subject));
  const issuer = textOrNull(record, 'Issuer') ?? sections.get('Issuer') ?? (der === null ? '' : windowsDn(der.issuer));

  let notAfter: string | null = null;
  const notAfterText = textOrNull(record, 'NotAfter');
  let ambiguous: { monthFirst: string; dayFirst: string } | null = null;
  if (notAfterText !== null) {
    notAfter = parseDate(notAfterText);
    if (notAfter === null) {
      const printed = readConsoleDate(notAfterText, record.dateOrder ?? null);
      if (printed.kind === 'date') notAfter = printed.iso;
      if (printed.kind === 'ambiguous') ambiguous = printed;
    }
  }
  if (notAfter === null && der !== null) notAfter = new Date(der.validTo).toISOString().replace(/\.000Z$/, 'Z');
  if (notAfter === null && ambiguous !== null) {
    const day = (isoText: string): string => isoText.slice(0, 10);
    warnings.push(warn(record, 'NotAfter', `certificate ${thumbprint}: expiry date "${notAfterText ?? ''}" reads as ${day(ambiguous.monthFirst)} (month first, en-US) or ${day(ambiguous.dayFirst)} (day first) and no other date in the file has a day over 12 to tell which; left empty (export with Export-Clixml, or add a date such as NotBefore)`));
    notAfter = '';
  }
  if (notAfter === null) {
    const shown = notAfterText ?? sections.get('Not After') ?? null;
    warnings.push(warn(record, 'NotAfter', shown === null ? `certificate ${thumbprint}: no expiry date (NotAfter) in the export; left empty`
      : `certificate ${thumbprint}: expiry date "${shown}" is not a date exrelay reads; left empty`));
    notAfter = '';
  }

  const dnsNames: string[] = [];
  // `CertificateDomains : {}` is an observed empty list: the names are what it shows, and
  // nothing is derived from the subject or the DER then.
  const domainsShown = ['CertificateDomains', 'DnsNameList'].some((p) => getProp(record, p) !== undefined);
  for (const prop of ['CertificateDomains', 'DnsNameList']) {
    for (const item of psList(getProp(record, prop) ?? null, 'any')) {
      const t = psText(item)?.trim() ?? '';
      if (t !== '' && !dnsNames.includes(t)) dnsNames.push(t);
    }
  }
  if (dnsNames.length === 0 && !domainsShown && der?.subjectAltName !== undefined) {
    for (const part of der.subjectAltName.split(',')) {
      const m = /^\s*DNS:(.+)$/.exec(part);
      if (m?.[1] !== undefined && !dnsNames.includes(m[1].trim())) dnsNames.push(m[1].trim());
    }
  }
  if (dnsNames.length === 0 && !domainsShown) {
    const cn = /(?:^|,\s*)CN=([^,]+)/.exec(subject);
    if (cn?.[1] !== undefined) dnsNames.push(cn[1].trim());
  }

  const servicesRaw = getProp(record, 'Services');
  const services = servicesRaw === undefined ? [] : parseServices(typeof servicesRaw === 'number' ? servicesRaw : psText(servicesRaw));

  // The collect script adds a Server note; Exchange's own Identity is `SERVER\THUMBPRINT` on 2013+.
  let server: string | null = textOrNull(record, 'Server');
  const identity = textOrNull(record, 'Identity');
  if (server === null && identity !== null) server = splitIdentity(identity)[0];
  if (server === null) {
    const pc = textOrNull(record, 'PSComputerName');
    if (pc !== null) server = (pc.split('.')[0] ?? pc).toUpperCase();
  }
  return { value: { thumbprint, subject, issuer, notAfter, dnsNames, services, server, extra: buildExtra(record, MAPPED) }, warnings };
}
