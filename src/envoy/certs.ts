/** Certificates inside Envoy secrets: PEM extraction and the facts istioctl shows (via Node's X509). */
import { X509Certificate } from 'node:crypto';
import { FieldTypeError, field, fieldKey, isObj, str, type Obj } from './fields.js';
import { REDACTED } from './protojson.js';

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

/**
 * The PEM text of an Envoy DataSource (`inline_bytes` is base64 in JSON; `inline_string` is text); empty
 * when it has neither (a `filename`, an `environment_variable`). An inline field of the wrong type is
 * unusable input (FieldTypeError, exit 65, located by the dump) rather than read as empty.
 */
export function dataSourceText(ds: unknown): string {
  // whether the DataSource itself is an object is checked where it is read (`objField`)
  if (!isObj(ds)) return '';
  for (const name of ['inline_bytes', 'inline_string']) {
    const v = field(ds, name);
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw new FieldTypeError(ds, fieldKey(ds, name), undefined, 'a string', v);
  }
  const bytes = str(ds, 'inline_bytes');
  if (bytes) return Buffer.from(bytes, 'base64').toString('utf8');
  return str(ds, 'inline_string');
}

/**
 * An object field of a secret (`tls_certificate`, `certificate_chain`, `validation_context`, …): undefined
 * when absent or null (or when `o` is no object), a FieldTypeError (exit 65) when it is something else
 * than an object.
 */
export function objField(o: unknown, name: string): Obj | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new FieldTypeError(o as Obj, fieldKey(o, name), undefined, 'an object', v);
  return v;
}

/**
 * Where a DataSource without inline data points (`file /etc/certs/cert-chain.pem`, `environment variable
 * X`), or empty: such data is on the proxy, not in its config dump.
 */
export function dataSourceElsewhere(ds: Obj | undefined): string {
  const file = str(ds, 'filename');
  if (file) return `the file ${file} on the proxy`;
  const env = str(ds, 'environment_variable');
  if (env) return `the environment variable ${env} of the proxy`;
  return '';
}

/** Every PEM block of type CERTIFICATE, as DER. */
export function pemCertificates(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1] === 'CERTIFICATE') out.push(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

/**
 * Facts about the first certificate of a PEM text, or undefined when it is not a parsable certificate. As
 * istioctl, the first PEM block is the one described, except that a private key block before it (a
 * `tls.crt` holding the key and the chain) is skipped, as `mesh certs` skips it: both read the
 * certificates of such a chain.
 */
export function firstCertificate(text: string): CertInfo | undefined {
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (PRIVATE_KEY_TYPE.test(m[1]!)) continue;
    if (m[1] !== 'CERTIFICATE') return undefined;
    return describeCertificate(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return undefined;
}

const PRIVATE_KEY_TYPE = /PRIVATE KEY$/;

export function describeCertificate(der: Buffer): CertInfo | undefined {
  const c = inspectCertificate(der);
  return typeof c === 'string' ? undefined : c;
}

/**
 * Facts about a DER certificate, or why it cannot be read (a few words). A negative serial number is
 * refused, as Go's x509 (and so istioctl) refuses it: RFC 5280 wants a positive one.
 */
export function inspectCertificate(der: Buffer): CertInfo | string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return 'not a parsable X.509 certificate';
  }
  const hex = cert.serialNumber;
  if (hex.startsWith('-'))
    return `negative serial number -${hex.slice(1).toLowerCase()} (refused, as Go and istioctl refuse it)`;
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return 'unreadable serial number';
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime()))
    return 'unreadable validity dates';
  let sans: string[];
  try {
    sans = splitSans(cert.subjectAltName);
  } catch {
    return 'unreadable subject alternative names';
  }
  const spiffe = sans.filter((s) => s.startsWith('URI:spiffe://')).map((s) => s.slice(4));
  const last = spiffe[spiffe.length - 1];
  return {
    type: cert.ca ? 'CA' : 'Cert Chain',
    serial: BigInt(`0x${hex}`).toString(16).padStart(32, '0'),
    notBefore,
    notAfter,
    trustDomain: last ? spiffeHost(last) : '',
    sans,
    cert,
  };
}

