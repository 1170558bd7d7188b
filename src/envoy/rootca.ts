/** `proxy-config rootca-compare`: do two proxies trust a common root certificate? */
import { createHash } from 'node:crypto';
import { MeshError } from '../util/errors.js';
import { pemCertificates, readCertificate, rfc3339 } from './certs.js';
import { REDACTED } from './protojson.js';
import type { ConfigDump } from './dump.js';
import { secretRoots } from './secrets.js';

/**
 * What only rootca-compare finds wrong with a dump (no `ROOTCA`, no certificate in it): unlike the dump's own
 * errors, which name their input, it does not say which proxy it is about; proxyRootCas adds that.
 */
export class RootsError extends MeshError {}

/**
 * The root certificates (DER) of the active `ROOTCA` secret: its trusted CA bundle, or the SPIFFE
 * trust bundles when roots are given per trust domain. The inline bytes are decoded once.
 */
export function rootCaCertificates(dump: ConfigDump): Buffer[] {
  const secret = dump.secrets().find((s) => s.state === 'ACTIVE' && s.name === 'ROOTCA');
  if (!secret) throw new RootsError('the proxy has no active ROOTCA secret');
  if (secret.noSecret) throw secret.noSecret;
  return parseRoots(
    secretRoots(secret.value)
      .map((r) => r.pem)
      .join('\n'),
  );
}

/**
 * Every certificate of a PEM bundle; none at all is an error quoting the data as istioctl does, except a
 * private key put where the roots belong: that is named, never shown.
 */
export function parseRoots(pem: string): Buffer[] {
  const certs = pemCertificates(pem);
  if (certs.length > 0) return certs;
  const data = pem.trim();
  throw new RootsError(
    `failed to parse certificates: ${/PRIVATE KEY/.test(data) || data.includes(REDACTED) ? 'the ROOTCA secret holds a private key (not shown), not a certificate' : data.slice(0, 200)}`,
  );
}

/** True when any certificate of one bundle is byte-identical (DER) to one of the other. */
export function rootCasMatch(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.some((x) => b.some((y) => x.equals(y)));
}

/** A root certificate as `rootca-compare -o json|yaml` shows it (the fields `certs -o json` names so). */
export interface RootFacts {
  subject: string;
  serial: string;
  notAfter: string;
  sha256: string;
}

/** The facts of a root (DER); its fingerprint and why not the rest when it does not parse. */
export function rootFacts(der: Buffer): RootFacts | { sha256: string; error: string } {
  const c = readCertificate(der);
  if (typeof c === 'string') {
    // as X509Certificate's fingerprint256 writes it
    const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
    return { sha256: hex.match(/../g)!.join(':'), error: c };
  }
  return { subject: c.subject, serial: c.serial, notAfter: rfc3339(c.notAfter), sha256: c.sha256 };
}

/** One proxy's roots, and its name in messages (the source's label). */
export interface ProxyRoots {
  label: string;
  roots: Buffer[];
}

/** The roots of a proxy's dump (rootCaCertificates); no usable roots is an error naming the proxy. */
export function proxyRootCas(dump: ConfigDump, label: string): Buffer[] {
  try {
    return rootCaCertificates(dump);
  } catch (err) {
    // which of the two proxies holds no usable roots (the dump's own errors already name it)
    if (err instanceof RootsError) throw new MeshError(`${label}: ${err.message}`, err);
    throw err;
  }
}

/** `rootca-compare -o json|yaml`: each proxy's roots, and whether they share one. */
export function rootCaReport(proxies: readonly ProxyRoots[], same: boolean): object {
  return {
    apiVersion: 'mesh/v1',
    kind: 'RootCaComparison',
    proxies: proxies.map((p) => ({ proxy: p.label, roots: p.roots.map(rootFacts) })),
    sameRoot: same,
  };
}

/** `rootca-compare`'s answer in a line: whether mTLS between the two proxies can work. */
export function rootCaVerdict(proxies: readonly ProxyRoots[], same: boolean): string {
  const [a, b] = proxies.map((p) => p.label);
  return same
    ? `Both [${a}] and [${b}] trust the same root CA (ROOTCA): mTLS between them can work`
    : `Both [${a}] and [${b}] trust different root CAs (ROOTCA): mTLS between them will fail`;
}
