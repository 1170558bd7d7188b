import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText, lineOf, withoutKind } from '../../support/analyze.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/gateway', name), 'utf8');

const brief = (findings: Awaited<ReturnType<typeof analyzeText>>) =>
  findings.map((f) => [f.code, f.origin, f.line, f.message]);

describe('gateway.IngressGatewayPortAnalyzer', () => {
  const text = fixture('ports.yaml');
  const run = (t: string) => analyzeText(t, ['gateway.IngressGatewayPortAnalyzer']);
  const notOnService = (port: number) =>
    `The gateway is listening on a target port (port ${port}) that is not defined in the Service associated with its workload instances (Pod selector istio=edge-gateway). If you need to access the gateway port through the gateway Service, it will not be available.`;

  it('checks server ports against the Service of the gateway Deployment (ports, target ports, TCP only)', async () => {
    expect(brief(await run(text))).toEqual([
      [
        'IST0101',
        'Gateway edge/typo',
        lineOf(text, 'istio: edge-gatway'),
        'Referenced selector not found: "istio=edge-gatway"',
      ],
      ['IST0162', 'Gateway edge/edge', lineOf(text, 'number: 53', 'kind: Gateway'), notOnService(53)],
      ['IST0162', 'Gateway edge/edge', lineOf(text, 'number: 9000'), notOnService(9000)],
    ]);
  });

  it('says nothing when the gateway workloads are not part of the inputs', async () => {
    expect(await run(withoutKind(text, 'Deployment'))).toEqual([]);
  });
});

describe('gateway.SecretAnalyzer', () => {
  const text = fixture('secrets.yaml');
  const run = (t: string) => analyzeText(t, ['gateway.SecretAnalyzer']);
  const invalid =
    'The credential referenced by the Gateway edge in namespace edge is invalid, which can cause the traffic not to work as expected.';

  it('finds credentials next to the gateway workload, counts cert-manager Certificates, checks validity', async () => {
    expect(brief(await run(text))).toEqual([
      [
        'IST0101',
        'Gateway edge/edge',
        lineOf(text, 'credentialName: edge-crt'),
        'Referenced credentialName not found: "edge-crt"',
      ],
      ['IST0161', 'Gateway edge/edge', lineOf(text, 'credentialName: old-cert'), invalid],
      ['IST0161', 'Gateway edge/edge', lineOf(text, 'credentialName: half-cert'), invalid],
    ]);
  });

  it('takes a Secret declared external (--external) as present', async () => {
    const found = await analyzeText(text, ['gateway.SecretAnalyzer'], { external: ['Secret edge/edge-*'] });
    expect(found.map((f) => f.code)).toEqual(['IST0161', 'IST0161']);
    // a pattern for another namespace does not cover it
    const other = await analyzeText(text, ['gateway.SecretAnalyzer'], { external: ['Secret shop/*'] });
    expect(other.map((f) => f.code)).toEqual(['IST0101', 'IST0161', 'IST0161']);
  });

  it('says nothing about missing secrets when the inputs carry none', async () => {
    expect(await run(withoutKind(withoutKind(text, 'Secret'), 'Certificate'))).toEqual([]);
  });
});

describe('gateway.ConflictingGatewayAnalyzer names', () => {
  it('lists the other gateways sorted, as istioctl does, whatever the input order', async () => {
    const gw = (name: string) =>
      `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ${name}, namespace: edge}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [shop.example.com]\n`;
    const text = ['zeta', 'alpha', 'mid'].map(gw).join('---\n');
    const found = await analyzeText(text, ['gateway.ConflictingGatewayAnalyzer']);
    expect(found.map((f) => [f.origin, /gateways (\S+) /.exec(f.message)![1]])).toEqual([
      ['Gateway edge/alpha', 'edge/mid,edge/zeta'],
      ['Gateway edge/mid', 'edge/alpha,edge/zeta'],
      ['Gateway edge/zeta', 'edge/alpha,edge/mid'],
    ]);
  });

  it('lists each of many Gateways on one host once, also one that claims the host on two servers', async () => {
    const server = '  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [shop.example.com]\n';
    const gw = (i: number) =>
      `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw-${i}, namespace: edge}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n${server}${i === 7 ? server : ''}`;
    const count = 25;
    const text = Array.from({ length: count }, (_, i) => gw(count - 1 - i)).join('---\n');
    const found = await analyzeText(text, ['gateway.ConflictingGatewayAnalyzer']);
    const all = Array.from({ length: count }, (_, i) => `edge/gw-${i}`).sort();
    const others = (name: string) => all.filter((n) => n !== name).join(',');
    expect(found.map((f) => [f.origin, f.path, /gateways (\S+) /.exec(f.message)![1]])).toEqual(
      all.flatMap((name) =>
        (name === 'edge/gw-7' ? [0, 1] : [0]).map((i) => [
          `Gateway ${name}`,
          `spec.servers[${i}].port.number`,
          others(name),
        ]),
      ),
    );
  });
});