/** What a certificate says as mesh's reports name it (`certs -o json`, `pc rootca-compare -o json`). */
export interface ReadCertificate {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  identities: string[];
  /** As X509Certificate's fingerprint256 writes it: upper-case hex pairs joined by colons. */
  sha256: string;
}

/** `inspectCertificate(der)` in the words of mesh's reports, or why it cannot be read. */
export function readCertificate(der: Buffer): ReadCertificate | string {
  const c = inspectCertificate(der);
  if (typeof c === 'string') return c;
  return {
    subject: (c.cert.subject ?? '').replace(/\n/g, ', '),
    issuer: (c.cert.issuer ?? '').replace(/\n/g, ', '),
    serial: c.serial,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    identities: c.sans.map((s) => s.replace(/^(URI|DNS|IP Address):/, '')),
    sha256: c.cert.fingerprint256,
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

/**
 * A private key PEM block (`-----BEGIN EC PRIVATE KEY-----` … its END line, or to the end of a text cut
 * short). Envoy redacts a secret's `private_key`, but a key put into the `certificate_chain` (a `tls.crt`
 * holding key and certificates) or anywhere else would be printed as it is.
 */
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g;

/**
 * `PRIVATE KEY` as text, or `PRIVATE KEY-----` base64-encoded at any of the three byte alignments: the
 * cheap test (one regular expression over the dump text, a few ms for 50 MB) that tells whether a dump
 * may hold a private key at all, before any of its values is looked at.
 */
const MAY_HOLD_KEY = (() => {
  const needle = 'PRIVATE KEY-----';
  const encoded = [0, 1, 2].map((a) => {
    const b64 = Buffer.concat([Buffer.alloc(a), Buffer.from(needle)]).toString('base64');
    // only the 4-character groups made of needle bytes alone
    return b64.slice(Math.ceil(a / 3) * 4, Math.floor((a + needle.length) / 3) * 4);
  });
  return new RegExp(['PRIVATE KEY', ...encoded].join('|'));
})();

export function mayHoldPrivateKey(text: string): boolean {
  return MAY_HOLD_KEY.test(text);
}

const BASE64 = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;

/**
 * The text with every private key block replaced by `[redacted]`, certificates kept; base64 text (a
 * DataSource's `inline_bytes`) whose bytes hold such a block is decoded, redacted and encoded again.
 * Returns the text itself when it holds no key.
 */
export function redactPrivateKeys(text: string): string {
  if (!MAY_HOLD_KEY.test(text)) return text;
  if (text.includes('PRIVATE KEY')) {
    PRIVATE_KEY_BLOCK.lastIndex = 0;
    return text.replace(PRIVATE_KEY_BLOCK, REDACTED);
  }
  if (!BASE64.test(text.replace(/[\r\n]/g, ''))) return text;
  const decoded = Buffer.from(text, 'base64').toString('latin1');
  if (!decoded.includes('PRIVATE KEY')) return text;
  return Buffer.from(decoded.replace(PRIVATE_KEY_BLOCK, REDACTED), 'latin1').toString('base64');
}

/**
 * Redacts private key blocks in every string of a parsed value, in place (objects keep their identity,
 * so errors can still say where a field is). Map keys are left alone. Iterative: a dump nested deeper than
 * the stack is deep is refused later, where it is walked, with its line and column.
 */
export function redactPrivateKeysIn(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const o = stack.pop();
    if (typeof o !== 'object' || o === null) continue;
    const holder = o as Record<string, unknown>;
    for (const k of Array.isArray(o) ? o.keys() : Object.keys(o)) {
      const v = holder[k];
      if (typeof v === 'string') {
        const r = redactPrivateKeys(v);
        if (r !== v) holder[k] = r;
      } else if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
}

/** The certificates of PEM text that parse, each described (blocks that do not parse are left out). */
export function pemCertificateInfos(pem: string): CertInfo[] {
  return pemCertificates(pem)
    .map(describeCertificate)
    .filter((c): c is CertInfo => c !== undefined);
}
