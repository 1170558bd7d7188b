/**
 * `mesh check`'s certificate checks, read from the cluster without touching any proxy: the root that
 * istiod publishes (ConfigMap `istio-ca-root-cert` in the control plane's namespace), the CA certificate it
 * signs with (Secret `cacerts` when a CA is plugged in, else istiod's self-signed `istio-ca-secret`), and
 * whether every namespace's copy of the root is the same one. Only certificate keys of the Secrets are
 * used; private keys are never read into a result or printed.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { pemCertificateInfos, pemCertificates, rfc3339, type CertInfo } from '../envoy/certs.js';
import { fail, ok, warnR, type CheckResult } from '../kube/health.js';
import { ApiError, apiErrorNaming, type KubeRest } from '../kube/rest.js';
import { formatRemaining } from './report.js';

const GROUP = 'Certificates';
export const ROOT_CONFIGMAP = 'istio-ca-root-cert';
const ROOT_KEY = 'root-cert.pem';
/** Where istiod finds its signing CA: a plugged-in CA first, then the one it made itself. */
const CA_SECRETS = [
  { name: 'cacerts', cert: 'ca-cert.pem', root: 'root-cert.pem' },
  { name: 'istio-ca-secret', cert: 'ca-cert.pem', root: 'ca-cert.pem' },
] as const;

export interface TrustCheckOptions {
  istioNamespace: string;
  /** Certificates expiring within this window are warned about. */
  warnMs: number;
  now: Date;
}

export async function trustChecks(rest: KubeRest, o: TrustCheckOptions): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const ns = o.istioNamespace;
  const rootText = await readKey(rest, 'configmaps', ns, ROOT_CONFIGMAP, ROOT_KEY, out);
  if (rootText === null) return out; // could not read: already reported
  if (rootText === undefined) {
    out.push(
      warnR(
        GROUP,
        `no ConfigMap ${ns}/${ROOT_CONFIGMAP}: the root proxies trust is unknown`,
        'istiod publishes it when it runs as the CA; is istiod running, or is an external CA in use?',
      ),
    );
    return out;
  }
  const roots = pemCertificateInfos(rootText);
  if (roots.length === 0) {
    out.push(
      fail(GROUP, `${ns}/${ROOT_CONFIGMAP} holds no parsable certificate`, 'restart istiod to rewrite it'),
    );
    return out;
  }
  for (const c of roots) out.push(validity(`root certificate ${subjectOf(c)}`, c, o));

  out.push(...(await signingCa(rest, o, roots)));
  out.push(...(await rootCopies(rest, ns, rootText)));
  return out;
}

/** The CA istiod signs with: its validity, and whether it chains to a root the proxies trust. */
async function signingCa(rest: KubeRest, o: TrustCheckOptions, roots: CertInfo[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const s of CA_SECRETS) {
    const certText = await readKey(rest, 'secrets', o.istioNamespace, s.name, s.cert, out);
    if (certText === null) return out;
    if (certText === undefined) continue;
    const [ca] = pemCertificateInfos(certText);
    const where = `Secret ${o.istioNamespace}/${s.name}`;
    if (!ca) {
      out.push(
        fail(GROUP, `${where}: ${s.cert} is not a certificate`, 'istiod cannot sign workload certificates'),
      );
      return out;
    }
    out.push(validity(`signing CA ${subjectOf(ca)} (${where})`, ca, o));
    const rootText =
      s.root === s.cert ? certText : await readKey(rest, 'secrets', o.istioNamespace, s.name, s.root, out);
    if (rootText === null) return out;
    const caRoots = rootText ? pemCertificateInfos(rootText) : [];
    if (s.root !== s.cert && caRoots.length > 0) {
      const chainText = await readKey(rest, 'secrets', o.istioNamespace, s.name, 'cert-chain.pem', out);
      if (chainText === null) return out;
      out.push(...pluggedChain(where, ca, caRoots, chainText ? pemCertificateInfos(chainText) : []));
    }
    const trusted = new Set(roots.map(fingerprint));
    if (caRoots.length > 0 && !caRoots.some((r) => trusted.has(fingerprint(r))))
      out.push(
        fail(
          GROUP,
          `the root of ${where} is not in ${o.istioNamespace}/${ROOT_CONFIGMAP}: proxies will not trust newly signed certificates`,
          'istiod rewrites the ConfigMap when it starts; restart istiod after changing cacerts',
        ),
      );
    return out;
  }
  out.push(
    warnR(
      GROUP,
      `no CA Secret (cacerts or istio-ca-secret) in ${o.istioNamespace}: the signing CA is not checked`,
      'an external CA (e.g. cert-manager istio-csr) signs the workloads; check it with its own tools',
    ),
  );
  return out;
}

