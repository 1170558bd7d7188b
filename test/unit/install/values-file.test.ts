import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderComponents } from '../../../src/install/render.js';
import { resolveSpec } from '../../../src/install/spec.js';
import { runCli } from '../../support/cli.js';
import { DEPLOYMENTS, env, injectText as inject, pods, proxyOf, scratch } from './kube-inject-run.js';

const { dir, file } = scratch('mesh-values-');
const initOf = (pod: any) => pod.initContainers.find((c: any) => c.name === 'istio-init');

/** The injector ConfigMap `mesh install` renders for these spec inputs. */
const injectorConfigMap = (sets: string[] = []) =>
  renderComponents(resolveSpec({ sets }))
    .flatMap((c) => c.objects)
    .find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector') as any;

describe('kube-inject --valuesFile', () => {
  it('the `values` mesh installs in the injector ConfigMap (or the ConfigMap itself) give the same output as none', async () => {
    const cm = injectorConfigMap();
    const plain = await inject();
    expect(await inject('--valuesFile', file('values.json', cm.data.values))).toBe(plain);
    expect(await inject('--valuesFile', file('injector.yaml', stringify(cm)))).toBe(plain);
    // Values rendered for other settings carry them into the template.
    const other = injectorConfigMap(['hub=reg.example/istio', 'tag=1.29.2']);
    const out = pods(await inject('--valuesFile', file('other.json', other.data.values)));
    expect(proxyOf(out[0]).image).toBe('reg.example/istio/proxyv2:1.29.2');
  });

  it('the `values` of an install with its own settings render the template that install has (ids, network, log level, resources, pull policy)', async () => {
    const sets = [
      'values.global.meshID=mesh-b',
      'values.global.multiCluster.clusterName=west',
      'values.global.proxy.logLevel=debug',
      'values.global.imagePullPolicy=IfNotPresent',
      'values.global.proxy.resources.limits.memory=3Gi',
      'values.global.network=net-b',
      'values.global.logAsJson=true',
    ];
    const cm = injectorConfigMap(sets);
    const fromValues = pods(await inject('--valuesFile', file('set.json', cm.data.values)));
    const fromConfig = pods(await inject('--injectConfigFile', file('set-config.yaml', cm.data.config)));
    const proxy = proxyOf(fromValues[0]);
    expect(env(proxy)).toMatchObject({
      ISTIO_META_MESH_ID: 'mesh-b',
      ISTIO_META_CLUSTER_ID: 'west',
      ISTIO_META_NETWORK: 'net-b',
    });
    expect(proxy.args).toContain('--proxyLogLevel=debug');
    expect(proxy.args).toContain('--log_as_json');
    expect(initOf(fromValues[0]).args).toContain('--log_as_json');
    expect(proxy.imagePullPolicy).toBe('IfNotPresent');
    expect(proxy.resources.limits.memory).toBe('3Gi');
    // as istiod (and istioctl) with these values: a cluster name of the values goes last
    expect(proxy.env.at(-1)).toEqual({ name: 'ISTIO_META_CLUSTER_ID', value: 'west' });
    expect(fromValues.map((p) => proxyOf(p).env)).toEqual(
      fromConfig.map((p) => [
        ...proxyOf(p).env.filter((e: any) => e.name !== 'ISTIO_META_CLUSTER_ID'),
        { name: 'ISTIO_META_CLUSTER_ID', value: 'west' },
      ]),
    );
    expect(fromValues.map((p) => ({ ...proxyOf(p), env: [] }))).toEqual(
      fromConfig.map((p) => ({ ...proxyOf(p), env: [] })),
    );
    // a default install's values stay as they were
    expect(JSON.parse(injectorConfigMap().data.values).global).toEqual({
      hub: 'docker.io/istio',
      tag: '1.30.0',
      istioNamespace: 'istio-system',
      proxy: { image: 'proxyv2', clusterDomain: 'cluster.local', autoInject: 'enabled' },
    });
  });

  it('honours the values the template reads: images, log level, resources, pull policy, hold, mesh and cluster ids, domain, namespace, revision', async () => {
    const values = {
      revision: 'canary',
      global: {
        hub: 'reg.example/istio',
        tag: '1.29.2',
        istioNamespace: 'mesh-cp',
        imagePullPolicy: 'Always',
        meshID: 'mesh-a',
        multiCluster: { clusterName: 'east' },
        proxy: {
          image: 'proxy-distroless',
          logLevel: 'debug',
          clusterDomain: 'corp.local',
          holdApplicationUntilProxyStarts: true,
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
        },
      },
    };
    const [pod] = pods(await inject('--valuesFile', file('all.yaml', stringify(values))));
    const proxy = proxyOf(pod);
    expect(proxy.image).toBe('reg.example/istio/proxy-distroless:1.29.2');
    // istio-init's image is global.proxy_init.image's (default proxyv2), not the proxy's, as istiod makes it
    expect(initOf(pod).image).toBe('reg.example/istio/proxyv2:1.29.2');
    expect(proxy.imagePullPolicy).toBe('Always');
    expect(proxy.args).toContain('--proxyLogLevel=debug');
    expect(proxy.args).toContain('$(POD_NAMESPACE).svc.corp.local');
    expect(proxy.resources).toEqual(values.global.proxy.resources);
    expect(proxy.lifecycle.postStart.exec.command).toContain('wait');
    expect(pod.containers[0].name).toBe('istio-proxy');
    const e = env(proxy);
    expect(e.ISTIO_META_MESH_ID).toBe('mesh-a');
    expect(e.ISTIO_META_CLUSTER_ID).toBe('east');
    expect(e.CA_ADDR).toBe('istiod-canary.mesh-cp.svc:15012');
  });

  it("global.proxy_init.image is istio-init's image (it was accepted and ignored: the proxy's image was used)", async () => {
    // as istiod's injector (ProxyInitImage; istioctl manifest generate carries it into the injector's
    // values): <hub>/<image>:<tag>, or the image as given when it has a "/"
    const initWith = async (image: string) =>
      initOf(
        pods(
          await inject(
            '--valuesFile',
            file(
              'init.yaml',
              stringify({ global: { hub: 'reg.example/istio', tag: '1.29.2', proxy_init: { image } } }),
            ),
          ),
        )[0],
      ).image;
    expect(await initWith('init-only')).toBe('reg.example/istio/init-only:1.29.2');
    expect(await initWith('other.example/net/init:7')).toBe('other.example/net/init:7');
    // the install's values carry it, so --valuesFile with them gives the template installed
    const cm = injectorConfigMap(['values.global.proxy_init.image=init-only']);
    expect(JSON.parse(cm.data.values).global.proxy_init).toEqual({ image: 'init-only' });
    expect(cm.data.config).toContain('image: docker.io/istio/init-only:1.30.0');
    const [pod] = pods(await inject('--valuesFile', file('cm-init.json', cm.data.values)));
    expect(initOf(pod).image).toBe('docker.io/istio/init-only:1.30.0');
    expect(proxyOf(pod).image).toBe('docker.io/istio/proxyv2:1.30.0');
  });

  it('merges over --operatorFileName and under --set', async () => {
    const iop = file(
      'iop.yaml',
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    global:\n      proxy:\n        logLevel: error\n        clusterDomain: iop.local\n',
    );
    const values = file('log.yaml', 'global:\n  proxy:\n    logLevel: trace\n');
    const [a] = pods(await inject('--operatorFileName', iop, '--valuesFile', values));
    expect(proxyOf(a).args).toContain('--proxyLogLevel=trace');
    expect(proxyOf(a).args).toContain('$(POD_NAMESPACE).svc.iop.local');
    const [b] = pods(await inject('--valuesFile', values, '--set', 'values.global.proxy.logLevel=info'));
    expect(proxyOf(b).args).toContain('--proxyLogLevel=info');
  });

  it('a bad file is one error naming the file and line (exit 65); nothing on stdout', async () => {
    const cases: Array<[string, string, string]> = [
      [
        'unknown.yaml',
        'global:\n  proxy:\n    logLevel: debug\n    imag: x\n',
        'unknown.yaml:4: global.proxy.imag: unknown field',
      ],
      [
        'level.yaml',
        '# comment\nglobal:\n  proxy:\n    logLevel: loud\n',
        'level.yaml:4: global.proxy.logLevel: must be equal to one of the allowed values (trace, debug, info, warning, error, critical, off)',
      ],
      ['syntax.json', '{\n  "global": {"hub": "a",\n  "tag" "b"}\n}\n', 'syntax.json:3: '],
      ['list.yaml', '- a\n- b\n', 'list.yaml:1: the injector values must be a map'],
      ['empty.yaml', '# nothing\n', 'empty.yaml: no values'],
      [
        'cm-bad.yaml',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\ndata:\n  values: |\n    {\n      "global": {"proxy": {"logLevl": "debug"}}\n    }\n',
        'cm-bad.yaml:8: global.proxy.logLevl: unknown field',
      ],
      [
        'cm-none.yaml',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  config: ""\n',
        'cm-none.yaml: ConfigMap has no data.values',
      ],
    ];
    for (const [name, text, message] of cases) {
      const r = await runCli(['kube-inject', '-f', DEPLOYMENTS, '--valuesFile', file(name, text)]);
      expect(r.code, name).toBe(65);
      expect(r.stdout, name).toBe('');
      expect(r.stderr.split('\n')[0], name).toContain(`Error: ${join(dir, message)}`);
    }
    const two = await runCli([
      'kube-inject',
      '-f',
      DEPLOYMENTS,
      '--valuesFile',
      file('two.yaml', 'global:\n  hubb: a\npilot:\n  enabled: maybe\n'),
    ]);
    expect(two.code).toBe(65);
    expect(two.stderr).toContain(
      `${join(dir, 'two.yaml')}:2: global.hubb: unknown field\n${join(dir, 'two.yaml')}:4: pilot.enabled: must be boolean`,
    );
    const missing = await runCli([
      'kube-inject',
      '-f',
      DEPLOYMENTS,
      '--valuesFile',
      join(dir, 'absent.json'),
    ]);
    expect(missing.code).toBe(66); // a missing input file, as everywhere (it was 65)
    expect(missing.stderr).toContain(`absent.json`);
  });

  it('cannot change an already rendered template, and shares stdin with no other flag (exit 64)', async () => {
    const values = file('v.yaml', 'global:\n  proxy:\n    logLevel: debug\n');
    const cm = file('injector.yaml', stringify(injectorConfigMap()));
    const both = await runCli([
      'kube-inject',
      '-f',
      DEPLOYMENTS,
      '--valuesFile',
      values,
      '--injectConfigFile',
      cm,
    ]);
    expect(both.code).toBe(64);
    expect(both.stderr).toContain('--valuesFile fills in the template mesh renders');
    const stdin = await runCli(['kube-inject', '-f', '-', '--valuesFile', '-']);
    expect(stdin.code).toBe(64);
    expect(stdin.stderr).toContain('only one of -f, --operatorFileName, --injectConfigFile, --valuesFile');
  });
});
