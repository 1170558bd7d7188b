// Differential test against Istio's own analyzers with Pods, Services, Namespaces and Secrets kept: the
// testbed's analyze-oracle (scripts/testbed/istio/analyze-oracle) loads files as upstream's analyzer tests
// do, which `istioctl analyze --use-kube=false` cannot (it drops those kinds and skips the ~21 analyzers
// that read them), and runs every analyzer istioctl registers, all namespaces. mesh analyzes the same
// files (`analyze -A -o json`); the Istio findings must be the same (code, level, object, words; for
// IST0002/IST0106/IST0133, which mesh words in its own terms, the words' prefix), each distinct finding
// once (istioctl dedupes; mesh's JSON keeps one per field). mesh's own MSH codes are not compared.
// Inputs: each case of the upstream corpus (../shared/conformance/istio-analyze) on its own, with its mesh
// config and networks, plus the corpus files no case reads, and fixtures/analyze-oracle-workloads.yaml.
// Every difference is listed below with the place it is documented (or, for Istio's analyzers on objects
// real istioctl never sees so, why no user meets it); an entry that no longer occurs is an error (stale).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { requireBinary } from './support/testbed.js';

// a clear line naming the setup command when the cache lacks it (spawn's ENOENT named only the path)
const ORACLE = requireBinary(inject('testbed').binDir, 'analyze-oracle');
const ROOT = join(import.meta.dirname, '../../../shared/conformance/istio-analyze');
/** The default ingress gateway Pod and Service upstream's harness adds (as the conformance replay passes it). */
const INGRESS = join(import.meta.dirname, '../conformance/fixtures/istio-ingressgateway.yaml');
const WORKLOADS = join(import.meta.dirname, 'fixtures/analyze-oracle-workloads.yaml');

interface Finding {
  code: string;
  level: string;
  origin?: string;
  message: string;
}
interface Run {
  /** How the test names the input: the case files' names (and the mesh config's). */
  name: string;
  files: string[];
  meshConfigFile?: string;
  meshNetworksFile?: string;
  /** Extra files for mesh only (the oracle adds the default ingress gateway itself). */
  meshOnly: string[];
}
interface Case {
  inputFiles: string[];
  meshConfigFile: string | null;
  meshNetworksFile: string | null;
  clusters?: unknown;
}
interface Allowed {
  input: string;
  only: 'oracle' | 'mesh';
  /** The compared key (see `compared`), or a pattern with the number of keys it stands for. */
  key: string | RegExp;
  count?: number;
  why: string;
  /** Go map order in istioctl: the difference happens only in some runs. */
  sometimes?: boolean;
}

const OWN_WORDS = new Set(['IST0002', 'IST0106', 'IST0133']);
const full = (f: Finding) => `${f.code} ${f.level} ${f.origin ?? ''}: ${f.message}`;
const compared = (f: Finding) =>
  OWN_WORDS.has(f.code) ? `${f.code} ${f.level} ${f.origin ?? ''}: ${f.message.split(':')[0]}` : full(f);
/** Each distinct finding once, as its compared key. */
const keys = (fs: Finding[]) => [...new Map(fs.map((f) => [full(f), f])).values()].map(compared).sort();
/** a − b, as multisets. */
function minus(a: string[], b: string[]): string[] {
  const rest = [...b];
  return a.filter((k) => {
    const i = rest.indexOf(k);
    if (i < 0) return true;
    rest.splice(i, 1);
    return false;
  });
}

// Where each difference is documented.
const HOST =
  'README, "What mesh claims is missing": a cluster host is reported missing only where the inputs hold Services of its namespace, an external host only where they hold ServiceEntries';
const SUBSET =
  'README, "What mesh claims is missing": a destination subset is reported missing only when the inputs hold DestinationRules';
const WORKLOADS_RULE =
  'README, "What mesh claims is missing": workloads a selector picks (IST0127, IST0101 selector on Sidecar/Telemetry, IST0173) are judged only in namespaces where the inputs hold a workload';
const FILE_SCHEMA =
  'fixtures/analyze-overlay-deviations.json: the API server refuses this object (unknown field, a name that is not a DNS label); in files mesh checks that schema too (IST0106), istioctl does not';
const TEMPLATE_ANNOTATIONS =
  "fixtures/analyze-cluster-deviations.json: mesh checks the annotations of pod templates as those of Pods; istioctl only a Deployment's own";
