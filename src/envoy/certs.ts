/** Certificates inside Envoy secrets: PEM extraction and the facts istioctl shows (via Node's X509). */
import { X509Certificate } from 'node:crypto';
import { str } from './fields.js';

export interface CertInfo {
  /** `CA` when basicConstraints says so, else `Cert Chain`. */
  type: 'CA' | 'Cert Chain';
  /** Lowercase hex, zero-padded to at least 32 digits. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** Host of the last `spiffe://` URI SAN; empty when there is none or it is no URL. */
  trustDomain: string;
  sans: string[];
  cert: X509Certificate;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** The PEM text of an Envoy DataSource (`inline_bytes` is base64 in JSON; `inline_string` is text). */
export function dataSourceText(ds: unknown): string {
  const bytes = str(ds, 'inline_bytes');
  if (bytes) return Buffer.from(bytes, 'base64').toString('utf8');
  return str(ds, 'inline_string');
}

/** Every PEM block of type CERTIFICATE, as DER. */
export function pemCertificates(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1] === 'CERTIFICATE') out.push(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

/** Facts about the first PEM block (as istioctl does), or undefined when it is not a parsable certificate. */
export function firstCertificate(text: string): CertInfo | undefined {
  PEM_BLOCK.lastIndex = 0;
  const m = PEM_BLOCK.exec(text);
  PEM_BLOCK.lastIndex = 0;
  if (!m || m[1] !== 'CERTIFICATE') return undefined;
  return describeCertificate(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
}

export function describeCertificate(der: Buffer): CertInfo | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return undefined;
  }
  const sans = splitSans(cert.subjectAltName);
  const spiffe = sans.filter((s) => s.startsWith('URI:spiffe://')).map((s) => s.slice(4));
  const last = spiffe[spiffe.length - 1];
  return {
    type: cert.ca ? 'CA' : 'Cert Chain',
    serial: BigInt(`0x${cert.serialNumber}`).toString(16).padStart(32, '0'),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    trustDomain: last ? spiffeHost(last) : '',
    sans,
    cert,
  };
}

/**
 * The host of a SPIFFE URI, or empty when it does not parse as a URL (`spiffe://bad host/ns/x`): a SAN
 * holds whatever the CA wrote, and one odd certificate must not hide the others.
 */
function spiffeHost(uri: string): string {
  return URL.canParse(uri) ? new URL(uri).host : '';
}

/** Node prints SANs as `URI:a, DNS:b`; values containing commas are JSON-quoted. */
function splitSans(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  const re = /\s*([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/g;
  for (const m of text.matchAll(re)) {
    if (m[0].trim() === '') continue;
    const value = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    out.push(`${m[1]!.trim()}:${value}`);
  }
  return out;
}

/** Go's RFC 3339 rendering of a UTC time, without fractional seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** True when now is strictly between NotBefore and NotAfter. */
export function certValidAt(c: CertInfo, now: Date): boolean {
  return now.getTime() > c.notBefore.getTime() && now.getTime() < c.notAfter.getTime();
}
