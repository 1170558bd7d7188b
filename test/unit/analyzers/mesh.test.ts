import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const gateway = (credentialName: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: web
  namespace: shop
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls:
      mode: SIMPLE
      credentialName: ${credentialName}
---
apiVersion: v1
kind: Secret
metadata:
  name: other
  namespace: istio-system
${extra}`;

describe('gateway.SecretAnalyzer, a missing Secret (IST0101)', () => {
  const run = (t: string) => analyzeText(t, ['gateway.SecretAnalyzer']);
  it('reports a credentialName whose Secret is not next to the gateway workload', async () => {
    expect(await run(gateway('shop-cert'))).toEqual([
      expect.objectContaining({
        code: 'IST0101',
        message: 'Referenced credentialName not found: "shop-cert"',
        origin: 'Gateway shop/web',
        line: 14,
        path: 'spec.servers[0].tls.credentialName',
      }),
    ]);
  });
  it('finds the Secret in the workload namespace (not the Gateway one) and then checks its content', async () => {
    const secret =
      '---\napiVersion: v1\nkind: Secret\nmetadata: {name: shop-cert, namespace: istio-system}\n';
    // present, so no IST0101; but it holds no certificate, which istioctl calls IST0161
    expect((await run(gateway('shop-cert', secret))).map((f) => f.code)).toEqual(['IST0161']);
  });
  it('names the gateway workload namespace in IST0161, where the Secret is, as istioctl does', async () => {
    const secret =
      '---\napiVersion: v1\nkind: Secret\nmetadata: {name: shop-cert, namespace: istio-system}\ndata: {tls.crt: eA==, tls.key: eA==}\n';
    expect(await run(gateway('shop-cert', secret))).toEqual([
      expect.objectContaining({
        code: 'IST0161',
        origin: 'Gateway shop/web',
        message:
          'The credential referenced by the Gateway web in namespace istio-system is invalid, which can cause the traffic not to work as expected.',
      }),
    ]);
  });
  it('says nothing when the inputs carry no Secrets at all', async () => {
    const noSecrets = gateway('shop-cert').split('---')[0]!;
    expect(await run(noSecrets)).toEqual([]);
  });
});

const pa = (name: string, ns: string, mode: string, selector = '') =>
  `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${selector}  mtls:\n    mode: ${mode}\n---\n`;

describe('mesh.PermissiveMtlsAnalyzer (MSH1002)', () => {
  const run = (t: string) => analyzeText(t, ['mesh.PermissiveMtlsAnalyzer']);
  it('reports a PERMISSIVE namespace under a STRICT mesh', async () => {
    const f = await run(pa('default', 'istio-system', 'STRICT') + pa('default', 'legacy', 'PERMISSIVE'));
    expect(f).toEqual([
      expect.objectContaining({
        code: 'MSH1002',
        origin: 'PeerAuthentication legacy/default',
        path: 'spec.mtls.mode',
        line: 13,
      }),
    ]);
    expect(f[0]!.message).toContain('the mesh (istio-system/default)');
  });
  it('reports a workload-level PERMISSIVE leftover in a STRICT namespace, and port-level ones', async () => {
    const sel = '  selector:\n    matchLabels: {app: db}\n  portLevelMtls:\n    "5432": {mode: PERMISSIVE}\n';
    const f = await run(pa('default', 'shop', 'STRICT') + pa('db', 'shop', 'STRICT', sel));
    expect(f.map((x) => x.path)).toEqual(['spec.portLevelMtls["5432"].mode']);
  });
  it('is quiet when nothing is STRICT', async () => {
    expect(await run(pa('default', 'legacy', 'PERMISSIVE'))).toEqual([]);
  });
});

describe('mesh.AllowAllRuleAnalyzer (MSH1003)', () => {
  const ap = (rules: string, action = 'ALLOW') =>
    `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  action: ${action}\n  rules:\n${rules}`;
  const run = (t: string) => analyzeText(t, ['mesh.AllowAllRuleAnalyzer']);
  it('reports an empty ALLOW rule at its own line', async () => {
    expect(await run(ap('  - to:\n    - operation: {methods: [GET]}\n  - {}\n'))).toEqual([
      expect.objectContaining({ code: 'MSH1003', line: 9, path: 'spec.rules[1]' }),
    ]);
  });
  it('ignores DENY policies and rules with conditions', async () => {
    expect(await run(ap('  - {}\n', 'DENY'))).toEqual([]);
    expect(await run(ap('  - when:\n    - {key: source.ip, values: [10.0.0.1]}\n'))).toEqual([]);
  });
});

const svcAndDeploy = `apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: shop}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings, namespace: shop}
spec:
  selector: {matchLabels: {app: ratings}}
  template:
    metadata: {labels: {app: ratings}}
    spec:
      serviceAccountName: ratings
      containers: [{name: app, image: ratings:1}]
