/**
 * Inputs where mesh analyze disagreed with the testbed's `istioctl analyze --use-kube=false` (found by
 * differential fuzzing, each minimized; the same documents are in test/e2e/fixtures/analyze-oracle.yaml,
 * which the e2e differential test compares with istioctl). istioctl's words are in the comment above each
 * case; mesh's exact findings are asserted.
 */
import { describe, expect, it } from 'vitest';
import { analyzeText, lineOf } from '../../support/analyze.js';

const brief = (findings: Awaited<ReturnType<typeof analyzeText>>) =>
  findings.map((f) => [f.code, f.origin, f.line, f.message]);

describe('mesh analyze where istioctl found what mesh did not', () => {
  // istioctl: `SNI host "*.example.com" is not a compatible subset of any of the virtual service hosts:
  // [api.example.com]`. An SNI host must be within one of the hosts; one wider than all of them is refused.
  it('a wildcard sniHost wider than every VirtualService host is a schema error', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-tls, namespace: edge}
spec:
  hosts: [api.example.com, "*.internal.example.com"]
  gateways: [istio-system/istio-ingressgateway]
  tls:
  - match:
    - port: 443
      sniHosts: ["*.example.com", api.example.com, "*.b.internal.example.com"]
    route:
    - destination: {host: api.edge.svc.cluster.local}
`;
    expect(brief(await analyzeText(text, ['schema.ValidationAnalyzer.VirtualService']))).toEqual([
      [
        'IST0106',
        'VirtualService edge/api-tls',
        lineOf(text, 'sniHosts'),
        'Schema validation error: sniHost "*.example.com" does not match any of the VirtualService hosts (api.example.com, *.internal.example.com)',
      ],
    ]);
  });

  // istioctl: only `wildcard host * is not allowed for virtual services bound to the mesh gateway`. istiod
  // looks for duplicate hosts only when every host is valid: "*" is one mistake, not also an overlap.
  it('a refused host is not also reported as overlapping the others', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: catch-all, namespace: edge}
spec:
  hosts: [api.edge.svc.cluster.local, "*"]
  http:
  - route:
    - destination: {host: api.edge.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: twice, namespace: edge}
spec:
  hosts: ["*.example.com", api.example.com]
  http:
  - route:
    - destination: {host: api.edge.svc.cluster.local}
`;
    expect(brief(await analyzeText(text, ['schema.ValidationAnalyzer.VirtualService']))).toEqual([
      [
        'IST0106',
        'VirtualService edge/catch-all',
        lineOf(text, '"*"]'),
        'Schema validation error: host "*" is not allowed for a VirtualService that applies to the mesh (no gateways, or "mesh" among them); list the hosts explicitly',
      ],
      [
        'IST0106',
        'VirtualService edge/twice',
        lineOf(text, 'api.example.com]'),
        'Schema validation error: host "api.example.com" overlaps with hosts[0] "*.example.com"; list each host once',
      ],
    ]);
  });

  // istioctl: `multiple hosts provided with non-HTTP, non-TLS ports` (once) and the IST0133 about the
  // shared address. Addresses do not tell the hosts apart on a TCP port either.
  it('several hosts with a TCP port are refused with addresses too, once', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: databases, namespace: edge}
spec:
  hosts: [pg.example.com, mysql.example.com]
  addresses: [240.0.0.10]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - {number: 443, name: https, protocol: HTTPS}
  - {number: 5432, name: pg, protocol: TCP}
  - {number: 3306, name: mysql, protocol: TCP}
`;
    expect(brief(await analyzeText(text, ['schema.ValidationAnalyzer.ServiceEntry']))).toEqual([
      [
        'IST0106',
        'ServiceEntry edge/databases',
        lineOf(text, 'number: 5432'),
        'Schema validation error: with several hosts and resolution DNS, every port must be HTTP or TLS so traffic can be told apart by Host or SNI; port "pg" is TCP',
      ],
      [
        'IST0133',
        'ServiceEntry edge/databases',
        lineOf(text, 'hosts:'),
        'Schema validation warning: multiple hosts share the addresses of a TCP port; traffic to them cannot be told apart',
      ],
    ]);
  });

  // istioctl: IST0106 `service entry port 80 already defined` and IST0177 `Multiple ServiceEntries
  // (edge/web) define the same host "web.example.com" and port 80 with conflicting protocols (HTTP,
  // HTTP2).` Which protocol port 80 gets is as undefined as between two ServiceEntries.
  it('one ServiceEntry that lists a port twice with two protocols conflicts with itself (IST0177)', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: edge}