describe('gateway.CertificateAnalyzer and gateway.ConflictingGatewayAnalyzer', () => {
  const text = fixture('sharing.yaml');

  it('reports one certificate on two gateways of the same workload and port', async () => {
    const duplicate = (a: string, b: string) =>
      `Duplicate certificate in multiple gateways [${a} ${b}] may cause 404s if clients re-use HTTP2 connections.`;
    expect(brief(await analyzeText(text, ['gateway.CertificateAnalyzer']))).toEqual([
      [
        'IST0138',
        'Gateway blog/blog',
        lineOf(text, 'credentialName', 'name: blog'),
        duplicate('blog/blog', 'shop/shop'),
      ],
      ['IST0138', 'Gateway shop/shop', lineOf(text, 'credentialName'), duplicate('shop/shop', 'blog/blog')],
    ]);
  });

  it('reports each pair of gateways once, also when they share the certificate on two ports', async () => {
    const server = (port: number) =>
      `  - port: {number: ${port}, name: https, protocol: HTTPS}\n    hosts: [h${port}.example.com]\n    tls: {mode: SIMPLE, credentialName: c}\n`;
    const gw = (name: string, ports: number[]) =>
      `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ${name}, namespace: edge}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n${ports.map(server).join('')}`;
    const text = [gw('a', [443, 8443]), gw('b', [8443, 443, 443]), gw('d', [443])].join('---\n');
    const found = await analyzeText(text, ['gateway.CertificateAnalyzer']);
    expect(found.map((f) => [f.origin, f.path, /\[(.*)\]/.exec(f.message)![1]])).toEqual([
      ['Gateway edge/a', 'spec.servers[0].tls.credentialName', 'edge/a edge/b'],
      ['Gateway edge/a', 'spec.servers[0].tls.credentialName', 'edge/a edge/d'],
      ['Gateway edge/b', 'spec.servers[1].tls.credentialName', 'edge/b edge/a'],
      ['Gateway edge/b', 'spec.servers[1].tls.credentialName', 'edge/b edge/d'],
      ['Gateway edge/d', 'spec.servers[0].tls.credentialName', 'edge/d edge/a'],
      ['Gateway edge/d', 'spec.servers[0].tls.credentialName', 'edge/d edge/b'],
    ]);
  });

  it('reports servers of two gateways claiming the same host and port, not a wildcard beside a host', async () => {
    expect(brief(await analyzeText(text, ['gateway.ConflictingGatewayAnalyzer']))).toEqual([
      [
        'IST0145',
        'Gateway api/api-v2',
        lineOf(text, 'number: 80', 'name: api-v2'),
        'Conflict with gateways api/api (workload selector istio=ingressgateway, port 80, hosts */api.example.com).',
      ],
      [
        'IST0145',
        'Gateway api/api',
        lineOf(text, 'number: 80', 'name: api\n'),
        'Conflict with gateways api/api-v2 (workload selector istio=ingressgateway, port 80, hosts api.example.com).',
      ],
    ]);
  });

  it('lists every conflicting gateway once, in name order, including a narrower selector that picks the same pod', async () => {
    const gateway = (name: string, selector: string, hosts: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: edge}
spec:
  selector: {${selector}}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [${hosts}]
    tls: {mode: SIMPLE, credentialName: c}
`;
    const text = [
      gateway('gw-9', 'istio: ingress', 'a.example.com, b.example.com'),
      gateway('gw-10', 'istio: ingress', 'a.example.com'),
      gateway('gw-2', 'istio: ingress, zone: east', 'b.example.com'),
      gateway('gw-1', 'istio: ingress, zone: west', 'a.example.com'),
      `apiVersion: v1
kind: Pod
metadata: {name: ingress-east, namespace: edge, labels: {istio: ingress, zone: east}}
spec: {containers: [{name: istio-proxy, image: proxyv2}]}
`,
    ].join('---\n');
    const conflicts = (await analyzeText(text, ['gateway.ConflictingGatewayAnalyzer'])).map((f) => [
      f.origin,
      f.message.replace(/ \(workload.*/, ''),
    ]);
    expect(conflicts).toEqual([
      ['Gateway edge/gw-10', 'Conflict with gateways edge/gw-9'],
      ['Gateway edge/gw-2', 'Conflict with gateways edge/gw-9'],
      ['Gateway edge/gw-9', 'Conflict with gateways edge/gw-10,edge/gw-2'],
    ]);
  });
});
