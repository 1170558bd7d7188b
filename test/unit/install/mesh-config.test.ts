import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { runCli } from '../../support/cli.js';
import { DEPLOYMENTS, env, injectText, pods, proxyOf, scratch } from './kube-inject-run.js';

const { dir, file } = scratch('mesh-meshconfig-');
const inject = async (...extra: string[]) => pods(await injectText(...extra));

describe('kube-inject --meshConfigFile', () => {
  it('puts defaultConfig into PROXY_CONFIG, proxyMetadata into env and trustDomain into TRUST_DOMAIN', async () => {
    const plain = await inject();
    const meshFile = file(
      'mesh.yaml',
      stringify({
        trustDomain: 'corp.example',
        defaultConfig: {
          discoveryAddress: 'istiod.mesh-cp.svc:15012',
          proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', BOOTSTRAP_XDS_AGENT: 'true' },
        },
      }),
    );
    const withMesh = await inject('--meshConfigFile', meshFile);
    expect(withMesh).toHaveLength(6);
    for (const [i, pod] of withMesh.entries()) {
      const before = env(proxyOf(plain[i]));
      const after = env(proxyOf(pod));
      expect(JSON.parse(before.PROXY_CONFIG).discoveryAddress).toBe('istiod.istio-system.svc:15012');
      expect(JSON.parse(after.PROXY_CONFIG)).toEqual({
        discoveryAddress: 'istiod.mesh-cp.svc:15012',
        proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', BOOTSTRAP_XDS_AGENT: 'true' },
      });
      expect(after.ISTIO_META_DNS_CAPTURE).toBe('true');
      expect(after.BOOTSTRAP_XDS_AGENT).toBe('true');
      expect(before.TRUST_DOMAIN).toBe('cluster.local');
      expect(after.TRUST_DOMAIN).toBe('corp.example');
      // nothing else of the pod changes
      expect(pod.initContainers).toEqual(plain[i]!.initContainers);
      expect(pod.volumes).toEqual(plain[i]!.volumes);
      expect(pod.containers.map((c: any) => c.name)).toEqual(plain[i]!.containers.map((c: any) => c.name));
    }
  });

  it('holdApplicationUntilProxyStarts puts the proxy first, waiting with pilot-agent wait', async () => {
    const plain = await inject();
    expect(plain[0]!.containers.map((c: any) => c.name)).toEqual(['productpage', 'istio-proxy']);
    expect(proxyOf(plain[0]).lifecycle).toBeUndefined();
    const hold = file('hold.yaml', 'defaultConfig:\n  holdApplicationUntilProxyStarts: true\n');
    const [pod] = await inject('--meshConfigFile', hold);
    expect(pod!.containers.map((c: any) => c.name)).toEqual(['istio-proxy', 'productpage']);
    expect(proxyOf(pod).lifecycle).toEqual({ postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
  });

  it('reads the istio ConfigMap as mesh renders it (its `mesh` key) like the bare mesh config', async () => {
    const r = await runCli([
      'manifest',
      'generate',
      '--set',
      'meshConfig.defaultConfig.proxyMetadata.FOO=bar',
    ]);
    expect(r.code).toBe(0);
    const cm = parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .find((o: any) => o?.kind === 'ConfigMap' && o.metadata.name === 'istio');
    const fromConfigMap = await inject('--meshConfigFile', file('cm.yaml', stringify(cm)));
    const fromKey = await inject('--meshConfigFile', file('key.yaml', cm.data.mesh));
    expect(fromConfigMap).toEqual(fromKey);
    expect(env(proxyOf(fromKey[0])).FOO).toBe('bar');
  });

  it('a missing file exits 66 naming it; an unparsable one 65 with its line; both mesh flags 64', async () => {
    const missing = await runCli([
      'kube-inject',
      '-f',
      DEPLOYMENTS,
      '--meshConfigFile',
      join(dir, 'nope.yaml'),
    ]);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain(`open ${join(dir, 'nope.yaml')}: no such file or directory`);
    expect(missing.stdout).toBe('');
    const noWorkloads = await runCli(['kube-inject', '-f', join(dir, 'absent.yaml')]);
    expect(noWorkloads.code).toBe(66);
    // a binary file is no YAML stream: refused, not echoed back as one quoted string
    const binary = file('image.yaml', '\u0000\u0001PNG data');
    const refused = await runCli(['kube-inject', '-f', binary]);
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([
      65,
      '',
      `Error: ${binary}: binary file (contains NUL bytes), not text\n`,
    ]);
    const bad = file('bad.yaml', 'defaultConfig:\n  proxyMetadata: [1, 2\n');
    const unparsable = await runCli(['kube-inject', '-f', DEPLOYMENTS, '--meshConfigFile', bad]);
    expect(unparsable.code).toBe(65);
    expect(unparsable.stderr).toMatch(new RegExp(`${bad}:\\d+: `));
    const notAMap = file('list.yaml', 'defaultConfig:\n  proxyMetadata: [a]\n');
    const wrong = await runCli(['kube-inject', '-f', DEPLOYMENTS, '--meshConfigFile', notAMap]);
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toContain(
      'defaultConfig is not a proxy config istiod accepts: proxyMetadata: a list is not a mapping',
    );
    const both = await runCli([
      'kube-inject',
      '-f',
      DEPLOYMENTS,
      '--meshConfigFile',
      notAMap,
      '--meshConfigMapName',
      'istio',
    ]);
    expect(both.code).toBe(64);
  });

  it('a defaultConfig istiod refuses (fields of the wrong type, values its validation rejects) is exit 65, not "[object Object]" or skipped', async () => {
    for (const [text, message] of [
      [
        'defaultConfig:\n  proxyMetadata: {A: {b: 1}}\n',
        'defaultConfig is not a proxy config istiod accepts: proxyMetadata.A: a mapping is not a string',
      ],
      [
        'defaultConfig:\n  proxyMetadata: {A: {toString: 1}}\n',
        'defaultConfig is not a proxy config istiod accepts: proxyMetadata.A: a mapping is not a string',
      ],
      [
        'defaultConfig:\n  holdApplicationUntilProxyStarts: "yes"\n',
        'defaultConfig is not a proxy config istiod accepts: holdApplicationUntilProxyStarts: "yes" is not a boolean (true or false)',
      ],
      [
        'defaultConfig:\n  statusPort: abc\n',
        'defaultConfig is not a proxy config istiod accepts: statusPort: "abc" is not an integer',
      ],
      // a number is not a string to istiod either ("cannot unmarshal number into Go value of type string")
      [
        'defaultConfig:\n  proxyMetadata: {NUM: 5, T: true}\n',
        'defaultConfig is not a proxy config istiod accepts: proxyMetadata.NUM: 5 is not a string',
      ],
      ['trustDomain: {a: 1}\n', 'trustDomain must be a string'],
      // the rest of istiod's proxy config validation, as for a pod's proxy.istio.io/config (istioctl
      // kube-inject --meshConfigFile refuses both: "invalid zipkin config", "service cluster must be specified")
      [
        'defaultConfig:\n  tracing:\n    zipkin:\n      address: bad\n',
        'defaultConfig is not a proxy config istiod accepts: tracing.zipkin.address: "bad" is not host:port (missing port in address)',
      ],
      [
        'defaultConfig:\n  serviceCluster: ""\n',
        'defaultConfig is not a proxy config istiod accepts: serviceCluster must not be empty',
      ],
    ]) {
      const path = file('typed.yaml', text!);
      const r = await runCli(['kube-inject', '-f', DEPLOYMENTS, '--meshConfigFile', path]);
      expect(r, text).toEqual({ code: 65, stdout: '', stderr: `Error: ${path}: ${message}\n` });
    }
    // a field written empty is not set: the default status port (the annotation's null keeps it too)
    const empty = await runCli([
      'kube-inject',
      '-f',
      'test/fixtures/kube-inject/prometheus.yaml',
      '--meshConfigFile',
      file('empty.yaml', 'defaultConfig:\n  statusPort:\n  proxyMetadata:\n'),
    ]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(parse(empty.stdout).spec.template.metadata.annotations['prometheus.io/port']).toBe('15020');
  });

  it('an injector ConfigMap file and a mesh config file together: the template of one, the proxy settings of the other', async () => {
    const r = await runCli(['manifest', 'generate', '--set', 'tag=1.29.9']);
    const injector = parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .find((o: any) => o?.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector');
    const [pod] = await inject(
      '--injectConfigFile',
      file('injector.yaml', stringify(injector)),
      '--meshConfigFile',
      file('m.yaml', 'defaultConfig:\n  proxyMetadata:\n    X: "1"\n'),
    );
    expect(proxyOf(pod).image).toBe('docker.io/istio/proxyv2:1.29.9');
    expect(env(proxyOf(pod)).X).toBe('1');
    expect(parse(stringify(pod)).initContainers[0].image).toBe('docker.io/istio/proxyv2:1.29.9');
  });

  it("a pod's proxy.istio.io/config that is not a proxy config: exit 65 naming the file, line and pod, nothing written", async () => {
    const pod = (annotation: string) =>
      file(
        'annotated.yaml',
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: ${annotation}\n    spec:\n      containers: [{name: app, image: app:1}]\n`,
      );
    const where = 'Deployment web: spec.template.metadata.annotations.proxy.istio.io/config';
    for (const [annotation, says] of [
      ['"statusPort: abc"', 'is not a proxy config istiod accepts: statusPort: "abc" is not an integer'],
      [
        '"holdApplicationUntilProxyStarts: \\"true\\""',
        'is not a proxy config istiod accepts: holdApplicationUntilProxyStarts: "true" is not a boolean (true or false)',
      ],
      [
        '"proxyMetadata: {A: [1]}"',
        'is not a proxy config istiod accepts: proxyMetadata.A: a list is not a string',
      ],
      ['"[1, 2]"', 'must be a proxy config (a YAML map)'],
      ['{statusPort: 15030}', 'must be YAML text (an annotation is a string), not a mapping'],
      [
        '"foo: [bar"',
        'is not a proxy config: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 10',
      ],
      // the rest of istiod's validation, as analyze reports it (istioctl kube-inject refuses these too)
      ['"serviceCluster: \\"\\""', 'is not a proxy config istiod accepts: serviceCluster must not be empty'],
      [
        '"tracing: {lightstep: {address: bad}}"',
        'is not a proxy config istiod accepts: tracing.lightstep.address: "bad" is not host:port (missing port in address); tracing.lightstep.accessToken is required',
      ],
      [
        '"tracing: {zipkin: {address: 5}}"',
        'is not a proxy config istiod accepts: tracing.zipkin.address: 5 is not a string',
      ],
    ]) {
      const path = pod(annotation!);
      const r = await runCli(['kube-inject', '-f', path]);
      expect(r, annotation).toEqual({ code: 65, stdout: '', stderr: `Error: ${path}:8: ${where} ${says}\n` });
    }
    // what istiod reads without complaint: empty text, a field it does not know, YAML 1.1's `yes`, a
    // field written empty (not set)
    for (const annotation of [
      '""',
      '"unknownField: 3"',
      '"holdApplicationUntilProxyStarts: yes"',
      '"statusPort: null"',
      '"proxyMetadata:"',
      // a oneof given twice: the member declared last stays (lightstep), the other is not validated
      '"tracing: {zipkin: {address: bad}, lightstep: {address: \\"lightstep:443\\", accessToken: x}}"',
    ]) {
      const r = await runCli(['kube-inject', '-f', pod(annotation)]);
      expect(r.code, annotation).toBe(0);
      expect(r.stderr).toBe('');
    }
    const [waits] = pods(
      (await runCli(['kube-inject', '-f', pod('"holdApplicationUntilProxyStarts: yes"')])).stdout,
    );
    expect(waits!.containers.map((c: any) => c.name)).toEqual(['istio-proxy', 'app']);
  });
});