spec:
  hosts: [web.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 80, name: http2, protocol: HTTP2}
`;
    const analyzers = [
      'schema.ValidationAnalyzer.ServiceEntry',
      'serviceentry.ConflictingServiceEntryProtocolAnalyzer',
    ];
    expect(brief(await analyzeText(text, analyzers))).toEqual([
      [
        'IST0106',
        'ServiceEntry edge/web',
        lineOf(text, 'number: 80, name: http2'),
        'Schema validation error: duplicate port number 80 (also ports[0])',
      ],
      [
        'IST0177',
        'ServiceEntry edge/web',
        lineOf(text, 'protocol: HTTP}'),
        'Multiple ServiceEntries (edge/web) define the same host "web.example.com" and port 80 with conflicting protocols (HTTP, HTTP2).',
      ],
    ]);
  });

  // istioctl: only `exportTo ~ (none) is not allowed for Istio configuration objects`. The refused "~"
  // is not also an entry "combined with other entries".
  it('a "~" in the exportTo of a VirtualService is one mistake', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hidden, namespace: edge}
spec:
  hosts: [api.edge.svc.cluster.local]
  exportTo: [".", "~"]
  http:
  - route:
    - destination: {host: api.edge.svc.cluster.local}
`;
    expect(brief(await analyzeText(text, ['schema.ValidationAnalyzer.VirtualService']))).toEqual([
      [
        'IST0106',
        'VirtualService edge/hidden',
        lineOf(text, 'exportTo'),
        'Schema validation error: exportTo "~" (visible to no namespace) is only allowed on ServiceEntry',
      ],
    ]);
  });

  // Istio's analyzers reading the Services too (the testbed's analyze-oracle; istioctl offline skips this
  // analyzer): `Referenced host not found: "*.example.com"`. A wildcard destination is served only by a
  // host that covers it; istiod has no service named *.example.com, only api.example.com.
  it('a wildcard destination that no ServiceEntry host covers is not found', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partners, namespace: shop}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: https, protocol: HTTPS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cdn, namespace: shop}
spec:
  hosts: ["*.cdn.net"]
  location: MESH_EXTERNAL
  resolution: NONE
  ports: [{number: 443, name: https, protocol: HTTPS}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: partners, namespace: shop}
spec:
  hosts: [partners.shop.svc.cluster.local]
  http:
  - match: [{uri: {prefix: /cdn}}]
    route:
    - destination: {host: "*.cdn.net"}
  - match: [{uri: {prefix: /cluster}}]
    route:
    - destination: {host: "*.shop.svc.cluster.local"}
  - route:
    - destination: {host: "*.example.com"}
`;
    expect(brief(await analyzeText(text, ['virtualservice.DestinationHostAnalyzer']))).toEqual([
      [
        'IST0101',
        'VirtualService shop/partners',
        lineOf(text, 'host: "*.example.com"'),
        'Referenced host not found: "*.example.com"',
      ],
    ]);
  });

  // istioctl: IST0106 `no endpoints should be provided for resolution type none`, IST0106 `only one of
  // WorkloadSelector or Endpoints is allowed in Service Entry` and IST0133 `workloadSelector should not be
  // set when resolution mode is NONE`. The warning is about another matter than the error at that field.
  it('a warning at a field with a schema error is still given', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: edge}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: NONE
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 1.2.3.4}]
  workloadSelector:
    labels: {app: api}
`;
    expect(brief(await analyzeText(text, ['schema.ValidationAnalyzer.ServiceEntry']))).toEqual([
      [
        'IST0106',
        'ServiceEntry edge/api',
        lineOf(text, 'endpoints:'),
        'Schema validation error: endpoints are not allowed with resolution NONE (traffic goes to the address the client connected to)',
      ],
      [
        'IST0106',
        'ServiceEntry edge/api',
        lineOf(text, 'workloadSelector:'),
        'Schema validation error: spec: endpoints and workloadSelector cannot be set together',
      ],
      [
        'IST0133',
        'ServiceEntry edge/api',
        lineOf(text, 'workloadSelector:'),
        'Schema validation warning: workloadSelector has no effect with resolution NONE',
      ],
    ]);
  });
});
