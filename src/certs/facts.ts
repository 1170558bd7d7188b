/**
 * Certificate facts of one proxy, from the SDS secrets of its config dump: every certificate of each
 * active secret's chain (leaf first, then the CA certificates sent with it) and every trusted root (the validation
 * context's CA bundle, or the per-trust-domain bundles of a SPIFFE validator), with an expiry status
 * relative to `now` and the warning window. A proxy without a usable workload certificate or without
 * trusted roots gets a MISSING fact saying why; certificate data that cannot be read an INVALID one.
 */
import { pemCertificates, readCertificate, rfc3339, type ReadCertificate } from '../envoy/certs.js';
import { REDACTED } from '../envoy/protojson.js';
import type { ConfigDump, SecretResource } from '../envoy/dump.js';
import { FieldTypeError } from '../envoy/fields.js';
import { pathTo, renderPath } from '../envoy/locate.js';
import { secretChain, secretRoots, type PemData } from '../envoy/secrets.js';

/** `chain`: a CA certificate sent along with the leaf (intermediate, or the root appended to the chain). */
export type CertKind = 'leaf' | 'chain' | 'root';
/**
 * `INVALID`: certificate data that cannot be read (no certificate in it, a negative serial number, data
 * given as a file on the proxy) or a certificate valid at no time (notBefore after notAfter); `MISSING`: no active workload certificate, or no trusted root, at all.
 */
export type CertStatus = 'OK' | 'EXPIRING' | 'EXPIRED' | 'NOT YET VALID' | 'INVALID' | 'MISSING';

export interface CertFact {
  /** SDS secret name (`default`, `ROOTCA`, `kubernetes://…`). */
  secret: string;
  kind: CertKind;
  /** For SPIFFE trust bundles: the trust domain the root belongs to. */
  trustDomain?: string;
  subject: string;
  issuer: string;
  /** Lowercase hex, at least 32 digits (as istioctl prints serials). */
  serial: string;
  notBefore: string;
  notAfter: string;
  /** Seconds from now to NotAfter (negative once expired). */
  expiresInSeconds: number;
  /** URI SANs (SPIFFE identities) and DNS names. */
  identities: string[];
  /** SHA-256 fingerprint of the DER (colon-separated hex), to compare roots across proxies. */
  sha256: string;
  status: CertStatus;
  /** Why it is INVALID or MISSING, in a few words (absent otherwise). */
  reason?: string;
}

/** Expiry status of a certificate at `now` with a warning window of `warnMs`. */
export function certStatus(notBefore: Date, notAfter: Date, now: Date, warnMs: number): CertStatus {
  if (now.getTime() < notBefore.getTime()) return 'NOT YET VALID';
  if (now.getTime() >= notAfter.getTime()) return 'EXPIRED';
  if (notAfter.getTime() - now.getTime() <= warnMs) return 'EXPIRING';
  return 'OK';
}

function problem(
  status: 'INVALID' | 'MISSING',
  secret: string,
  kind: CertKind,
  reason: string,
  trustDomain?: string,
): CertFact {
  return {
    secret,
    kind,
    trustDomain,
    subject: '',
    issuer: '',
    serial: '',
    notBefore: '',
    notAfter: '',
    expiresInSeconds: 0,
    identities: [],
    sha256: '',
    status,
    reason,
  };
}

/** Why PEM text holds no certificate. */
function noCertificate(pem: string): string {
  if (/PRIVATE KEY/.test(pem) || pem.includes(REDACTED)) return 'a private key (not shown), no certificate';
  if (/-----BEGIN /.test(pem)) return 'no CERTIFICATE block in the PEM data';
  return 'no PEM certificate in the data';
}

function factsOf(
  data: PemData,
  secret: string,
  kindOf: (index: number) => CertKind,
  now: Date,
  warnMs: number,
  trustDomain?: string,
): CertFact[] {
  if (!data.pem) {
    const reason = data.elsewhere ? `read from ${data.elsewhere}, not in the dump` : 'no certificate data';
    return [problem('INVALID', secret, kindOf(0), reason, trustDomain)];
  }
  const certs = certificatesOf(data.pem);
  if (certs.length === 0)
    return [problem('INVALID', secret, kindOf(0), noCertificate(data.pem), trustDomain)];
  return certs.map((c, i): CertFact => {
    if (typeof c === 'string') return problem('INVALID', secret, kindOf(i), c, trustDomain);
    // a validity period that ends before it starts: no TLS peer accepts the certificate at any time
    const never = c.notBefore.getTime() > c.notAfter.getTime();
    return {
      secret,
      kind: kindOf(i),
      trustDomain,
      subject: c.subject,
      issuer: c.issuer,
      serial: c.serial,
      notBefore: rfc3339(c.notBefore),
      notAfter: rfc3339(c.notAfter),
      expiresInSeconds: Math.floor((c.notAfter.getTime() - now.getTime()) / 1000),
      identities: c.identities,
      sha256: c.sha256,
      status: never ? 'INVALID' : certStatus(c.notBefore, c.notAfter, now, warnMs),
      ...(never
        ? {
            reason: `notBefore ${rfc3339(c.notBefore)} is after notAfter ${rfc3339(c.notAfter)}: valid at no time`,
          }
        : {}),
    };
  });
}

