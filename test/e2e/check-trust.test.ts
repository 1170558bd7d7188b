// `mesh check`'s certificate group against a real kube-apiserver holding CA objects made with openssl:
// an expiring root, a plugged-in CA whose root proxies do not trust, a namespace with another root, an
// expired root, and no root at all. (The happy path against the CA the real istiod makes is in
// proxy-status.test.ts.) Private keys sit in the Secrets, as they do in a cluster, and are never printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeCa, makeWorkloadCert } from '../support/certs.js';
import { clientsFor, type Clients } from './support/kube.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let tb: Testbed;
let c: Clients;
const NS = 'istio-system';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const root = makeCa('cluster.local', { fromDays: -300, toDays: 5 }, '11');
const otherRoot = makeCa('other.example', { fromDays: -1, toDays: 3650 }, '22');
const expired = makeCa('cluster.local', { fromDays: -400, toDays: -2 }, '33');

async function setRoot(namespace: string, pem: string) {
  await c.core.deleteNamespacedConfigMap({ name: 'istio-ca-root-cert', namespace }).catch(() => undefined);
  await c.core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'istio-ca-root-cert' }, data: { 'root-cert.pem': pem } },
  });
}

async function check() {
  const r = await runCli(['check', '--kubeconfig', tb.kubeconfig, '--skip-proxies', '--cert-warn', '30d']);
  const lines = r.stdout.split('\n');
  const start = lines.indexOf('Certificates');
  const end = lines.indexOf('', start);
  return { ...r, certificates: lines.slice(start + 2, end) };
}

