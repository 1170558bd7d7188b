import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

// MSH1004 against what istiod does: port-level mTLS keyed by the workload's (target) port, and only from a
// workload-level policy; workloads without a sidecar enforce no PeerAuthentication.
const run = (t: string) => analyzeText(t, ['mesh.DestinationRuleTlsConflictAnalyzer']);

const namespace = (labels = '{istio-injection: enabled}') =>
  `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: ${labels}}\n---\n`;
const nsStrict = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec:
  mtls: {mode: STRICT}
---
`;

// /tmp/diff3/cases/mtls-01-portlevel.yaml, with the Service's targetPort and the container's ports variable.
const portLevel = (
  opts: { targetPort?: string; containerPorts?: string; policy?: string; dr?: string } = {},
) =>
  namespace() +
  nsStrict +
  `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: web, namespace: shop}
spec:
${opts.policy ?? '  selector: {matchLabels: {app: web}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    8443: {mode: DISABLE}\n'}---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx${opts.containerPorts ?? ''}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
  - {name: https, port: 443, targetPort: ${opts.targetPort ?? '8443'}, protocol: TCP}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: shop}
spec:
  host: web.shop.svc.cluster.local
  trafficPolicy:
${opts.dr ?? '    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: SIMPLE, sni: web.shop.svc.cluster.local, caCertificates: /etc/certs/ca.pem}\n'}`;

describe('MSH1004 and port-level PeerAuthentication', () => {
  it('accepts SIMPLE on a Service port whose target port is DISABLEd port-level (mtls-01)', async () => {
    expect(await run(portLevel())).toEqual([]);
  });
  it('resolves a named targetPort through the container ports of the selected workloads', async () => {
    const containerPorts = ', ports: [{name: web-tls, containerPort: 8443}]';
    expect(await run(portLevel({ targetPort: 'web-tls', containerPorts }))).toEqual([]);
    // the same name on another container port: that port is STRICT
    const other = ', ports: [{name: web-tls, containerPort: 9443}]';
    expect(await run(portLevel({ targetPort: 'web-tls', containerPorts: other }))).toEqual([
      {
        code: 'MSH1004',
        origin: 'DestinationRule shop/web',
        line: 48,
        path: 'spec.trafficPolicy.portLevelSettings[0].tls.mode',
        message:
          'DestinationRule sets TLS mode SIMPLE for web.shop.svc.cluster.local:443 but PeerAuthentication shop/web requires STRICT',
      },
    ]);
  });
  it('claims no conflict when a named targetPort cannot be resolved and port-level mTLS could apply', async () => {
    expect(await run(portLevel({ targetPort: 'web-tls' }))).toEqual([]);
  });
  it('still reports the ports that are STRICT, naming them', async () => {
    const dr = '    tls: {mode: DISABLE}\n';
    expect(await run(portLevel({ dr }))).toEqual([
      {
        code: 'MSH1004',
        origin: 'DestinationRule shop/web',
        line: 46,
        path: 'spec.trafficPolicy.tls.mode',
        message:
          'DestinationRule sets TLS mode DISABLE for web.shop.svc.cluster.local:80 but PeerAuthentication shop/web requires STRICT',
      },
    ]);
  });
  it("leaves a port whose DestinationRule entry sets no TLS to auto mTLS (the entry replaces the policy's)", async () => {
    const dr =
      '    tls: {mode: DISABLE}\n    portLevelSettings:\n    - port: {number: 80}\n      connectionPool: {tcp: {maxConnections: 10}}\n';
    expect(await run(portLevel({ dr }))).toEqual([]);
  });
  it('ignores portLevelMtls on a policy without a selector, as istiod does', async () => {
    const policy = '  mtls: {mode: STRICT}\n  portLevelMtls:\n    8443: {mode: DISABLE}\n';
    // 'web' is now a second namespace-wide policy; the first one (default, STRICT) decides.
    expect(await run(portLevel({ policy }))).toEqual([
      expect.objectContaining({
        code: 'MSH1004',
        message:
          'DestinationRule sets TLS mode SIMPLE for web.shop.svc.cluster.local:443 but PeerAuthentication shop/default requires STRICT',
      }),
    ]);
  });
  it('takes a port without a mode from the workload policy, and that from the namespace', async () => {
    const policy = '  selector: {matchLabels: {app: web}}\n  portLevelMtls:\n    8443: {mode: UNSET}\n';
    expect((await run(portLevel({ policy }))).map((f) => f.message)).toEqual([
      'DestinationRule sets TLS mode SIMPLE for web.shop.svc.cluster.local:443 but PeerAuthentication shop/default requires STRICT',
    ]);
    // a workload policy with only port-level mTLS still applies it
    const only = '  selector: {matchLabels: {app: web}}\n  portLevelMtls:\n    8443: {mode: DISABLE}\n';
    expect(await run(portLevel({ policy: only }))).toEqual([]);
  });
});

// /tmp/diff3/cases/mtls-02-uninjected.yaml
const statefulSet = (name: string, podLabels: string, podAnnotations = '{}') => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: shop}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: ${podLabels}
      annotations: ${podAnnotations}
    spec:
      containers:
      - {name: db, image: postgres}
---
`;
const dbService = `apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports:
  - {name: tcp-postgres, port: 5432, protocol: TCP}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db, namespace: shop}
spec:
  host: db.shop.svc.cluster.local
  trafficPolicy:
    tls: {mode: DISABLE}
`;

