import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText, lineOf, withoutKind } from '../../support/analyze.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/virtualservice', name), 'utf8');

const brief = (findings: Awaited<ReturnType<typeof analyzeText>>) =>
  findings.map((f) => [f.code, f.origin, f.line, f.message]);

describe('virtualservice.DestinationHostAnalyzer', () => {
  const text = fixture('destination-hosts.yaml');
  const run = (t: string) => analyzeText(t, ['virtualservice.DestinationHostAnalyzer']);

  it('takes a Service declared external (--external) as existing', async () => {
    const all = await run(text);
    const declared = await analyzeText(text, ['virtualservice.DestinationHostAnalyzer'], {
      external: ['Service shop/reveiws'],
    });
    expect(all.filter((f) => f.message === 'Referenced host not found: "reveiws"')).toHaveLength(1);
    expect(declared).toEqual(all.filter((f) => f.message !== 'Referenced host not found: "reveiws"'));
  });

  it('reports unknown hosts, mirror hosts and ports at the field, and nothing else', async () => {
    expect(brief(await run(text))).toEqual([
      [
        'IST0101',
        'VirtualService billing/billing',
        lineOf(text, 'host: partner.payments.example', 'name: billing'),
        'Referenced host not found: "partner.payments.example"',
      ],
      [
        'IST0101',
        'VirtualService shop/reviews',
        lineOf(text, 'host: reveiws'),
        'Referenced host not found: "reveiws"',
      ],
      [
        'IST0101',
        'VirtualService shop/reviews',
        lineOf(text, 'number: 9999'),
        'Referenced host:port not found: "reviews:9999"',
      ],
      [
        'IST0101',
        'VirtualService shop/reviews',
        lineOf(text, 'host: reviews-shadow'),
        'Referenced mirror host not found: "reviews-shadow"',
      ],
      [
        'IST0112',
        'VirtualService shop/ratings',
        lineOf(text, 'host: ratings', 'kind: VirtualService'),
        'This VirtualService routes to a service "ratings" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.',
      ],
    ]);
  });

  it('stays quiet for exportTo, cross-namespace FQDNs, wildcard and exported ServiceEntries', async () => {
    const origins = (await run(text)).map((f) => f.origin);
    // shop/fine routes to details (exported to storefront only), a cross-namespace FQDN with a port, a host
    // of a wildcard ServiceEntry, a ServiceEntry of its namespace and one exported to it by payments.
    expect(origins).not.toContain('VirtualService shop/fine');
    // storefront sees reviews (exported everywhere) and details (exported to storefront) by FQDN.
    expect(origins).not.toContain('VirtualService storefront/storefront');
  });

  it("judges a port by the Kubernetes Service when a ServiceEntry of its namespace names the Service's host", async () => {
    // istiod keeps the Kubernetes Service for the host (against domain squatting): 9090 is never served
    const t = `apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns1}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: squat, namespace: ns1}
spec:
  hosts: [a.ns1.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 9090, name: grpc, protocol: GRPC}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: elsewhere, namespace: ns2}
spec:
  hosts: [a.ns1.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 7070, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v, namespace: ns1}
spec:
  hosts: [a]
  http:
  - route: [{destination: {host: a, port: {number: 9090}}}]
  - route: [{destination: {host: a, port: {number: 7070}}}]
`;
    // a ServiceEntry of another namespace is another service for the same host: its port stays
    expect(brief(await run(t))).toEqual([
      [
        'IST0101',
        'VirtualService ns1/v',
        lineOf(t, 'number: 9090}}}]'),
        'Referenced host:port not found: "a:9090"',
      ],
    ]);
  });

  it('says nothing about cluster hosts when the inputs define no Services of that namespace', async () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: shop
spec:
  hosts: [reviews]
  http:
    - route:
        - destination:
            host: reviews
        - destination:
            host: ratings.other.svc.cluster.local
        - destination:
            host: api.example.com
        - destination:
            host: 10.0.0.7
`;
    // Only the IP address is certain to be wrong: nothing can serve it.
    expect(brief(await run(vs))).toEqual([
      [
        'IST0101',
        'VirtualService shop/reviews',
        lineOf(vs, 'host: 10.0.0.7'),
        'Referenced host not found: "10.0.0.7"',
      ],
    ]);
    // Once shop has Services, a missing shop service is a finding; "reviews.shop" is not expanded by Istio.
    const svc = `apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: shop
spec:
  ports: [{ name: http, port: 9080 }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: short
  namespace: shop
spec:
  hosts: [reviews]
  http:
    - route:
        - destination:
            host: reviews.shop
        - destination:
            host: reviews
`;
    expect(brief(await run(svc))).toEqual([
      [
        'IST0101',
        'VirtualService shop/short',
        lineOf(svc, 'host: reviews.shop'),
        'Referenced host not found: "reviews.shop"',
      ],
    ]);
  });

  it('warns when a gateway route without subset bypasses the subset routing of the mesh', async () => {
    const t = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ingress
  namespace: shop
spec:
  hosts: [shop.example.com]
  gateways: [shop-gateway]
  http:
    - route:
        - destination:
            host: reviews
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: shop
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http:
    - route:
        - destination:
            host: reviews.shop.svc.cluster.local
            subset: v2
`;
    expect(brief(await run(t))).toEqual([
      [
        'IST0140',
        'VirtualService shop/ingress',
        12,
        'Subset in virtual service shop/reviews has no effect on ingress gateway shop/ingress requests',
      ],
    ]);
  });
});