/** `c` was issued and signed by `issuer` (its issuer name and signature match). */
function signedBy(c: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return c.checkIssued(issuer) && c.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** `c` leads to one of `roots`, through the certificates of `chain` where needed. */
function chainsTo(c: X509Certificate, chain: readonly X509Certificate[], roots: readonly X509Certificate[]) {
  let at = c;
  for (let i = 0; i <= chain.length; i++) {
    if (roots.some((r) => signedBy(at, r))) return true;
    const next = chain.find((x) => x.fingerprint256 !== at.fingerprint256 && signedBy(at, x));
    if (!next) return false;
    at = next;
  }
  return false;
}

/**
 * A plugged-in CA (Istio's plug-in CA docs): ca-cert.pem signed by root-cert.pem (directly, or through the
 * intermediates of cert-chain.pem), and every certificate of cert-chain.pem leading to root-cert.pem.
 * istiod signs workload certificates with ca-cert.pem and sends cert-chain.pem with them: a break makes
 * them fail verification against the root proxies trust.
 */
function pluggedChain(where: string, ca: CertInfo, roots: CertInfo[], chain: CertInfo[]): CheckResult[] {
  const rootCerts = roots.map((r) => r.cert);
  const chainCerts = chain.map((c) => c.cert);
  const rootNames = roots.map(subjectOf).join('; ');
  const hint =
    'plug in a ca-cert.pem signed by root-cert.pem, with cert-chain.pem from ca-cert.pem up to that root (Istio plug-in CA), then restart istiod';
  if (!chainsTo(ca.cert, chainCerts, rootCerts))
    return [
      fail(
        GROUP,
        `${where}: ca-cert.pem (${subjectOf(ca)}) is not signed by root-cert.pem (${rootNames}): workload certificates istiod signs do not verify against that root`,
        hint,
      ),
    ];
  const broken = chain.find(
    (c) =>
      !chainsTo(c.cert, chainCerts, rootCerts) &&
      !rootCerts.some((r) => r.fingerprint256 === c.cert.fingerprint256),
  );
  if (broken)
    return [
      fail(
        GROUP,
        `${where}: cert-chain.pem does not lead to root-cert.pem (${rootNames}): ${subjectOf(broken)} is not signed by it or by the next certificate of the chain`,
        hint,
      ),
    ];
  return [];
}

/** Every namespace's copy of the root must be the control plane's: another root breaks mTLS there. */
async function rootCopies(rest: KubeRest, istioNamespace: string, rootText: string): Promise<CheckResult[]> {
  let items: any[];
  try {
    const res = await rest.call(
      'GET',
      `/api/v1/configmaps?fieldSelector=${encodeURIComponent(`metadata.name=${ROOT_CONFIGMAP}`)}`,
    );
    items = res.items ?? [];
  } catch (err) {
    if (err instanceof ApiError)
      return [
        warnR(
          GROUP,
          `cannot list ${ROOT_CONFIGMAP} ConfigMaps: ${err.message}`,
          'root copies are not compared',
        ),
      ];
    throw err;
  }
  const want = rootSet(rootText);
  const differing = items
    .filter((cm) => cm.metadata?.namespace !== istioNamespace)
    .filter((cm) => rootSet(String(cm.data?.[ROOT_KEY] ?? '')) !== want)
    .map((cm) => String(cm.metadata.namespace))
    .sort();
  const others = items.filter((cm) => cm.metadata?.namespace !== istioNamespace).length;
  if (differing.length === 0)
    return [
      ok(
        GROUP,
        others === 0
          ? `no namespace but ${istioNamespace} has ${ROOT_CONFIGMAP} yet: no copy of the root to compare`
          : `all ${others} other namespace(s) with ${ROOT_CONFIGMAP} trust the same root as ${istioNamespace}`,
      ),
    ];
  return differing.map((ns) =>
    fail(
      GROUP,
      `namespace ${ns} trusts another root than ${istioNamespace} (${ROOT_CONFIGMAP} differs): its proxies fail mTLS with the rest`,
      'another istiod (revision or cluster) writes it; check which control plane owns the namespace',
    ),
  );
}

/**
 * One key of a ConfigMap or Secret (Secret values base64-decoded), undefined when the object or key is
 * absent, null when it cannot be read (reported into `out`).
 */
async function readKey(
  rest: KubeRest,
  plural: 'configmaps' | 'secrets',
  namespace: string,
  name: string,
  key: string,
  out: CheckResult[],
): Promise<string | undefined | null> {
  const res = await rest.request('GET', `/api/v1/namespaces/${namespace}/${plural}/${name}`);
  if (res.status === 404) return undefined;
  if (res.status >= 400) {
    // as every refused read of check (README): × cannot check …: <the server's message>
    const ref = `${plural === 'secrets' ? 'Secret' : 'ConfigMap'}/${namespace}/${name}`;
    const message = apiErrorNaming(res, `GET ${ref}`, name).message;
    out.push(
      fail(
        GROUP,
        `cannot check the certificates in ${ref}: ${message}`,
        res.status === 403 ? 'the user lacks read access for this check' : undefined,
      ),
    );
    return null;
  }
  const value = res.body?.data?.[key];
  if (typeof value !== 'string') return undefined;
  return plural === 'secrets' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

function validity(what: string, c: CertInfo, o: TrustCheckOptions): CheckResult {
  const left = Math.floor((c.notAfter.getTime() - o.now.getTime()) / 1000);
  if (o.now.getTime() < c.notBefore.getTime())
    return fail(GROUP, `${what} is not valid before ${rfc3339(c.notBefore)}`, 'check the clocks and the CA');
  if (left <= 0)
    return fail(
      GROUP,
      `${what} expired ${rfc3339(c.notAfter)}`,
      'rotate the CA (plug in new cacerts, or delete istio-ca-secret and restart istiod), then restart the workloads',
    );
  if (left * 1000 <= o.warnMs)
    return warnR(
      GROUP,
      `${what} expires ${rfc3339(c.notAfter)} (in ${formatRemaining(left)})`,
      'rotate it before then; workloads renew their certificates from the new CA',
    );
  return ok(GROUP, `${what} valid until ${rfc3339(c.notAfter)} (${formatRemaining(left)})`);
}

function subjectOf(c: CertInfo): string {
  return c.cert.subject.replace(/\n/g, ', ') || '(empty subject)';
}

function fingerprint(c: CertInfo): string {
  return c.cert.fingerprint256;
}

/** The set of certificates in a PEM text, order-independent, as one comparable string. */
function rootSet(pem: string): string {
  return pemCertificates(pem)
    .map((der) => createHash('sha256').update(der).digest('hex'))
    .sort()
    .join(',');
}