const STAR_SLASH =
  'README, differences table, IST0145: mesh compares the hosts istiod serves (it drops a `*/` prefix)';
const GATEWAY_API =
  'README and fixtures/analyze-overlay-deviations.json: istioctl looks only for Istio Gateways (istio/istio#60708)';
const MAP_ORDER =
  'fixtures/analyze-cluster-deviations.json: istioctl lists these in Go map order, which changes from run to run';

const ALLOWED: Allowed[] = [
  // documented rules for files
  ...[
    ['virtualservice_conflictingmeshgatewayhosts.yaml', 10],
    ['virtualservice_conflictingmeshgatewayhosts_with_exportto.yaml', 8],
    ['virtualservice_destinationrules.yaml', 7],
    ['virtualservice_internal_gateway_ref.yaml', 1],
    ['virtualservice_dupmatches.yaml + virtualservice_overlappingmatches.yaml', 21],
    ['virtualservice_host_not_found_gateway.yaml', 9],
    ['virtualservice_host_not_found_gateway_beta.yaml', 9],
    ['virtualservice_host_not_found_gateway_with_ns_prefix.yaml', 4],
    ['virtualservice_host_not_found_gateway_with_ns_prefix_beta.yaml', 4],
  ].map(([input, count]): Allowed => ({
    input: input as string,
    only: 'oracle',
    key: /^IST0101 Error VirtualService \S+: Referenced (mirror )?host not found: /,
    count: count as number,
    why: HOST,
  })),
  ...[
    ['virtualservice_destinationhosts.yaml', 10],
    ['virtualservice_dupmatches.yaml + virtualservice_overlappingmatches.yaml', 11],
  ].map(([input, count]): Allowed => ({
    input: input as string,
    only: 'oracle',
    key: /^IST0101 Error VirtualService \S+: Referenced (host|mirror)\+subset in destinationrule not found: /,
    count: count as number,
    why: SUBSET,
  })),
  ...[
    ['virtualservice_destinationrules.yaml', 'DestinationRule default/reviews', 'reviews'],
    [
      'destinationrule-with-fake-host.yaml',
      'DestinationRule default/fake-host',
      'fake-svc.default.svc.cluster.local',
    ],
    ...[
      'destinationrule-simple-destination',
      'destinationrule-simple-port',
      'destinationrule-simple-destination-credentialname',
      'destinationrule-simple-destination-credentialname-selector',
      'destinationrule-simple-port-credentialname',
      'destinationrule-simple-port-credentialname-selector',
    ].map((f) => [`${f}.yaml`, 'DestinationRule db-tls', 'mydbserver.prod.svc.cluster.local']),
    ...[
      'destinationrule-mutual-destination',
      'destinationrule-mutual-port',
      'destinationrule-compound-simple-mutual',
      'destinationrule-compound-mutual-simple',
      'destinationrule-with-ca',
    ].map((f) => [`${f}.yaml`, 'DestinationRule db-mtls', 'mydbserver.prod.svc.cluster.local']),
  ].map(([input, origin, host]): Allowed => ({
    input: input!,
    only: 'oracle',
    key: `IST0174 Warning ${origin}: The host ${host} defined in the DestinationRule does not match any services in the mesh.`,
    why: HOST,
  })),
  ...(
    [
      ['authorizationpolicies.yaml', 'AuthorizationPolicy httpbin-empty/httpbin-empty-namespace-wide'],
      ['condition-analyzer.yaml', 'AuthorizationPolicy default/negative-condition-authz'],
      ['condition-analyzer.yaml', 'AuthorizationPolicy default/negative-condition-authz-partially-invalid'],
    ] as const
  ).map(([input, origin]): Allowed => ({
    input,
    only: 'oracle',
    key: `IST0127 Warning ${origin}: No matching workloads for this resource with the following labels: `,
    why: WORKLOADS_RULE,
  })),
  ...(
    [
      ['virtualservice_route_rule_no_effects_ingress.yaml', 'DestinationRule default/ratings', 'v1'],
      [
        'destinationrule-subsets-not-select-pods.yaml',
        'DestinationRule default/subsets-not-select-pods',
        'fake',
      ],
    ] as const
  ).map(([input, origin, subset]): Allowed => ({
    input,
    only: 'oracle',
    key: `IST0173 Error ${origin}: The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
    why: WORKLOADS_RULE,
  })),
  {
    input: 'telemetry-default-selector.yaml',
    only: 'oracle',
    key: 'IST0101 Error Telemetry ns1/has-selector: Referenced selector not found: "app=foo"',
    why: WORKLOADS_RULE,
  },
  // documented deliberate differences
  ...[
    ['deprecation.yaml', 'EnvoyFilter istio-system/istio-multicluster-egressgateway'],
    ['deprecation.yaml', 'EnvoyFilter istio-system/istio-multicluster-egressgateway'],
    ['gateway-secrets.yaml', 'Gateway defaultgateway-bogusCredentialName'],
    ['envoy-filter-add-operation.yaml', 'EnvoyFilter bookinfo/test-auth-4'],
    ['envoy-filter-add-operation.yaml', 'EnvoyFilter bookinfo/test-auth-5'],
  ].map(([input, origin]): Allowed => ({
    input: input!,
    only: 'mesh',
    key: `IST0106 Error ${origin}: Schema validation error`,
    why: FILE_SCHEMA,
  })),
  ...['injection-disabled-ns/ann-enabled-ns-disabled', 'bookinfo/deployment-out-mesh'].map(
    (name): Allowed => ({
      input: 'deployment-multi-service.yaml',
      only: 'mesh',
      key: `IST0135 Info Deployment ${name}: Annotation "sidecar.istio.io/inject" has been deprecated in favor of the "sidecar.istio.io/inject" label and may not work in future Istio versions.`,
      why: TEMPLATE_ANNOTATIONS,
    }),
  ),
  ...[
    'virtualservice_host_not_found_gateway_with_ns_prefix.yaml',
    'virtualservice_host_not_found_gateway_with_ns_prefix_beta.yaml',
  ].flatMap((input): Allowed[] => [
    {
      input,
      only: 'mesh',
      key: 'IST0145 Error Gateway istio-system/testing-gateway-2: Conflict with gateways istio-system/testing-gateway-4 (workload selector istio=ingressgateway, port 80, hosts */testing-01.com).',
      why: STAR_SLASH,
    },
    {
      input,
      only: 'mesh',
      key: 'IST0145 Error Gateway istio-system/testing-gateway-4: Conflict with gateways istio-system/testing-gateway-2 (workload selector istio=ingressgateway, port 80, hosts testing-01.com).',
      why: STAR_SLASH,
    },
  ]),
  ...[
    'IST0101 Error VirtualService default/my-vs-host-mismatch: Referenced gateway not found: "default/my-gateway"',
    'IST0101 Error VirtualService default/my-vs: Referenced gateway not found: "default/my-gateway"',
    'IST0132 Warning VirtualService default/my-vs: one or more host [example.com] defined in VirtualService default/my-vs not found in Gateway default/my-gateway.',
  ].map((key): Allowed => ({
    input: 'virtualservice_kubernetes_gateways.yaml',
    only: 'oracle',
    key,
    why: GATEWAY_API,
  })),
  ...(['oracle', 'mesh'] as const).flatMap((only): Allowed[] => [
    {
      input: 'blocked-cidrs-missing.yaml',
      only,
      key: /^IST0175 Warning Deployment istio-system\/istiod: BLOCKED_CIDRS_IN_JWKS_URIS is not configured but 2 RequestAuthentication resource\(s\) exist /,
      why: MAP_ORDER,
      sometimes: true,
    },
    {
      input: 'virtualservice_conflictingmeshgatewayhosts.yaml',
      only,
      key: /^IST0109 Error VirtualService bar\/ratings: The VirtualServices bar\/ratings,(foo|team2)\/ratings associated with mesh gateway /,
      why: MAP_ORDER,
      sometimes: true,
    },
  ]),
];

/**
 * Found by this test: a wording and a rule since documented, and Istio's analyzers on objects real istioctl
 * never sees so (no difference a user meets).
 */
const HARNESS_AND_RULES: Allowed[] = [
  {
    input: 'misannotated.yaml',
    only: 'oracle',
    key: 'IST0125 Warning Pod invalid-annotations: Invalid annotation readiness.status.sidecar.istio.io/initialDelaySeconds: strconv.ParseUint: parsing "bar": invalid syntax',
    why: 'README, differences table, IST0125: mesh words the problem, istioctl prints the Go parser error',
  },
  {
    input: 'misannotated.yaml',
    only: 'mesh',
    key: 'IST0125 Warning Pod invalid-annotations: Invalid annotation readiness.status.sidecar.istio.io/initialDelaySeconds: "bar" is not a non-negative integer',
    why: 'as above',
  },
  // Istio's analyzers on objects that real istioctl never sees so (offline it drops Pods; a cluster's Pods
  // all have a namespace): gateway.SecretAnalyzer takes a Gateway whose pods have no namespace as selecting
  // nothing, and gateway.ConflictingGatewayAnalyzer a Gateway without servers.
  ...[
    ['gateway-custom-ingressgateway.yaml', 'httpbin-gateway', 'myapp=private-ingressgateway'],
    ['gateway-custom-ingressgateway-badport.yaml', 'httpbin-gateway', 'myapp=private-ingressgateway'],
    [
      'gateway-custom-ingressgateway-badport-notarget.yaml',
      'httpbin-gateway',
      'myapp=private-ingressgateway',
    ],
    ['gateway-custom-ingressgateway-translation.yaml', 'httpbin-gateway', 'myapp=private-ingressgateway'],
    ['gateway-custom-ingressgateway-svcselector.yaml', 'httpbin8001-gateway', 'myapp=ingressgateway-8001'],
    ['gateway-custom-ingressgateway-svcselector.yaml', 'httpbin8002-gateway', 'myapp=ingressgateway-8001'],
    ['conflicting-gateways-subSelector.yaml', 'alpha', 'cusKey=cusValue,istio=ingressgateway'],
    [
      'conflicting-gateways-subSelector.yaml',
      'beta',
      'app=istio-ingressgateway,cusKey=cusValue,istio=ingressgateway',
    ],
  ].map(([input, gw, selector]): Allowed => ({
    input: input!,
    only: 'oracle',
    key: `IST0101 Error Gateway ${gw}: Referenced selector not found: "${selector}"`,
    why: 'gateway.SecretAnalyzer: the selected pods have no namespace, which Istio reads as no pod; mesh finds them',
  })),
  ...['another/crossnamespace-gw', 'httpbin-gateway'].map((gw): Allowed => ({
    input: 'virtualservice_gateways.yaml',
    only: 'oracle',
    key: `IST0101 Error Gateway ${gw}: Referenced selector not found: "istio=ingressgateway"`,
    why: 'gateway.ConflictingGatewayAnalyzer: a Gateway without servers (itself IST0106) is said to select nothing; the default ingress gateway pod matches',
  })),
  ...[
    ['alpha', 'cusKey=cusValue,istio=ingressgateway'],
    ['beta', 'app=istio-ingressgateway,cusKey=cusValue,istio=ingressgateway'],
  ].map(([gw, selector]): Allowed => ({
    input: 'conflicting-gateways-subSelector.yaml',
    only: 'oracle',
    key: `IST0162 Warning Gateway ${gw}: The gateway is listening on a target port (port 80) that is not defined in the Service associated with its workload instances (Pod selector ${selector}). If you need to access the gateway port through the gateway Service, it will not be available.`,
    why: 'README, "What mesh claims is missing": offline a gateway port is judged only against Services in the inputs that select the gateway pods, here none',
  })),
];

function corpusRuns(): Run[] {
  const rel = (f: string) => join(ROOT, f);
  const cases = (JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8')) as Case[]).filter(
    (c) => !c.clusters,
  );
  const runs = new Map<string, Run>();
  const read = new Set<string>();
  for (const c of cases) {
    c.inputFiles.forEach((f) => read.add(f));
    for (const f of [c.meshConfigFile, c.meshNetworksFile]) if (f) read.add(f);
    const name =
      c.inputFiles.map((f) => basename(f)).join(' + ') +
      (c.meshConfigFile ? ` (mesh config ${basename(c.meshConfigFile)})` : '') +
      (c.meshNetworksFile ? ` (mesh networks ${basename(c.meshNetworksFile)})` : '');
    runs.set(name, {
      name,
      files: c.inputFiles.map(rel),
      meshConfigFile: c.meshConfigFile ? rel(c.meshConfigFile) : undefined,
      meshNetworksFile: c.meshNetworksFile ? rel(c.meshNetworksFile) : undefined,
      meshOnly: [INGRESS],
    });
  }
  // The files no case reads, but the mesh config one (mesh-with-automtls.yaml: not a Kubernetes object)
  for (const f of readdirSync(join(ROOT, 'testdata')).sort()) {
    const path = `testdata/${f}`;
    if (!f.endsWith('.yaml') || read.has(path) || f.startsWith('mesh-with-')) continue;
    runs.set(f, { name: f, files: [rel(path)], meshOnly: [INGRESS] });
  }
  return [...runs.values()];
}

/** One analyze-oracle process for all runs (`-batch`). */
function oracle(runs: Run[]): Promise<Array<{ findings: Finding[]; error?: string }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(ORACLE, ['-batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`analyze-oracle exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin.end(
      JSON.stringify(
        runs.map((r) => ({
          files: r.files,
          meshConfigFile: r.meshConfigFile,
          meshNetworksFile: r.meshNetworksFile,
        })),
      ),
    );
  });
}

async function mesh(r: Run): Promise<Finding[]> {
  const args = ['analyze', '-A', '-o', 'json'];
  if (r.meshConfigFile) args.push('--meshConfigFile', r.meshConfigFile);
  if (r.meshNetworksFile) args.push('--meshNetworksFile', r.meshNetworksFile);
  const out = await runCli([...args, ...r.files, ...r.meshOnly]);
  return (JSON.parse(out.stdout) as { findings: Finding[] }).findings.filter((f) => f.code.startsWith('IST'));
}

describe("mesh analyze against Istio's analyzers, with Pods, Services, Namespaces and Secrets kept", () => {
  it('reports the same Istio findings on every upstream case and on a workload-heavy fixture', async () => {
    const runs = [
      ...corpusRuns(),
      { name: 'analyze-oracle-workloads.yaml', files: [WORKLOADS], meshOnly: [] },
    ];
    const results = await oracle(runs);
    expect(results).toHaveLength(runs.length);

    const listed = [...ALLOWED, ...HARNESS_AND_RULES].map((a) => ({ ...a, used: 0 }));
    for (const a of listed)
      expect(
        runs.some((r) => r.name === a.input),
        `no input ${a.input}`,
      ).toBe(true);
    const unexplained: string[] = [];
    let compared = 0;
    for (const [i, run] of runs.entries()) {
      expect(results[i]!.error, run.name).toBeUndefined();
      const theirs = keys(results[i]!.findings);
      const ours = keys(await mesh(run));
      compared += theirs.length;
      for (const [only, diff] of [
        ['oracle', minus(theirs, ours)],
        ['mesh', minus(ours, theirs)],
      ] as const) {
        for (const k of diff) {
          const a = listed.find(
            (x) =>
              x.input === run.name &&
              x.only === only &&
              x.used < (x.count ?? 1) &&
              (typeof x.key === 'string' ? x.key === k : x.key.test(k)),
          );
          if (a) a.used++;
          else unexplained.push(`${run.name}: only ${only}: ${k}`);
        }
      }
    }
    expect(unexplained).toEqual([]);
    // stale entries: a listed difference that no longer occurs (Go-map-order ones need not occur every run)
    const stale = listed
      .filter((a) => (a.sometimes ? a.used > (a.count ?? 1) : a.used !== (a.count ?? 1)))
      .map((a) => `${a.input}: only ${a.only}: ${String(a.key)} (listed ${a.count ?? 1}, found ${a.used})`);
    expect(stale).toEqual([]);
    // the workload fixture is answered the same, finding for finding
    expect(keys(results.at(-1)!.findings)).toEqual(keys(await mesh(runs.at(-1)!)));
    // … and exercises the analyzers that read Pods, Services, Namespaces and Secrets
    expect([...new Set(results.at(-1)!.findings.map((f) => f.code))].sort()).toEqual([
      'IST0101', // a Gateway and a Sidecar selecting no pod, a missing credentialName Secret, host, subset, namespace
      'IST0102', // namespaces not labelled for injection
      'IST0103', // pods without their sidecar
      'IST0110', // two Sidecars selecting one pod
      'IST0112', // a destination without a port on a Service of two ports
      'IST0118', // Service port names
      'IST0127', // AuthorizationPolicies selecting no workload
      'IST0133',
      'IST0144', // UID 1337 in a Pod and in a Deployment's template
      'IST0147', // an `image: auto` gateway pod no injector selects
      'IST0161', // a credentialName Secret that holds no certificate
      'IST0162', // a gateway port its Service does not expose
      'IST0173', // a DestinationRule subset selecting no pod
      'IST0174', // a DestinationRule host no Service has
    ]);
    expect(compared).toBeGreaterThan(400);
  });
});
