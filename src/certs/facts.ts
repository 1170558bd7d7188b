/**
 * Certificate facts of one proxy, from the SDS secrets of its config dump: every certificate of each
 * active secret's chain (leaf first, then the CA certificates sent with it) and every trusted root (the validation
 * context's CA bundle, or the per-trust-domain bundles of a SPIFFE validator), with an expiry status
 * relative to `now` and the warning window.
 */
import { dataSourceText, describeCertificate, pemCertificates, rfc3339 } from '../envoy/certs.js';
import type { ConfigDump } from '../envoy/dump.js';
import { arr, obj, path, str, typeUrl } from '../envoy/fields.js';

/** `chain`: a CA certificate sent along with the leaf (intermediate, or the root appended to the chain). */
export type CertKind = 'leaf' | 'chain' | 'root';
export type CertStatus = 'OK' | 'EXPIRING' | 'EXPIRED' | 'NOT YET VALID' | 'INVALID';

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
}

const SPIFFE_VALIDATOR =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig';

/** Expiry status of a certificate at `now` with a warning window of `warnMs`. */
export function certStatus(notBefore: Date, notAfter: Date, now: Date, warnMs: number): CertStatus {
  if (now.getTime() < notBefore.getTime()) return 'NOT YET VALID';
  if (now.getTime() >= notAfter.getTime()) return 'EXPIRED';
  if (notAfter.getTime() - now.getTime() <= warnMs) return 'EXPIRING';
  return 'OK';
}

function invalid(secret: string, kind: CertKind, trustDomain?: string): CertFact {
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
    status: 'INVALID',
  };
}

function factsOf(
  pem: string,
  secret: string,
  kindOf: (index: number) => CertKind,
  now: Date,
  warnMs: number,
  trustDomain?: string,
): CertFact[] {
  const ders = pemCertificates(pem);
  if (ders.length === 0) return [invalid(secret, kindOf(0), trustDomain)];
  return ders.map((der, i): CertFact => {
    const c = describeCertificate(der);
    if (!c) return invalid(secret, kindOf(i), trustDomain);
    return {
      secret,
      kind: kindOf(i),
      trustDomain,
      subject: (c.cert.subject ?? '').replace(/\n/g, ', '),
      issuer: (c.cert.issuer ?? '').replace(/\n/g, ', '),
      serial: c.serial,
      notBefore: rfc3339(c.notBefore),
      notAfter: rfc3339(c.notAfter),
      expiresInSeconds: Math.floor((c.notAfter.getTime() - now.getTime()) / 1000),
      identities: c.sans.map((s) => s.replace(/^(URI|DNS|IP Address):/, '')),
      sha256: c.cert.fingerprint256,
      status: certStatus(c.notBefore, c.notAfter, now, warnMs),
    };
  });
}

/** Facts for the active secrets of a dump (its SecretsConfigDump section is required). */
export function certFacts(dump: ConfigDump, now: Date, warnMs: number): CertFact[] {
  const out: CertFact[] = [];
  for (const s of dump.secrets()) {
    if (s.state !== 'ACTIVE') continue;
    const chain = dataSourceText(path(s.value, 'tls_certificate', 'certificate_chain'));
    if (chain) out.push(...factsOf(chain, s.name, (i) => (i === 0 ? 'leaf' : 'chain'), now, warnMs));
    const vc = obj(s.value, 'validation_context');
    const ca = dataSourceText(obj(vc, 'trusted_ca'));
    if (ca) out.push(...factsOf(ca, s.name, () => 'root', now, warnMs));
    const validator = obj(obj(vc, 'custom_validator_config'), 'typed_config');
    if (typeUrl(validator) === SPIFFE_VALIDATOR)
      for (const td of arr(validator, 'trust_domains'))
        out.push(
          ...factsOf(
            dataSourceText(obj(td, 'trust_bundle')),
            s.name,
            () => 'root',
            now,
            warnMs,
            str(td, 'name'),
          ),
        );
  }
  return out;
}