/**
 * The certificates of a PEM text, each read or why not, remembered by the text: the replicas of a gateway
 * hold the same certificates (a credential per tenant: 50 replicas of 10,000 each were 500,000 X.509
 * parses of 10,000 certificates, ≈ 0.1 ms each). At most `PEM_MEMO` texts are remembered.
 */
function certificatesOf(pem: string): ReadonlyArray<ReadCertificate | string> {
  let certs = readPems.get(pem);
  if (certs === undefined) {
    certs = pemCertificates(pem).map(readCertificate);
    if (readPems.size >= PEM_MEMO) readPems.clear();
    readPems.set(pem, certs);
  }
  return certs;
}

const PEM_MEMO = 100_000;
const readPems = new Map<string, ReadonlyArray<ReadCertificate | string>>();

/**
 * `read(secret)`, or the field of the wrong type it met as a reason (`tls_certificate must be an
 * object`): one secret of the wrong shape is an INVALID row of its proxy, the other secrets still read.
 */
function shaped<T>(s: SecretResource, read: (secret: SecretResource['value']) => T): T | string {
  try {
    return read(s.value);
  } catch (err) {
    if (!(err instanceof FieldTypeError)) throw err;
    const at = pathTo(s.value, err.holder) ?? [];
    const tail = err.index === undefined ? [err.key] : [err.key, err.index];
    return `${renderPath([...at, ...tail])} must be ${err.expected}`;
  }
}

/**
 * Facts for the active secrets of a dump (its SecretsConfigDump section is required), then a MISSING fact
 * when no active secret gave a workload certificate (leaf) or a trusted root, each with the reason.
 */
export function certFacts(dump: ConfigDump, now: Date, warnMs: number): CertFact[] {
  const out: CertFact[] = [];
  const secrets = dump.secrets();
  for (const s of secrets) {
    if (s.state !== 'ACTIVE' || s.noSecret) continue;
    const chain = shaped(s, secretChain);
    if (typeof chain === 'string') out.push(problem('INVALID', s.name, 'leaf', chain));
    else if (chain) out.push(...factsOf(chain, s.name, (i) => (i === 0 ? 'leaf' : 'chain'), now, warnMs));
    const roots = shaped(s, secretRoots);
    if (typeof roots === 'string') out.push(problem('INVALID', s.name, 'root', roots));
    else
      for (const r of roots)
        out.push(...factsOf(r, s.name, () => 'root', now, warnMs, r.trustDomain || undefined));
  }
  if (!out.some((f) => f.kind === 'leaf'))
    out.push(
      problem(
        'MISSING',
        'default',
        'leaf',
        missingReason(secrets, 'default', secretChain, 'workload certificate'),
      ),
    );
  if (!out.some((f) => f.kind === 'root'))
    out.push(
      problem('MISSING', 'ROOTCA', 'root', missingReason(secrets, 'ROOTCA', secretRoots, 'trusted root')),
    );
  return out;
}

/**
 * Why a proxy has no active secret with a workload certificate (or trusted roots): the entry named
 * `name` has no secret, a secret that would give one is still warming (Envoy does not use it yet), or
 * there is none at all.
 */
function missingReason(
  secrets: readonly SecretResource[],
  name: string,
  read: (secret: SecretResource['value']) => unknown,
  what: string,
): string {
  const gives = (s: SecretResource) => {
    const v = shaped(s, read);
    return typeof v !== 'string' && v !== undefined && !(Array.isArray(v) && v.length === 0);
  };
  const empty = secrets.find((s) => s.state === 'ACTIVE' && s.noSecret && s.name === name);
  if (empty) return `the active entry ${name} has no secret`;
  const warming = secrets.find((s) => s.state === 'WARMING' && !s.noSecret && gives(s));
  if (warming) return `secret ${warming.name} is still warming (not in use)`;
  return `no active secret with a ${what}`;
}
