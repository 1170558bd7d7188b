// `mesh check`'s certificate group against a real kube-apiserver holding CA objects made with openssl:
// an expiring root, a plugged-in CA whose root proxies do not trust, a namespace with another root, an
// expired root, and no root at all. (The happy path against the CA the real istiod makes is in
// proxy-status.test.ts.) Private keys sit in the Secrets, as they do in a cluster, and are never printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeCa } from '../support/certs.js';
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
      '✓ all 3 namespace(s) with istio-ca-root-cert trust the same root',
    ]);
  });
});
