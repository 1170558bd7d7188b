// Differences from `istioctl kube-inject` (the testbed's, offline on mesh's own injector ConfigMap, mesh
// config and values) that were mesh bugs: what istiod's injector does after its template and mesh did not.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../support/cli.js';
import { env, proxyOf, scratch } from './kube-inject-run.js';

const FIX = 'test/fixtures/kube-inject';
const MESH = `${FIX}/mesh.yaml`;

async function inject(file: string, ...extra: string[]): Promise<Array<Record<string, any>>> {
  const r = await runCli(['kube-inject', '-f', `${FIX}/${file}`, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => {
    const o = d.toJS() as Record<string, any>;
    return o.kind === 'Pod' ? o : o.spec.template;
  });
}
const names = (list: Array<{ name: string }> | undefined) => (list ?? []).map((c) => c.name);

describe('kube-inject as istiod injects (istioctl as the oracle)', () => {
  it("puts istio-init after the pod's own init containers, so they are not cut off the network", async () => {
    const [pod] = await inject('init-containers.yaml');
    expect(names(pod!.spec.initContainers)).toEqual(['setup', 'istio-init']);
  });

  it('with the proxy as a native sidecar, istio-init and the proxy go first', async () => {
    const [pod] = await inject('init-containers.yaml', '--injectConfigFile', `${FIX}/native-init.yaml`);
    expect(names(pod!.spec.initContainers)).toEqual(['istio-init', 'istio-proxy', 'setup']);
  });

  it("merges the pod's own istio-proxy over the template's field by field, as a strategic merge", async () => {
    const [pod] = await inject('existing-proxy.yaml');
    const proxy = proxyOf(pod!.spec);
    expect(proxy.image).toBe('my/proxy:debug');
    // the template's requests and cpu limit stay, the pod's memory limit wins
    expect(proxy.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '2000m', memory: '2Gi' },
    });
    // env is merged by name: the template's variables stay, the pod's override or add
    const vars = env(proxy);
    expect(vars).toMatchObject({ PILOT_CERT_PROVIDER: 'istiod', TRUST_DOMAIN: 'example.org', EXTRA: '1' });
    expect(names(proxy.env).filter((n: string) => n === 'TRUST_DOMAIN')).toHaveLength(1);
    expect(proxy.args[0]).toBe('proxy');
    expect(names(pod!.spec.containers)).toEqual(['app', 'istio-proxy']);
  });

  it("keeps the template's image for a container of the pod written with `image: auto`", async () => {
    const [pod] = await inject('proxy-auto-image.yaml');
    const proxy = proxyOf(pod!.spec);
    const init = pod!.spec.initContainers.find((c: any) => c.name === 'istio-init');
    // the image the template names, as for a pod that does not write the container
    expect(proxy.image).toBe('docker.io/istio/proxyv2:1.30.0');
    expect(init.image).toBe('docker.io/istio/proxyv2:1.30.0');
    // the pod's other fields are still laid over the template's
    expect(proxy.args).toEqual(['proxy', 'sidecar', '--concurrency', '4']);
    expect(init.resources.limits.cpu).toBe('500m');
  });

  it("runs istio-init's iptables rules for the user the pod's own istio-proxy runs as", async () => {
    const [user, tproxy, groupOnly] = await inject('proxy-user.yaml');
    const init = (pod: any) => pod.spec.initContainers.find((c: any) => c.name === 'istio-init');
    const uidArg = (pod: any) => init(pod).args[init(pod).args.indexOf('-u') + 1];
    // the proxy's traffic (that user's) is the traffic the rules let out unredirected
    expect(uidArg(user)).toBe('2100');
    expect(proxyOf(user!.spec).securityContext).toMatchObject({ runAsUser: 2100, runAsGroup: 2100 });
    expect(init(user).securityContext).toMatchObject({ runAsUser: 0, runAsGroup: 0 });
    // TPROXY needs the proxy to run as root: the user goes to the rules only
    expect(uidArg(tproxy)).toBe('2100');
    expect(proxyOf(tproxy!.spec).securityContext).toMatchObject({ runAsUser: 0, runAsGroup: 1337 });
    // a group alone changes no rule; the other pods keep the template's user
    expect(uidArg(groupOnly)).toBe('1337');
    expect(proxyOf(groupOnly!.spec).securityContext).toMatchObject({ runAsUser: 1337, runAsGroup: 3000 });
  });

  it("puts the template's volumes before the pod's, as istiod's strategic merge does", async () => {
    const [pod] = await inject('volumes.yaml');
    const vols = names(pod!.spec.volumes);
    expect(vols.slice(-2)).toEqual(['config', 'cache']);
    expect(vols[0]).toBe('workload-socket');
  });

  it('with a mesh config, merges metrics as istiod does (enablePrometheusMerge, its default)', async () => {
    const [pod] = await inject('prometheus.yaml', '--meshConfigFile', MESH);
    expect(pod!.metadata.annotations).toMatchObject({
      'prometheus.io/port': '15020',
      'prometheus.io/path': '/stats/prometheus',
      'prometheus.io/scrape': 'true',
    });
    expect(env(proxyOf(pod!.spec)).ISTIO_PROMETHEUS_ANNOTATIONS).toBe(
      '{"scrape":"true","path":"/metrics","port":"9102"}',
    );
    // a pod that did not ask to be scraped gets the annotations, the proxy no scrape settings
    const [plain] = await inject('init-containers.yaml', '--meshConfigFile', MESH);
    expect(plain!.metadata.annotations['prometheus.io/port']).toBe('15020');
    expect(env(proxyOf(plain!.spec)).ISTIO_PROMETHEUS_ANNOTATIONS).toBeUndefined();
  });

  it('no metrics merge for a pod that opts out or a mesh config that turns it off; without a mesh config, the default (on)', async () => {
    const offOnPod = await inject('prometheus-off.yaml', '--meshConfigFile', MESH);
    expect(offOnPod.map((p) => p.metadata.annotations['prometheus.io/port'])).toEqual([undefined, undefined]);
    expect(offOnPod[0]!.metadata.annotations['prometheus.io/scrape']).toBe('false');
    const off = scratch('mesh-prom-').file('mesh.yaml', 'enablePrometheusMerge: false\n');
    const [a] = await inject('prometheus.yaml', '--meshConfigFile', off);
    expect(a!.metadata.annotations['prometheus.io/port']).toBe('9102');
    expect(env(proxyOf(a!.spec)).ISTIO_PROMETHEUS_ANNOTATIONS).toBeUndefined();
    // no mesh config: the one mesh installs, istiod's defaults (as the cluster's ConfigMaps give)
    const [b] = await inject('prometheus.yaml');
    expect(b!.metadata.annotations['prometheus.io/port']).toBe('15020');
    expect(env(proxyOf(b!.spec)).ISTIO_PROMETHEUS_ANNOTATIONS).toBeDefined();
  });

  it('rewrites the probes of a pod asking for it to the agent, as istiod (same ISTIO_KUBE_APP_PROBERS)', async () => {
    const [pod] = await inject('rewrite-probes.yaml');
    const [web, side] = pod!.spec.containers;
    expect(web.readinessProbe).toEqual({
      httpGet: {
        path: '/app-health/web/readyz',
        port: 15020,
        scheme: 'HTTP',
        httpHeaders: [{ name: 'X-Probe', value: '1' }],
      },
      timeoutSeconds: 5,
      periodSeconds: 7,
    });
    expect(web.livenessProbe).toEqual({
      httpGet: { path: '/app-health/web/livez', port: 15020 },
      initialDelaySeconds: 3,
    });
    expect(side.startupProbe).toEqual({ httpGet: { path: '/app-health/side/startupz', port: 15020 } });
    expect(side.livenessProbe).toEqual({ exec: { command: ['true'] } });
    // istioctl's value, byte for byte (a probe already on the status port is not run by the agent)
    expect(env(proxyOf(pod!.spec)).ISTIO_KUBE_APP_PROBERS).toBe(
      '{"/app-health/side/startupz":{"grpc":{"port":9000,"service":"health"}},"/app-health/web/livez":{"tcpSocket":{"port":9901}},"/app-health/web/readyz":{"httpGet":{"path":"/ready","port":8080,"scheme":"HTTPS","httpHeaders":[{"name":"X-Probe","value":"1"}]},"timeoutSeconds":5}}',
    );
    // without the annotation (mesh's values have rewriteAppHTTPProbe off) the probes stay
    const [plain] = await inject('init-containers.yaml');
    expect(env(proxyOf(plain!.spec)).ISTIO_KUBE_APP_PROBERS).toBeUndefined();
  });

  it("gives each pod of a file its own proxy: one pod's metrics and probes do not reach the next's", async () => {
    const [first, second, third] = await inject('two-scraped-pods.yaml');
    const added = (pod: any) =>
      proxyOf(pod.spec).env.filter((e: any) => e.name.startsWith('ISTIO_P') || e.name.startsWith('ISTIO_K'));
    expect(added(first)).toEqual([
      { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: '{"scrape":"true","path":"","port":"9100"}' },
      {
        name: 'ISTIO_KUBE_APP_PROBERS',
        value: '{"/app-health/one/readyz":{"httpGet":{"path":"/healthz","port":8000}}}',
      },
    ]);
    expect(added(second)).toEqual([
      { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: '{"scrape":"true","path":"","port":"9200"}' },
    ]);
    expect(added(third)).toEqual([]);
  });

  it("reads each pod's proxy.istio.io/config over the mesh config: the proxy's place, status port and metadata", async () => {
    const [hold, port, strport] = await inject('proxy-config.yaml', '--meshConfigFile', MESH);
    // holdApplicationUntilProxyStarts: the application waits for the proxy, which goes first
    expect(names(hold!.spec.containers)).toEqual(['istio-proxy', 'app']);
    expect(proxyOf(hold!.spec).lifecycle).toEqual({
      postStart: { exec: { command: ['pilot-agent', 'wait'] } },
    });
    // statusPort: metrics and the rewritten probes go to the agent's port the annotation names
    expect(port!.metadata.annotations['prometheus.io/port']).toBe('15030');
    expect(port!.spec.containers[0].readinessProbe).toEqual({
      httpGet: { path: '/app-health/app/readyz', port: 15030 },
    });
    expect(env(proxyOf(port!.spec)).ISTIO_KUBE_APP_PROBERS).toBe(
      '{"/app-health/app/readyz":{"httpGet":{"path":"/ready","port":8080}}}',
    );
    // merged over the mesh config's defaultConfig, proxyMetadata key by key
    expect(JSON.parse(env(proxyOf(port!.spec)).PROXY_CONFIG)).toEqual({
      discoveryAddress: 'istiod.istio-system.svc:15012',
      statusPort: 15030,
      proxyMetadata: { FOO: 'bar' },
    });
    expect(env(proxyOf(port!.spec)).FOO).toBe('bar');
    // an int32 written as a string, as protobuf's JSON reads it
    expect(strport!.metadata.annotations['prometheus.io/port']).toBe('15031');
    expect(names(strport!.spec.containers)).toEqual(['app', 'istio-proxy']);
  });

  it('refuses a pod whose injector annotations istiod refuses, naming the annotation (exit 65)', async () => {
    const dir = scratch('mesh-ann-');
    const pod = (name: string, annotation: string) =>
      dir.file(
        `${name}.yaml`,
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  annotations:\n    ${annotation}\nspec:\n  containers:\n    - name: a\n      image: a:1\n`,
      );
    const cases: Array<[string, string, string]> = [
      [
        'ports',
        'traffic.sidecar.istio.io/excludeOutboundPorts: "5432,70000"',
        'traffic.sidecar.istio.io/excludeOutboundPorts is not a value istiod\'s injector accepts: "70000" is not a port number (0-65535)',
      ],
      [
        'mode',
        'sidecar.istio.io/interceptionMode: tproxy',
        'sidecar.istio.io/interceptionMode is not a value istiod\'s injector accepts: "tproxy" is not one of REDIRECT, TPROXY, NONE',
      ],
      [
        'cpu',
        'sidecar.istio.io/proxyCPU: half',
        'sidecar.istio.io/proxyCPU is not a value istiod\'s injector accepts: "half" is not a resource quantity (e.g. 100m, 128Mi)',
      ],
    ];
    for (const [name, annotation, says] of cases) {
      const file = pod(name, annotation);
      const r = await runCli(['kube-inject', '-f', file]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`Error: ${file}:6: Pod ${name}: metadata.annotations.${says}\n`);
      expect(r.code).toBe(65);
    }
    // a pod left alone is not read, as istiod does not validate what it does not inject
    const off = pod('off', 'sidecar.istio.io/interceptionMode: tproxy\n    sidecar.istio.io/inject: "false"');
    const r = await runCli(['kube-inject', '-f', off]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('interceptionMode: tproxy');
  });

  it('refuses a pod asking (inject.istio.io/templates) for a template the injector config does not have', async () => {
    const dir = scratch('mesh-tpl-');
    const file = dir.file(
      'pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: rpc\n  annotations:\n    inject.istio.io/templates: sidecar, rpc-agent\nspec:\n  containers:\n    - name: a\n      image: a:1\n',
    );
    const r = await runCli(['kube-inject', '-f', file]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: ${file}:6: Pod rpc: metadata.annotations.inject.istio.io/templates names template "rpc-agent", which the injector config does not have (it has sidecar): istiod refuses the pod\n`,
    );
    expect(r.code).toBe(65);
    // names resolved through the config's aliases; a template the config has but mesh cannot render
    const config = dir.file(
      'config.yaml',
      [
        'aliases:',
        '  plain: [sidecar]',
        '  all: [sidecar, rpc-agent]',
        'templates:',
        '  sidecar: |',
        '    spec:',
        '      containers:',
        '        - name: istio-proxy',
        '          image: proxy:1',
        '  rpc-agent: |',
        '    spec: {}',
        '',
      ].join('\n'),
    );
    const ask = (name: string) =>
      dir.file(
        `${name}.yaml`,
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  annotations:\n    inject.istio.io/templates: ${name}\nspec:\n  containers:\n    - name: a\n      image: a:1\n`,
      );
    const plain = await runCli(['kube-inject', '-f', ask('plain'), '--injectConfigFile', config]);
    expect(plain.code).toBe(0);
    expect(
      parseAllDocuments(plain.stdout)[0]!
        .toJS()
        .spec.containers.map((c: any) => c.name),
    ).toEqual(['a', 'istio-proxy']);
    const all = await runCli(['kube-inject', '-f', ask('all'), '--injectConfigFile', config]);
    expect(all.stderr).toContain(
      'metadata.annotations.inject.istio.io/templates names template "rpc-agent": mesh kube-inject renders only the sidecar template (let istiod inject it: --webhookConfig)',
    );
    expect(all.code).toBe(65);
  });

  it('reads the metrics and probe annotations as istiod does: Go booleans, sanitized names, scrape targets', async () => {
    const [off, notBool, portOnly, targets, rewrite] = await inject('prometheus-go-bools.yaml');
    const prom = (pod: any) =>
      Object.fromEntries(
        Object.entries(pod.metadata.annotations).filter(([k]) => k.startsWith('prometheus')),
      );
    const scrapeEnv = (pod: any) => env(proxyOf(pod.spec)).ISTIO_PROMETHEUS_ANNOTATIONS;
    const merged = {
      'prometheus.io/port': '15020',
      'prometheus.io/path': '/stats/prometheus',
      'prometheus.io/scrape': 'true',
    };
    // "False" is false: no merge
    expect(prom(off)).toEqual({ 'prometheus.io/scrape': 'False', 'prometheus.io/port': '9300' });
    expect(scrapeEnv(off)).toBeUndefined();
    // "no" is no boolean: merged, the pod's value passed on as written
    expect(prom(notBool)).toEqual(merged);
    expect(scrapeEnv(notBool)).toBe('{"scrape":"no","path":"","port":"9300"}');
    // a port alone is a scrape setting too (prometheus_io/port sanitizes to prometheus.io/port's name)
    expect(prom(portOnly)).toEqual(merged);
    expect(scrapeEnv(portOnly)).toBe('{"scrape":"","path":"","port":"9300"}');
    // prometheus.istio.io/scrape-targets: the first target is also the legacy port and path
    expect(prom(targets)).toEqual(merged);
    expect(scrapeEnv(targets)).toBe(
      '{"scrape":"","path":"/app-metrics","port":"9300","targets":[{"port":"9300","path":"/app-metrics"},{"port":"9400","path":"/metrics"}]}',
    );
    // rewriteAppHTTPProbers: "1" is true
    expect(rewrite!.spec.containers[0].livenessProbe).toEqual({
      httpGet: { path: '/app-health/m/livez', port: 15020 },
    });
  });

  it('refuses a scrape port the agent cannot merge from (not a port, its own, one of the proxy), as istiod', async () => {
    const dir = scratch('mesh-prom-port-');
    const cases: Array<[string, string]> = [
      [
        'prometheus.io/port: "metrics"',
        'prometheus.io/port is not a port the agent can scrape: "metrics" is not a port number (1-65535)',
      ],
      [
        'prometheus.io/port: "15090"',
        "prometheus.io/port is not a port the agent can scrape: 15090 is a port of the proxy (Envoy Prometheus (already merged)), not the application's",
      ],
      [
        'prometheus.istio.io/scrape-targets: "9300,15020"',
        'prometheus.istio.io/scrape-targets is not a list of targets the agent can scrape: 15020 is the port of the agent that merges the metrics',
      ],
    ];
    for (const [i, [annotation, says]] of cases.entries()) {
      const file = dir.file(
        `p${i}.yaml`,
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    ${annotation}\nspec:\n  containers:\n    - name: a\n      image: a:1\n`,
      );
      const r = await runCli(['kube-inject', '-f', file]);
      expect(r.stderr).toBe(`Error: ${file}:6: Pod p: metadata.annotations.${says}\n`);
      expect(r.code).toBe(65);
    }
  });

  it("tells the proxy the network its pod's topology.istio.io/network label names (ISTIO_META_NETWORK, last)", async () => {
    const [pod] = await inject('network-label.yaml');
    const vars = proxyOf(pod!.spec).env;
    expect(vars.at(-1)).toEqual({ name: 'ISTIO_META_NETWORK', value: 'west-net' });
    expect(vars.filter((e: any) => e.name === 'ISTIO_META_NETWORK')).toHaveLength(1);
    expect(pod!.metadata.labels['topology.istio.io/network']).toBe('west-net');
    // no label, no network
    const [plain] = await inject('init-containers.yaml');
    expect(env(proxyOf(plain!.spec)).ISTIO_META_NETWORK).toBeUndefined();
  });

  it('says where a proxy serves its merged metrics over TLS (prometheus.istio.io/secure-port), as istiod', async () => {
    const [tls, own] = await inject('secure-metrics.yaml');
    expect(tls!.metadata.annotations['prometheus.istio.io/secure-port']).toBe('15443');
    expect(own!.metadata.annotations['prometheus.istio.io/secure-port']).toBe('16000');
    const [plain] = await inject('init-containers.yaml');
    expect(plain!.metadata.annotations['prometheus.istio.io/secure-port']).toBeUndefined();
  });

  it("(deliberate) a pod's status.sidecar.istio.io/port does not move its rewritten probes: the agent stays on 15020", async () => {
    const file = scratch('mesh-status-port-').file(
      'pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: sp\n  annotations:\n    status.sidecar.istio.io/port: "15555"\n    sidecar.istio.io/rewriteAppHTTPProbers: "true"\nspec:\n  containers:\n    - name: a\n      image: a:1\n      readinessProbe:\n        httpGet: {path: /r, port: 8080}\n',
    );
    const r = await runCli(['kube-inject', '-f', file]);
    expect(r.code).toBe(0);
    const pod = parseAllDocuments(r.stdout)[0]!.toJS();
    // istioctl says 15555, where mesh's template starts no agent
    expect(pod.spec.containers[0].readinessProbe).toEqual({
      httpGet: { path: '/app-health/a/readyz', port: 15020 },
    });
  });

  it("leaves alone the pods of Kubernetes' own namespaces, as istiod never injects there", async () => {
    const file = `${FIX}/system-namespaces.yaml`;
    const r = await runCli(['kube-inject', '-f', file]);
    expect(r.code).toBe(0);
    const [daemon, announcer, app] = r.stdout.split(/^---\n/m);
    const source = readFileSync(file, 'utf8').split(/^---\n/m);
    // byte for byte, even with sidecar.istio.io/inject: "true"
    expect(daemon).toBe(source[0]);
    expect(announcer).toBe(source[1]);
    expect(app).toContain('name: istio-proxy');
  });

  it('writes the status of a template without containers as istiod does: null for an empty list', async () => {
    const [pod] = await inject('init-containers.yaml', '--injectConfigFile', `${FIX}/native-init.yaml`);
    expect(pod!.metadata.annotations['sidecar.istio.io/status']).toBe(
      '{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}',
    );
  });

  it("with the proxy as a native sidecar, the pod's own istio-proxy moves to the init containers to be merged", async () => {
    const [pod] = await inject('native-own-proxy.yaml', '--injectConfigFile', `${FIX}/native-init.yaml`);
    expect(names(pod!.spec.containers)).toEqual(['api']);
    expect(names(pod!.spec.initContainers)).toEqual(['istio-init', 'istio-proxy']);
    const proxy = pod!.spec.initContainers[1];
    expect(proxy).toEqual({
      name: 'istio-proxy',
      image: 'proxyv2',
      restartPolicy: 'Always',
      resources: { limits: { memory: '3Gi' } },
    });
  });
});
