import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/deployment', name), 'utf8');

describe('deployment.MultiServiceAnalyzer', () => {
  const run = (text: string) => analyzeText(text, ['deployment.MultiServiceAnalyzer']);

  it('reports two Services mapping different ports onto one targetPort of a Deployment', async () => {
    expect(await run(fixture('reviews.yaml'))).toEqual([
      {
        code: 'IST0137',
        origin: 'Deployment shop/reviews',
        line: 4,
        path: 'metadata.name',
        message:
          'This deployment reviews is associated with multiple services [shop/reviews shop/reviews-metrics] using targetPort "9080" but different ports: [9080 9090].',
      },
    ]);
  });

  it('reports one port number served with two protocols', async () => {
    const udp = fixture('reviews.yaml').replace(
      '  - name: http-metrics\n    port: 9090\n    targetPort: 9080',
      '  - name: udp-stats\n    port: 9080\n    protocol: UDP',
    );
    expect((await run(udp)).map((f) => [f.code, f.message])).toEqual([
      [
        'IST0116',
        'This deployment reviews is associated with multiple services using port 9080 but different protocols: [shop/reviews shop/reviews-metrics]',
      ],
    ]);
  });

  it('is quiet for a workload that opted out of the mesh, or when the inputs carry no Service', async () => {
    const optOut = fixture('reviews.yaml').replace(
      '      labels:\n        app: reviews\n    spec',
      '      labels:\n        app: reviews\n        sidecar.istio.io/inject: "false"\n    spec',
    );
    expect(await run(optOut)).toEqual([]);
    const deploymentOnly = fixture('reviews.yaml').split('---')[0];
    expect(await run(deploymentOnly)).toEqual([]);
  });
});

describe('applicationUID.Analyzer', () => {
  const run = (text: string) => analyzeText(text, ['applicationUID.Analyzer']);

  it('reports an application container of a StatefulSet template running as the proxy UID', async () => {
    expect(await run(fixture('uid.yaml'))).toEqual([
      {
        code: 'IST0144',
        origin: 'StatefulSet payments/ledger',
        line: 20,
        path: 'spec.template.spec.containers[0].securityContext.runAsUser',
        message: 'User ID (UID) 1337 is reserved for the sidecar proxy.',
      },
    ]);
  });

  it('is quiet for the istio-proxy container and for Istio gateways', async () => {
    const appFixed = fixture('uid.yaml').replace(
      'runAsUser: 1337\n          runAsNonRoot',
      'runAsUser: 1000\n          runAsNonRoot',
    );
    expect(await run(appFixed)).toEqual([]);
  });
});