---
`;
const dr = (host: string, mode: string) =>
  `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r, namespace: shop}\nspec:\n  host: ${host}\n  trafficPolicy:\n    tls: {mode: ${mode}}\n`;

describe('mesh.DestinationRuleTlsConflictAnalyzer (MSH1004)', () => {
  const run = (t: string) => analyzeText(t, ['mesh.DestinationRuleTlsConflictAnalyzer']);
  it('reports plaintext towards a STRICT namespace, short or fully qualified host', async () => {
    for (const host of ['ratings', 'ratings.shop.svc.cluster.local']) {
      const f = await run(svcAndDeploy + pa('default', 'shop', 'STRICT') + dr(host, 'DISABLE'));
      expect(f).toEqual([
        expect.objectContaining({
          code: 'MSH1004',
          origin: 'DestinationRule shop/r',
          path: 'spec.trafficPolicy.tls.mode',
        }),
      ]);
      expect(f[0]!.message).toContain('PeerAuthentication shop/default requires STRICT');
    }
  });
  it('uses the workload-level policy over the namespace one', async () => {
    const sel = '  selector:\n    matchLabels: {app: ratings}\n';
    expect(
      await run(
        svcAndDeploy +
          pa('default', 'shop', 'STRICT') +
          pa('ratings', 'shop', 'DISABLE', sel) +
          dr('ratings', 'DISABLE'),
      ),
    ).toEqual([]);
    expect(
      await run(svcAndDeploy + pa('ratings', 'shop', 'DISABLE', sel) + dr('ratings', 'ISTIO_MUTUAL')),
    ).toHaveLength(1);
  });
  it('is quiet for ISTIO_MUTUAL towards STRICT and for external hosts', async () => {
    expect(
      await run(svcAndDeploy + pa('default', 'istio-system', 'STRICT') + dr('ratings', 'ISTIO_MUTUAL')),
    ).toEqual([]);
    expect(
      await run(svcAndDeploy + pa('default', 'istio-system', 'STRICT') + dr('api.example.com', 'DISABLE')),
    ).toEqual([]);
  });
});

describe('mesh.PrincipalServiceAccountAnalyzer (MSH1005)', () => {
  const ap = (principal: string) =>
    `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules:\n  - from:\n    - source:\n        principals: ["${principal}"]\n`;
  const run = (t: string) => analyzeText(t, ['mesh.PrincipalServiceAccountAnalyzer']);
  it('reports a principal whose ServiceAccount nobody defines or runs as', async () => {
    expect(await run(svcAndDeploy + ap('cluster.local/ns/shop/sa/ratingz'))).toEqual([
      expect.objectContaining({
        code: 'MSH1005',
        line: 26,
        path: 'spec.rules[0].from[0].source.principals[0]',
      }),
    ]);
  });
  it('accepts ServiceAccounts used by workloads, the default one, wildcards and unknown namespaces', async () => {
    expect(await run(svcAndDeploy + ap('cluster.local/ns/shop/sa/ratings'))).toEqual([]);
    expect(await run(svcAndDeploy + ap('cluster.local/ns/shop/sa/default'))).toEqual([]);
    expect(await run(svcAndDeploy + ap('cluster.local/ns/shop/sa/*'))).toEqual([]);
    expect(await run(svcAndDeploy + ap('cluster.local/ns/elsewhere/sa/x'))).toEqual([]);
  });
});

describe('mesh.UnknownIstioKindAnalyzer (MSH1006)', () => {
  it('reports an Istio kind in a version Istio does not serve', async () => {
    const f = await analyzeText(
      'apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: x}\nspec: {}\n',
      ['mesh.UnknownIstioKindAnalyzer'],
    );
    expect(f).toEqual([expect.objectContaining({ code: 'MSH1006', line: 1 })]);
    expect(f[0]!.message).toContain('served versions: v1, v1beta1, v1alpha3');
  });
});

describe('mesh.MetadataValueAnalyzer (MSH1007)', () => {
  const run = (t: string) => analyzeText(t, ['mesh.MetadataValueAnalyzer']);
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    version: 1.0
  annotations:
    sidecar.istio.io/inject: false
    note: ~
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, enabled: true}
      annotations: [a, b]
    spec:
      containers: [{name: web, image: web}]
`;
  it('reports unquoted numbers and booleans in labels and annotations of objects and pod templates, on their lines', async () => {
    const f = (await run(deployment)).sort((a, b) => a.line! - b.line!);
    expect(f.map((x) => [x.code, x.line, x.message])).toEqual([
      ['MSH1007', 8, 'metadata.labels.version is a number, not a string: the API server rejects the object'],
      [
        'MSH1007',
        10,
        'metadata.annotations["sidecar.istio.io/inject"] is a boolean, not a string: the API server rejects the object',
      ],
      [
        'MSH1007',
        17,
        'spec.template.metadata.labels.enabled is a boolean, not a string: the API server rejects the object',
      ],
      [
        'MSH1007',
        18,
        'spec.template.metadata.annotations is a sequence, not a mapping of strings: the API server rejects the object',
      ],
    ]);
  });
  it('reads the job template and the pod template of a CronJob, and names and namespaces', async () => {
    const cron = `apiVersion: batch/v1
kind: CronJob
metadata: {name: 2024, namespace: jobs}
spec:
  schedule: "@daily"
  jobTemplate:
    metadata:
      labels: {run: 1}
    spec:
      template:
        metadata:
          annotations: {proxy.istio.io/config: {holdApplicationUntilProxyStarts: true}}
        spec: {containers: [{name: c, image: c}]}
`;
    expect((await run(cron)).map((x) => [x.path, x.line])).toEqual([
      ['metadata.name', 3],
      ['spec.jobTemplate.metadata.labels.run', 8],
      ['spec.jobTemplate.spec.template.metadata.annotations["proxy.istio.io/config"]', 12],
    ]);
  });
  it('accepts strings and null values, and leaves Istio kinds to their schema analyzer (IST0106)', async () => {
    const ok = deployment
      .replace('version: 1.0', 'version: "1.0"')
      .replace('inject: false', 'inject: "false"')
      .replace('enabled: true', "enabled: 'true'")
      .replace('annotations: [a, b]', 'annotations: {a: b}');
    expect(await run(ok)).toEqual([]);
    const dr =
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, labels: {v: 1}}\nspec: {host: x}\n';
    expect(await run(dr)).toEqual([]);
    expect(await analyzeText(dr, ['schema.ValidationAnalyzer.DestinationRule'])).toEqual([
      expect.objectContaining({ code: 'IST0106', path: 'metadata.labels.v' }),
    ]);
  });
});
