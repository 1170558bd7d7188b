/**
 * Cross-resource findings where mesh and istioctl differ on purpose (README, "Where an analyzer differs
 * from istioctl on purpose"): mesh's exact output for each, through the CLI as a user runs it. istioctl's
 * side, from the testbed's istioctl on the same files, is in the comment above each case.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFixture } from '../../support/cli.js';

const dir = join(import.meta.dirname, '../../fixtures/analyzers/differences');

const analyze = (name: string) => analyzeFixture(dir, name);

describe('mesh analyze where it differs from istioctl on purpose', () => {
  // istioctl: nothing — it ignores the DestinationRule's exportTo. The rule in `other` is exported to
  // `other` only, so the VirtualService's namespace never sees subset v1: requests to it fail there.
  it('a subset defined only by a DestinationRule the VirtualService cannot see is missing', async () => {
    const { code, lines, file } = await analyze('subset-dr-exported-elsewhere.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0101] (VirtualService bookinfo/reviews ${file}:27) Referenced host+subset in destinationrule not found: "reviews+v1"`,
      ],
    ]);
  });

  // istioctl, reading the Pods as on a cluster (offline it drops Pods and skips this analyzer): IST0173
  // for v1 and v2 — it looks for Pods only. WorkloadEntry vm1 (version: v1) is an endpoint of the
  // ServiceEntry's host, so only v2 selects nothing.
  it('a subset whose workloads are WorkloadEntries selects them', async () => {
    const { code, lines, file } = await analyze('subset-workloadentry.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0173] (DestinationRule ns1/vm ${file}:23) The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
      ],
    ]);
  });

  // istioctl, reading the Pods as on a cluster: gw1 "Conflict with gateways app/gw2,app/gw3", gw2 with
  // istio-system/gw1 only, nothing on gw3: its duplicate check adds each checked server's hosts to a
  // shared map, so the answer depends on the order and is not symmetric. *.example.com is another host
  // than a.example.com for istiod (no duplicate), so gw3 conflicts with nobody; gw1 and gw2 with each other.
  it('gateway conflicts are pairwise, and a wildcard host does not duplicate the hosts it covers', async () => {
    const { code, lines, file } = await analyze('gateway-wildcard-conflict.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0145] (Gateway istio-system/gw1 ${file}:20) Conflict with gateways app/gw2 (workload selector istio=ingressgateway, port 80, hosts a.example.com).`,
        `Error [IST0145] (Gateway app/gw2 ${file}:29) Conflict with gateways istio-system/gw1 (workload selector istio=ingressgateway, port 80, hosts a.example.com,b.example.com).`,
      ],
    ]);
  });

  // istioctl: IST0106 on v1 and IST0109 on v1 and v2 (same host ~/a.ns1.svc.cluster.local). A
  // VirtualService exported to no namespace applies nowhere: it conflicts with nothing. Its routes are
  // judged from its own namespace, as istioctl judges them (no IST0101 for the Service the inputs hold).
  it('a VirtualService exported to no namespace gets its IST0106 only', async () => {
    const { code, lines, file } = await analyze('vs-exported-nowhere.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0106] (VirtualService ns1/v1 ${file}:14) Schema validation error: exportTo "~" (visible to no namespace) is only allowed on ServiceEntry`,
      ],
    ]);
  });

  // istioctl, reading the Pods as on a cluster: nothing — it takes a Service without a selector as
  // selecting every pod. Such a Service sends no traffic to the gateway pod, so port 7000 is not reachable
  // through a Service.
  it('a Service without a selector does not expose a gateway port (IST0162)', async () => {
    const { code, lines, file } = await analyze('gateway-port-selectorless-service.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Warning [IST0162] (Gateway istio-ingress/g ${file}:19) The gateway is listening on a target port (port 7000) that is not defined in the Service associated with its workload instances (Pod selector istio=ingressgateway). If you need to access the gateway port through the gateway Service, it will not be available.`,
      ],
    ]);
  });

  // istioctl, reading the Pods as on a cluster: nothing — it applies a ProxyConfig of every namespace whose
  // name starts with the pod's (`pay-dev` to `pay`), so it expects the distroless image. Only ProxyConfigs
  // of the pod's own namespace (and the root namespace) apply.
  it("a ProxyConfig of another namespace does not set a pod's image type (IST0158)", async () => {
    const { code, lines, file } = await analyze('proxyconfig-namespace-prefix.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Warning [IST0158] (Namespace pay ${file}:13) The Istio proxy images of the pods running in the namespace do not match the image defined in the injection configuration (pod names: [x]). This often happens after upgrading the Istio control-plane and can be fixed by redeploying the pods.`,
      ],
    ]);
  });

  // istioctl, reading the Namespaces as on a cluster: IST0148 "is enabled for Istio injection" on b — the
  // canary injector's enableNamespacesByDefault, read for namespace a, is never reset. Only a default
  // revision's injector takes unlabelled namespaces, and there is none.
  it("enableNamespacesByDefault of a revision's injector does not enable unlabelled namespaces", async () => {
    const { code, lines, file } = await analyze('injection-enabled-by-default-revision.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Info [IST0102] (Namespace b ${file}:19) The namespace is not enabled for Istio injection. Run 'kubectl label namespace b istio-injection=enabled' to enable it, or 'kubectl label namespace b istio-injection=disabled' to explicitly mark it as not needing injection.`,
      ],
    ]);
  });

  // istioctl, reading the ConfigMap as on a cluster: panics (interface conversion in
  // GetEnableNamespacesByDefaultFromInjectedConfigMap) when the injector values lack sidecarInjectorWebhook.
  it('injector values without sidecarInjectorWebhook are read as enableNamespacesByDefault false', async () => {
    const { code, lines, file } = await analyze('injector-values-without-webhook.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Info [IST0102] (Namespace shop ${file}:14) The namespace is not enabled for Istio injection. Run 'kubectl label namespace shop istio-injection=enabled' to enable it, or 'kubectl label namespace shop istio-injection=disabled' to explicitly mark it as not needing injection.`,
      ],
    ]);
  });

  // istioctl: one IST0106 on the object, naming "*.a.example.com" only — its check stops at the first host
  // that is not a DNS name. *.b.example.com is refused just the same; naming each host (at its line) lets
  // the user fix them all at once.
  it('a ServiceEntry without endpoints gets an IST0106 for each host that is not a DNS name', async () => {
    const { code, lines, file } = await analyze('serviceentry-dns-hosts.yaml');
    const problem = (host: string) =>
      `Schema validation error: with resolution DNS and no endpoints, hosts must be DNS names: "${host}" is not a valid DNS name: label "*" must be 1-63 letters, digits or '-', starting and ending with a letter or digit`;
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0106] (ServiceEntry egress/partners ${file}:7) ${problem('*.a.example.com')}`,
        `Error [IST0106] (ServiceEntry egress/partners ${file}:9) ${problem('*.b.example.com')}`,
      ],
    ]);
  });
  // Istio's analyzers (the testbed's analyze-oracle; offline istioctl drops Pods): IST0125 "Invalid
  // annotation readiness.status.sidecar.istio.io/initialDelaySeconds: strconv.ParseUint: parsing "bar":
  // invalid syntax" — Go's parser error. The same finding, worded for the user.
  it('IST0125 says what is wrong with an annotation value in words', async () => {
    const { code, lines, file } = await analyze('annotation-value-words.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Warning [IST0125] (Pod shop/web ${file}:7) Invalid annotation readiness.status.sidecar.istio.io/initialDelaySeconds: "bar" is not a non-negative integer`,
      ],
    ]);
  });

  // Istio's analyzers (the testbed's analyze-oracle): IST0140 four times — on `both` (against itself),
  // `edge-plain` (against `edge-split`, bound to a gateway only), `ledger-alias` (bound to the mesh only,
  // named an "ingress gateway") and `search-edge`. It pairs any VirtualService that lists `gateways:` and
  // routes without subset with any that routes one of its hosts by subset, hosts compared as written.
  // mesh warns where gateway traffic really misses subset routing the sidecars follow: a route of a
  // VirtualService bound to a gateway, against another VirtualService bound to the mesh.
  it('IST0140 only for a gateway route that bypasses the subsets of a mesh VirtualService', async () => {
    const { code, lines, file } = await analyze('ingress-subset-bypass.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Warning [IST0140] (VirtualService shop/search-edge ${file}:80) Subset in virtual service shop/search has no effect on ingress gateway shop/search-edge requests`,
      ],
    ]);
  });

  // istioctl: IST0101 for api.example.com+v2, ledger.example.org+v1 and pay.example.com+v2 — it matches
  // DestinationRule hosts as written, so the rule for *.example.com defines no subset of api.example.com,
  // and an external host's rules only in the VirtualService's namespace (ledger's is in partners-config).
  // istiod applies the most specific rule it can see: *.example.com's (v1, v2) to api.example.com,
  // ledger's (exported to all) to ledger.example.org, pay's own (v1 only) to pay.example.com.
  it('a subset is looked up in the DestinationRule istiod applies, wildcard hosts included', async () => {
    const { code, lines, file } = await analyze('subset-wildcard-dr.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0101] (VirtualService shop/partners ${file}:54) Referenced host+subset in destinationrule not found: "pay.example.com+v2"`,
      ],
    ]);
  });

  // istioctl: IST0106 `duplicate hosts in virtual service: cart & cart`; IST0109 on shop/twice naming
  // "shop/twice,shop/twice"; IST0109 on reviews/all and reviews/wide naming
  // "reviews/all,reviews/all,reviews/wide" (once per host of reviews/all that *.reviews.svc.cluster.local
  // covers). mesh names each VirtualService once, and a host listed twice in one VirtualService is that
  // IST0106, not a conflict of the VirtualService with itself.
  it('IST0109 names each VirtualService once and no VirtualService conflicts with itself', async () => {
    const { code, lines, file } = await analyze('vs-host-twice.yaml');
    const words =
      'associated with mesh gateway define the same host reviews/*.reviews.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.';
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0106] (VirtualService shop/twice ${file}:27) Schema validation error: duplicate host "cart" (also hosts[0])`,
        `Error [IST0109] (VirtualService reviews/all ${file}:8) The VirtualServices reviews/all,reviews/wide ${words}`,
        `Error [IST0109] (VirtualService reviews/wide ${file}:17) The VirtualServices reviews/all,reviews/wide ${words}`,
      ],
    ]);
  });

  // Istio's analyzers (the testbed's analyze-oracle): IST0173 for nothing — it matches a subset against
  // the Pods of every namespace, so ledger-v1 in `other` counts for v1. A ServiceEntry's workloadSelector
  // picks workloads of its own namespace only: no endpoint of ledger.example.com has version v1.
  it('a subset is judged by the workloads of the service namespace only (IST0173)', async () => {
    const { code, lines, file } = await analyze('subset-other-namespace.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0173] (DestinationRule payments/ledger ${file}:21) The Subset v1 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
      ],
    ]);
  });

  // Istio's analyzers (the testbed's analyze-oracle): nothing — for a Kubernetes Service it matches the
  // subset's labels alone, so web-v2 (another app) counts for v2.
  it("a Kubernetes Service's subset is judged by the Service's own pods (IST0173)", async () => {
    const { code, lines, file } = await analyze('subset-other-app.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0173] (DestinationRule shop/ratings ${file}:16) The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
      ],
    ]);
  });

  // istioctl: also IST0133 `using deprecated types by name without typed_config; envoy.filters.http.lua`,
  // which it gives for every patch value of a filter without typed_config (a MERGE into `{}` too). A
  // MERGE changes a filter that is there with its typed_config; mesh warns only about a filter a patch adds.
  it('a MERGE patch value without typed_config is no filter "by name"', async () => {
    const { code, lines, file } = await analyze('envoyfilter-merge-name.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Warning [IST0133] (EnvoyFilter shop/lua-merge ${file}:1) Schema validation warning: EnvoyFilter patches the generated Envoy configuration directly, and that configuration can change between Istio releases: use a higher-level Istio API when one covers the need, and re-test this filter on every upgrade`,
      ],
    ]);
  });
});