describe('virtualservice.DestinationRuleAnalyzer', () => {
  const text = fixture('subsets.yaml');

  it('reports subsets no visible DestinationRule defines, at the subset field', async () => {
    const findings = await analyzeText(text, ['virtualservice.DestinationRuleAnalyzer']);
    expect(brief(findings)).toEqual([
      [
        'IST0101',
        'VirtualService egress/partners',
        lineOf(text, 'subset: eu', 'host: billing.partner.example\n            subset'),
        'Referenced host+subset in destinationrule not found: "billing.partner.example+eu"',
      ],
      [
        'IST0101',
        'VirtualService shop/ratings',
        lineOf(text, 'subset: v1', 'name: ratings\n  namespace: shop'),
        'Referenced host+subset in destinationrule not found: "ratings+v1"',
      ],
      [
        'IST0101',
        'VirtualService storefront/reviews-canary',
        lineOf(text, 'subset: v9'),
        'Referenced mirror+subset in destinationrule not found: "reviews.shop.svc.cluster.local+v9"',
      ],
      [
        'IST0101',
        'VirtualService shop/reviews',
        lineOf(text, 'subset: v3'),
        'Referenced host+subset in destinationrule not found: "reviews+v3"',
      ],
    ]);
  });

  it('is skipped when the inputs hold no DestinationRule at all', async () => {
    expect(
      await analyzeText(withoutKind(text, 'DestinationRule'), ['virtualservice.DestinationRuleAnalyzer']),
    ).toEqual([]);
  });
});