describe('MSH1004 and workloads without a sidecar', () => {
  it('accepts plaintext to a workload whose template opts out of injection (mtls-02)', async () => {
    const uninjected = statefulSet('db', '{app: db, sidecar.istio.io/inject: "false"}');
    expect(await run(namespace() + nsStrict + uninjected + dbService)).toEqual([]);
    const byAnnotation = statefulSet('db', '{app: db}', '{sidecar.istio.io/inject: "false"}');
    expect(await run(namespace() + nsStrict + byAnnotation + dbService)).toEqual([]);
  });
  it('accepts plaintext when the Namespace in the inputs is not injected', async () => {
    expect(await run(namespace('{}') + nsStrict + statefulSet('db', '{app: db}') + dbService)).toEqual([]);
  });
  it('reports a workload with a sidecar, or whose Namespace is not in the inputs', async () => {
    const conflict = {
      code: 'MSH1004',
      origin: 'DestinationRule shop/db',
      path: 'spec.trafficPolicy.tls.mode',
      message:
        'DestinationRule sets TLS mode DISABLE for db.shop.svc.cluster.local but PeerAuthentication shop/default requires STRICT',
    };
    expect(await run(namespace() + nsStrict + statefulSet('db', '{app: db}') + dbService)).toEqual([
      { ...conflict, line: 39 },
    ]);
    expect(await run(nsStrict + statefulSet('db', '{app: db}') + dbService)).toEqual([
      { ...conflict, line: 35 },
    ]);
  });
  it('names the workloads that refuse when only some of the Service has a sidecar', async () => {
    const text =
      namespace() +
      nsStrict +
      statefulSet('db-a', '{app: db, sidecar.istio.io/inject: "false"}') +
      statefulSet('db-b', '{app: db}') +
      dbService;
    expect((await run(text)).map((f) => f.message)).toEqual([
      'DestinationRule sets TLS mode DISABLE for db.shop.svc.cluster.local (1 of 2 workloads: StatefulSet shop/db-b) but PeerAuthentication shop/default requires STRICT',
    ]);
  });
  it('counts a revision-labelled or ambient Namespace as enforcing, and a subset of uninjected workloads as not', async () => {
    for (const labels of ['{istio.io/rev: canary}', '{istio.io/dataplane-mode: ambient}'])
      expect(
        await run(namespace(labels) + nsStrict + statefulSet('db', '{app: db}') + dbService),
      ).toHaveLength(1);
    const subsets =
      '  subsets:\n  - name: a\n    labels: {v: a}\n    trafficPolicy:\n      tls: {mode: DISABLE}\n';
    const text =
      namespace() +
      nsStrict +
      statefulSet('db-a', '{app: db, v: a, sidecar.istio.io/inject: "false"}') +
      statefulSet('db-b', '{app: db, v: b}') +
      dbService.replace('    tls: {mode: DISABLE}\n', '    tls: {mode: ISTIO_MUTUAL}\n') +
      subsets;
    expect(await run(text)).toEqual([]);
  });
});