describe('mesh check: the CA and the roots namespaces trust', () => {
  beforeAll(async () => {
    tb = await startTestbed();
    c = clientsFor(tb.kubeconfig);
    for (const name of [NS, 'team-a', 'team-b'])
      await c.core.createNamespace({ body: { metadata: { name } } }).catch(() => undefined);
  });
  afterAll(async () => {
    await tb?.stop();
  });

  it('no root published: one warning and nothing else to compare', async () => {
    const r = await check();
    expect(r.certificates).toEqual([
      '‼ no ConfigMap istio-system/istio-ca-root-cert: the root proxies trust is unknown',
      '    hint: istiod publishes it when it runs as the CA; is istiod running, or is an external CA in use?',
    ]);
  });

  it('an expiring root, a plugged-in CA signed by another root, a namespace trusting another root', async () => {
    await setRoot(NS, root.certPem);
    await setRoot('team-a', otherRoot.certPem);
    await setRoot('team-b', root.certPem);
    await c.core.createNamespacedSecret({
      namespace: NS,
      body: {
        metadata: { name: 'cacerts' },
        data: {
          'ca-cert.pem': b64(otherRoot.certPem),
          'ca-key.pem': b64(otherRoot.keyPem),
          'root-cert.pem': b64(otherRoot.certPem),
          'cert-chain.pem': b64(otherRoot.certPem),
        },
      },
    });
    const r = await check();
    expect(r.code).toBe(79);
    expect(r.certificates).toEqual([
      expect.stringMatching(/^‼ root certificate O=cluster\.local expires \S+Z \(in 4d23h\d*m?\)$/),
      '    hint: rotate it before then; workloads renew their certificates from the new CA',
      expect.stringMatching(
        /^✓ signing CA O=other\.example \(Secret istio-system\/cacerts\) valid until \S+Z \(\d+d\)$/,
      ),
      '× the root of Secret istio-system/cacerts is not in istio-system/istio-ca-root-cert: proxies will not trust newly signed certificates',
      '    hint: istiod rewrites the ConfigMap when it starts; restart istiod after changing cacerts',
      '× namespace team-a trusts another root than istio-system (istio-ca-root-cert differs): its proxies fail mTLS with the rest',
      '    hint: another istiod (revision or cluster) writes it; check which control plane owns the namespace',
    ]);
    const json = await runCli(['check', '--kubeconfig', tb.kubeconfig, '--skip-proxies', '-o', 'json']);
    for (const out of [r.stdout + r.stderr, json.stdout + json.stderr]) {
      expect(out).not.toContain('PRIVATE KEY');
      expect(out).not.toContain(b64(otherRoot.keyPem).slice(0, 40));
    }
  });

  it('an expired root is a failure naming the date, with how to rotate', async () => {
    await c.core.deleteNamespacedSecret({ name: 'cacerts', namespace: NS });
    await setRoot(NS, expired.certPem);
    await setRoot('team-a', expired.certPem);
    await setRoot('team-b', expired.certPem);
    const r = await check();
    expect(r.certificates).toEqual([
      expect.stringMatching(/^× root certificate O=cluster\.local expired \S+Z$/),
      '    hint: rotate the CA (plug in new cacerts, or delete istio-ca-secret and restart istiod), then restart the workloads',
      '‼ no CA Secret (cacerts or istio-ca-secret) in istio-system: the signing CA is not checked',
      '    hint: an external CA (e.g. cert-manager istio-csr) signs the workloads; check it with its own tools',
      '✓ all 2 other namespace(s) with istio-ca-root-cert trust the same root as istio-system',
    ]);
  });

  it('a plugged-in CA whose ca-cert.pem or cert-chain.pem is not signed by its root-cert.pem is a failure', async () => {
    await setRoot(NS, root.certPem);
    for (const namespace of ['team-a', 'team-b'])
      await c.core.deleteNamespacedConfigMap({ name: 'istio-ca-root-cert', namespace });
    const intermediate = makeCa('intermediate.example', { fromDays: -1, toDays: 365 }, '44');
    const cacerts = (ca: string, chain: string) =>
      c.core.createNamespacedSecret({
        namespace: NS,
        body: {
          metadata: { name: 'cacerts' },
          data: {
            'ca-cert.pem': b64(ca),
            'ca-key.pem': b64(intermediate.keyPem),
            'root-cert.pem': b64(root.certPem),
            'cert-chain.pem': b64(chain),
          },
        },
      });
    // ca-cert.pem self-signed: only the root fingerprints were compared, and they match
    await cacerts(intermediate.certPem, intermediate.certPem + root.certPem);
    const r = await check();
    // Before: "✓ signing CA …" and "✓ all 1 namespace(s) with istio-ca-root-cert trust the same root"
    expect(r.certificates.slice(2)).toEqual([
      expect.stringMatching(
        /^✓ signing CA O=intermediate\.example \(Secret istio-system\/cacerts\) valid until /,
      ),
      '× Secret istio-system/cacerts: ca-cert.pem (O=intermediate.example) is not signed by root-cert.pem (O=cluster.local): workload certificates istiod signs do not verify against that root',
      '    hint: plug in a ca-cert.pem signed by root-cert.pem, with cert-chain.pem from ca-cert.pem up to that root (Istio plug-in CA), then restart istiod',
      '✓ no namespace but istio-system has istio-ca-root-cert yet: no copy of the root to compare',
    ]);
    expect(r.code).toBe(79);
    // ca-cert.pem signed by the root, cert-chain.pem holding a certificate of another CA
    await c.core.deleteNamespacedSecret({ name: 'cacerts', namespace: NS });
    const signed = makeWorkloadCert(root, 'spiffe://cluster.local/ca', { fromDays: -1, toDays: 365 }, '45');
    await cacerts(signed.certPem, signed.certPem + otherRoot.certPem);
    const chain = await check();
    expect(chain.certificates).toContain(
      '× Secret istio-system/cacerts: cert-chain.pem does not lead to root-cert.pem (O=cluster.local): O=other.example is not signed by it or by the next certificate of the chain',
    );
    await c.core.deleteNamespacedSecret({ name: 'cacerts', namespace: NS });
    await cacerts(signed.certPem, signed.certPem + root.certPem);
    const good = await check();
    expect(good.certificates.join('\n')).not.toContain('×');
    expect(good.stdout + good.stderr).not.toContain('PRIVATE KEY');
  });
});