describe('virtualservice.GatewayAnalyzer', () => {
  const text = fixture('gateways.yaml');

  it('reports a gateway in another namespace that the inputs do not hold, unless declared external', async () => {
    const missing = (await analyzeText(text, ['virtualservice.GatewayAnalyzer'])).filter(
      (f) => f.origin === 'VirtualService shop/platform',
    );
    expect(brief(missing)).toEqual([
      [
        'IST0101',
        'VirtualService shop/platform',
        lineOf(text, '- istio-ingress/public'),
        'Referenced gateway not found: "istio-ingress/public"',
      ],
      [
        'IST0132',
        'VirtualService shop/platform',
        lineOf(text, '- istio-ingress/public'),
        'one or more host [shop.example.com] defined in VirtualService shop/platform not found in Gateway istio-ingress/public.',
      ],
    ]);
    const declared = await analyzeText(text, ['virtualservice.GatewayAnalyzer'], {
      external: ['Gateway istio-ingress/*'],
    });
    expect(declared.filter((f) => f.origin === 'VirtualService shop/platform')).toEqual([]);
  });

  it('finds Istio and Gateway API gateways and checks hosts', async () => {
    const findings = await analyzeText(text, ['virtualservice.GatewayAnalyzer'], {
      external: ['Gateway istio-ingress/public'],
    });
    expect(brief(findings)).toEqual([
      [
        'IST0101',
        'VirtualService shop/typo',
        lineOf(text, '- shop-gatway'),
        'Referenced gateway not found: "shop-gatway"',
      ],
      [
        'IST0132',
        'VirtualService backoffice/admin',
        lineOf(text, '- shop-gateway.shop'),
        'one or more host [admin.example.com] defined in VirtualService backoffice/admin not found in Gateway shop/shop-gateway.',
      ],
      [
        'IST0132',
        'VirtualService shop/typo',
        lineOf(text, '- shop-gatway'),
        'one or more host [shop.example.com] defined in VirtualService shop/typo not found in Gateway shop/shop-gatway.',
      ],
      [
        'IST0132',
        'VirtualService shop/wrong-host',
        lineOf(text, '- shop/shop-gateway'),
        'one or more host [api.example.com] defined in VirtualService shop/wrong-host not found in Gateway shop/shop-gateway.',
      ],
      [
        'IST0165',
        'VirtualService shop/generated',
        lineOf(text, 'istio-autogenerated-k8s-gateway'),
        'Gateway reference in VirtualService shop/generated is to an implementation-generated internal Gateway: shop/web~istio-autogenerated-k8s-gateway~http.',
      ],
    ]);
  });
});

describe('virtualservice.ConflictingMeshGatewayHostsAnalyzer', () => {
  const text = fixture('mesh-hosts.yaml');

  it('reports mesh VirtualServices claiming one host (short name or FQDN) in the same scope', async () => {
    const findings = await analyzeText(text, ['virtualservice.ConflictingMeshGatewayHostsAnalyzer']);
    const message =
      'The VirtualServices shop/reviews-retries,shop/reviews-routing associated with mesh gateway define the same host */reviews.shop.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.';
    expect(brief(findings)).toEqual([
      [
        'IST0109',
        'VirtualService shop/reviews-retries',
        lineOf(text, '- reviews.shop.svc.cluster.local'),
        message,
      ],
      ['IST0109', 'VirtualService shop/reviews-routing', lineOf(text, '- reviews'), message],
    ]);
  });
});

describe('virtualservice.JWTClaimRouteAnalyzer', () => {
  const text = fixture('jwt.yaml');

  it('needs a RequestAuthentication on every gateway workload, Deployments included', async () => {
    const findings = await analyzeText(text, ['virtualservice.JWTClaimRouteAnalyzer']);
    expect(brief(findings)).toEqual([
      [
        'IST0149',
        'VirtualService shop/plans',
        lineOf(text, '"@request.auth.claims.plan"'),
        'The virtual service uses the JWT claim based routing (key: @request.auth.claims.plan) but found no request authentication for the gateway (gateways/partners) pod (partner-gateway). The request authentication must first be applied for the gateway pods to validate the JWT token and make the claims available for routing.',
      ],
    ]);
  });

  it('without any RequestAuthentication in the inputs, reports every gateway pod (as istioctl)', async () => {
    const findings = await analyzeText(withoutKind(text, 'RequestAuthentication'), [
      'virtualservice.JWTClaimRouteAnalyzer',
    ]);
    expect(
      findings.map((f) => [
        f.code,
        f.origin,
        f.message.match(/\(gateways\/\S+\) pod \(\S+\)|\(istio-system\/\S+\) pod \(\S+\)/)?.[0],
      ]),
    ).toEqual([
      ['IST0149', 'VirtualService shop/plans', '(gateways/partners) pod (partner-gateway)'],
      ['IST0149', 'VirtualService shop/plans', '(istio-system/public) pod (istio-ingressgateway-dummypod)'],
    ]);
  });
});
