import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveSpec } from '../../../src/install/spec.js';
import { LABEL, renderComponents, type K8sObject } from '../../../src/install/render.js';
import { objectRef, toYaml } from '../../../src/install/manifest.js';

const render = (sets: string[] = [], revision?: string) =>
  renderComponents(resolveSpec({ sets, ...(revision ? { revision } : {}) }));
const refs = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind !== 'CustomResourceDefinition')
    .map(objectRef)
    .sort();

describe('profiles', () => {
  it('default: base, istiod with HPA, ingress gateway; no egress', () => {
    const cs = render();
    expect(cs.map((c) => c.component)).toEqual(['Base', 'Pilot', 'IngressGateways']);
    const all = cs.flatMap((c) => c.objects);
    expect(all.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(15);
    expect(refs(all)).toContain('Deployment/istio-system/istiod');
    expect(refs(all)).toContain('HorizontalPodAutoscaler/istio-system/istiod');
    expect(refs(all)).toContain('Deployment/istio-system/istio-ingressgateway');
    expect(refs(all)).not.toContain('Deployment/istio-system/istio-egressgateway');
    expect(refs(all)).not.toContain('PodDisruptionBudget/istio-system/istiod');
  });

  it('demo adds the egress gateway and turns autoscaling off; minimal has no gateway; empty nothing', () => {
    const demo = render(['profile=demo']).flatMap((c) => c.objects);
    expect(refs(demo)).toContain('Deployment/istio-system/istio-egressgateway');
    expect(refs(demo).filter((r) => r.startsWith('HorizontalPodAutoscaler'))).toEqual([]);
    expect(render(['profile=minimal']).map((c) => c.component)).toEqual(['Base', 'Pilot']);
    expect(render(['profile=empty'])).toEqual([]);
  });

  it('remote: only the injector webhook besides base, pointing at the given URL', () => {
    const cs = render([
      'profile=remote',
      'values.istiodRemote.injectionURL=https://istiod.example:15017/inject',
    ]);
    const pilot = cs.find((c) => c.component === 'Pilot')!.objects;
    expect(pilot.map(objectRef)).toEqual(['MutatingWebhookConfiguration/istio-sidecar-injector']);
    expect((pilot[0] as any).webhooks[0].clientConfig).toEqual({
      url: 'https://istiod.example:15017/inject',
    });
  });

  it('a replica count above one without autoscaling brings a PodDisruptionBudget', () => {
    const objs = render(['values.pilot.autoscaleEnabled=false', 'values.pilot.replicaCount=2']).flatMap(
      (c) => c.objects,
    );
    expect(refs(objs)).toContain('PodDisruptionBudget/istio-system/istiod');
    const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'istiod') as any;
    expect(dep.spec.replicas).toBe(2);
  });
});

describe('objects', () => {
  it('every object carries the ownership labels', () => {
    for (const c of render([], '1-30'))
      for (const o of c.objects)
        expect(o.metadata.labels, objectRef(o)).toMatchObject({
          [LABEL.component]: c.component,
          ...(o.kind === 'Namespace' ? {} : { [LABEL.revision]: '1-30' }),
          [LABEL.owner]: 'mesh',
          [LABEL.version]: '1.30.0',
          [LABEL.managedBy]: 'mesh',
        });
  });

  it('the install namespace is not labelled for injection (istio.io/rev on a Namespace selects its pods)', () => {
    const ns = render()
      .flatMap((c) => c.objects)
      .find((o) => o.kind === 'Namespace')!;
    expect(Object.keys(ns.metadata.labels as object)).not.toContain(LABEL.revision);
  });

  it('a revision suffixes names and selects istiod pods by revision', () => {
    const objs = render([], '1-30').flatMap((c) => c.objects);
    expect(refs(objs)).toEqual(
      expect.arrayContaining([
        'ConfigMap/istio-system/istio-1-30',
        'ConfigMap/istio-system/istio-sidecar-injector-1-30',
        'Deployment/istio-system/istiod-1-30',
        'MutatingWebhookConfiguration/istio-sidecar-injector-1-30',
        'ValidatingWebhookConfiguration/istio-validator-1-30-istio-system',
        'ClusterRole/istiod-clusterrole-1-30-istio-system',
      ]),
    );
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === 'istiod-1-30') as any;
    expect(svc.spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': '1-30' });
    const hook = objs.find((o) => o.kind === 'MutatingWebhookConfiguration') as any;
    expect(hook.webhooks.map((w: any) => w.name)).toEqual([
      'rev.namespace.sidecar-injector.istio.io',
      'rev.object.sidecar-injector.istio.io',
    ]);
  });

  it('hub, tag and meshConfig reach the images and the mesh ConfigMap; values.global wins over spec', () => {
    const objs = render([
      'hub=registry.example/istio',
      'tag=1.29.2',
      'meshConfig.accessLogFile=/dev/stdout',
      'values.global.tag=1.29.3',
    ]).flatMap((c) => c.objects);
    const istiod = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'istiod') as any;
    expect(istiod.spec.template.spec.containers[0].image).toBe('registry.example/istio/pilot:1.29.3');
    const mesh = parse((objs.find((o) => o.metadata.name === 'istio') as any).data.mesh);
    expect(mesh).toMatchObject({
      accessLogFile: '/dev/stdout',
      rootNamespace: 'istio-system',
      defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012' },
    });
    const injector = objs.find(
      (o) => o.metadata.name === 'istio-sidecar-injector' && o.kind === 'ConfigMap',
    ) as any;
    const template = parse(parse(injector.data.config).templates.sidecar);
    expect(template.spec.containers[0]).toMatchObject({
      name: 'istio-proxy',
      image: 'registry.example/istio/proxyv2:1.29.3',
    });
    expect(injector.data.config).not.toContain('{{');
  });

  it("holdApplicationUntilProxyStarts reaches the injector's values, from which istiod puts the proxy first", () => {
    const valuesOf = (sets: string[]) => {
      const objs = render(sets).flatMap((c) => c.objects);
      const injector = objs.find(
        (o) => o.metadata.name === 'istio-sidecar-injector' && o.kind === 'ConfigMap',
      ) as any;
      return JSON.parse(injector.data.values).global.proxy;
    };
    // before: only the template's wait hook had it, and istiod, reading its values, put the proxy last:
    // the hook then held nothing (istioctl kube-inject with these values moves the proxy first)
    expect(valuesOf(['values.global.proxy.holdApplicationUntilProxyStarts=true'])).toMatchObject({
      holdApplicationUntilProxyStarts: true,
    });
    // without it the ConfigMap stays as it was (no upgrade diff for every install)
    expect(valuesOf([])).not.toHaveProperty('holdApplicationUntilProxyStarts');
  });

  it("values.global.network reaches the gateways' proxies and the injector's values (it was accepted and ignored)", () => {
    const objects = (sets: string[]) => render(sets).flatMap((c) => c.objects) as any[];
    const gatewayEnv = (objs: any[]) =>
      objs
        .find((o) => o.kind === 'Deployment' && o.metadata.name === 'istio-ingressgateway')
        .spec.template.spec.containers[0].env.map((e: any) => `${e.name}=${e.value ?? ''}`);
    const injector = (objs: any[]) =>
      objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector').data;
    const net = objects(['values.global.network=net-b']);
    // as istioctl manifest generate --set values.global.network=net-b: before ISTIO_META_CLUSTER_ID
    const env = gatewayEnv(net);
    expect(env.indexOf('ISTIO_META_NETWORK=net-b')).toBe(env.indexOf('ISTIO_META_CLUSTER_ID=Kubernetes') - 1);
    expect(JSON.parse(injector(net).values).global.network).toBe('net-b');
    expect(injector(net).config).toContain('ISTIO_META_NETWORK');
    // a gateway whose own env names its network keeps that one only
    const own = gatewayEnv(
      objects([
        'values.global.network=net-b',
        'components.ingressGateways[0].k8s.env[0].name=ISTIO_META_NETWORK',
        'components.ingressGateways[0].k8s.env[0].value=edge',
      ]),
    );
    expect(own.filter((e: string) => e.startsWith('ISTIO_META_NETWORK='))).toEqual([
      'ISTIO_META_NETWORK=edge',
    ]);
    // without it nothing changes
    const plain = objects([]);
    expect(gatewayEnv(plain).some((e: string) => e.startsWith('ISTIO_META_NETWORK'))).toBe(false);
    expect(injector(plain).config).not.toContain('ISTIO_META_NETWORK');
  });
});

describe('values accepted and once ignored', () => {
  const objects = (sets: string[], revision?: string) =>
    render(sets, revision).flatMap((c) => c.objects) as any[];
  const find = (objs: any[], kind: string, name: string) =>
    objs.find((o) => o.kind === kind && o.metadata.name === name);

  const gateway = (objs: any[]) => find(objs, 'Deployment', 'istio-ingressgateway').spec.template.spec;

  it("global.proxy.logLevel is the gateways' proxy log level too", () => {
    // as istioctl manifest generate --set values.global.proxy.logLevel=debug: the gateway's args change
    expect(gateway(objects(['values.global.proxy.logLevel=debug'])).containers[0].args).toContain(
      '--proxyLogLevel=debug',
    );
    expect(gateway(objects([])).containers[0].args).toContain('--proxyLogLevel=warning');
  });

  it('global.logAsJson: the gateways, istio-init and the injected proxies log JSON too, not only istiod', () => {
    // as istioctl manifest generate --set values.global.logAsJson=true: the gateway's args end with
    // --log_as_json, and the injector's values carry it (its template adds it to istio-init and the proxy)
    const on = objects(['values.global.logAsJson=true']);
    expect(gateway(on).containers[0].args.at(-1)).toBe('--log_as_json');
    const cm = find(on, 'ConfigMap', 'istio-sidecar-injector').data;
    expect(JSON.parse(cm.values).global.logAsJson).toBe(true);
    const template = parse(parse(cm.config).templates.sidecar).spec;
    expect(template.initContainers[0].args.at(-1)).toBe('--log_as_json');
    expect(template.containers[0].args.at(-1)).toBe('--log_as_json');
    const off = objects([]);
    expect(gateway(off).containers[0].args).not.toContain('--log_as_json');
    expect(find(off, 'ConfigMap', 'istio-sidecar-injector').data.config).not.toContain('--log_as_json');
  });

  it("global.imagePullPolicy is istiod's and the gateways' pull policy too (a component's k8s.imagePullPolicy wins)", () => {
    // as istioctl manifest generate --set values.global.imagePullPolicy=Always: both Deployments get it
    const on = objects(['values.global.imagePullPolicy=Always']);
    expect(gateway(on).containers[0].imagePullPolicy).toBe('Always');
    expect(find(on, 'Deployment', 'istiod').spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
    const own = objects([
      'values.global.imagePullPolicy=Always',
      'components.pilot.k8s.imagePullPolicy=Never',
    ]);
    expect(find(own, 'Deployment', 'istiod').spec.template.spec.containers[0].imagePullPolicy).toBe('Never');
    expect(gateway(objects([])).containers[0]).not.toHaveProperty('imagePullPolicy');
  });

  it("a gateway's k8s.priorityClassName reaches its pods", () => {
    // as istioctl manifest generate -f with ingressGateways[istio-ingressgateway].k8s.priorityClassName: pc
    const on = objects(['components.ingressGateways[name:istio-ingressgateway].k8s.priorityClassName=pc']);
    expect(gateway(on).priorityClassName).toBe('pc');
    expect(gateway(objects([]))).not.toHaveProperty('priorityClassName');
  });

  it('sidecarInjectorWebhook.enableNamespacesByDefault adds the auto webhook for unlabelled namespaces', () => {
    const on = objects(['values.sidecarInjectorWebhook.enableNamespacesByDefault=true']);
    const hooks = find(on, 'MutatingWebhookConfiguration', 'istio-sidecar-injector').webhooks;
    // as istioctl manifest generate --set values.sidecarInjectorWebhook.enableNamespacesByDefault=true:
    // a fifth webhook, after the four, and the injector's values say so (what analyze reads, IST0148)
    expect(hooks.map((h: any) => h.name)).toEqual([
      'rev.namespace.sidecar-injector.istio.io',
      'rev.object.sidecar-injector.istio.io',
      'namespace.sidecar-injector.istio.io',
      'object.sidecar-injector.istio.io',
      'auto.sidecar-injector.istio.io',
    ]);
    expect(hooks[4].namespaceSelector).toEqual({
      matchExpressions: [
        { key: 'istio-injection', operator: 'DoesNotExist' },
        { key: 'istio.io/rev', operator: 'DoesNotExist' },
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'],
        },
      ],
    });
    expect(hooks[4].objectSelector).toEqual({
      matchExpressions: [
        { key: 'sidecar.istio.io/inject', operator: 'DoesNotExist' },
        { key: 'istio.io/rev', operator: 'DoesNotExist' },
      ],
    });
    const values = (objs: any[], name = 'istio-sidecar-injector') =>
      JSON.parse(find(objs, 'ConfigMap', name).data.values);
    expect(values(on).sidecarInjectorWebhook.enableNamespacesByDefault).toBe(true);
    // a revision has no default webhooks, so no auto one either (as istioctl with --revision)
    const rev = objects(['values.sidecarInjectorWebhook.enableNamespacesByDefault=true'], 'canary');
    expect(
      find(rev, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-canary').webhooks.map(
        (h: any) => h.name,
      ),
    ).toEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);
    // without it nothing changes
    const off = objects([]);
    expect(find(off, 'MutatingWebhookConfiguration', 'istio-sidecar-injector').webhooks).toHaveLength(4);
    expect(values(off).sidecarInjectorWebhook).toEqual({ rewriteAppHTTPProbe: false });
  });
});

describe('images', () => {
  // istioctl manifest generate --set values.global.proxy.image=reg.example/y/p:2 --set
  // values.pilot.image=reg.example/y/pilot:3: both used as given (they name their own repository)
  it('a values image with a "/" is used as it is; a plain name gets the hub and tag', () => {
    const images = (sets: string[]) =>
      render(sets)
        .flatMap((c) => c.objects as any[])
        .filter((o) => o.kind === 'Deployment')
        .map((o) => `${o.metadata.name} ${o.spec.template.spec.containers[0].image}`);
    expect(
      images(['values.global.proxy.image=reg.example/y/p:2', 'values.pilot.image=reg.example/y/pilot:3']),
    ).toEqual(['istiod reg.example/y/pilot:3', 'istio-ingressgateway reg.example/y/p:2']);
    // and the sidecar template's proxy (istio-init keeps proxy_init.image's default, proxyv2)
    const config = render(['values.global.proxy.image=reg.example/y/p:2'])
      .flatMap((c) => c.objects as any[])
      .find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector').data
      .config as string;
    expect(config).toContain('image: reg.example/y/p:2');
    expect(config).not.toContain('docker.io/istio/reg.example');
    expect(images([])).toEqual([
      'istiod docker.io/istio/pilot:1.30.0',
      'istio-ingressgateway docker.io/istio/proxyv2:1.30.0',
    ]);
  });
});

describe('values that change nothing, as in istioctl', () => {
  // istioctl manifest generate renders the same objects with each (only its echo in the values changes)
  it('global.multiCluster.enabled, base.enableIstioConfigCRDs and pilot.enabled', () => {
    const yaml = (sets: string[]) => toYaml(render(sets).flatMap((c) => c.objects));
    for (const set of [
      'values.global.multiCluster.enabled=true',
      'values.base.enableIstioConfigCRDs=false',
      'values.pilot.enabled=false',
    ])
      expect(yaml([set]), set).toBe(yaml([]));
  });
});

describe('manifest YAML', () => {
  it('is byte-identical for the same input, CRDs first, Services last', () => {
    const a = toYaml(render().flatMap((c) => c.objects));
    const b = toYaml(render().flatMap((c) => c.objects));
    expect(a).toBe(b);
    const kinds = a.split('---\n').map((d) => (parse(d) as K8sObject).kind);
    expect(kinds.slice(0, 15).every((k) => k === 'CustomResourceDefinition')).toBe(true);
    expect(kinds[15]).toBe('Namespace');
    expect(kinds.slice(-2)).toEqual(['Service', 'Service']);
    expect(kinds.indexOf('ClusterRoleBinding')).toBeGreaterThan(kinds.lastIndexOf('ClusterRole'));
    expect(kinds.indexOf('HorizontalPodAutoscaler')).toBeGreaterThan(kinds.lastIndexOf('Deployment'));
  });
});

describe('spec errors name the path', () => {
  const files = (text: string) => ({ files: [{ name: 'iop.yaml', text }] });
  it('unknown fields, bad values, unknown profile', () => {
    expect(() =>
      resolveSpec(
        files(
          'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      autoscaleMn: 2\n',
        ),
      ),
    ).toThrow('spec.values.pilot.autoscaleMn: unknown field');
    expect(() => resolveSpec({ sets: ['components.ingressGateways[0].k8s.replicaCount=-1'] })).toThrow(
      'spec.components.ingressGateways[0].k8s.replicaCount: must be >= 0',
    );
    expect(() => resolveSpec({ sets: ['profile=nope'] })).toThrow('unknown profile "nope"');
    // a namespace the API server would refuse is refused here, not rendered into every object
    expect(() => resolveSpec({ sets: ['components.ingressGateways[0].namespace=BAD_NS'] })).toThrow(
      'spec.components.ingressGateways[0].namespace: must match pattern',
    );
    expect(() => resolveSpec({ sets: ['values.global.istioNamespace=a.b'] })).toThrow(
      'spec.values.global.istioNamespace: must match pattern',
    );
    expect(() => resolveSpec(files('kind: Deployment\n'))).toThrow('iop.yaml: kind is "Deployment"');
  });

  it('--set values where the spec takes only strings stay strings (labels, annotations, hub); elsewhere typed by trial', () => {
    const spec = resolveSpec({
      sets: [
        'values.pilot.podAnnotations.x=true',
        'components.pilot.k8s.podAnnotations.sidecar\\.istio\\.io/inject=false',
        'components.ingressGateways[0].label.ver=2',
        'values.global.hub=123',
        'meshConfig.enableTracing=true',
        'values.pilot.env.N=5',
      ],
    }).spec as any;
    expect(spec.values.pilot.podAnnotations).toEqual({ x: 'true' });
    expect(spec.components.pilot.k8s.podAnnotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
    expect(spec.components.ingressGateways[0].label.ver).toBe('2');
    expect(spec.values.global.hub).toBe('123');
    expect(spec.meshConfig.enableTracing).toBe(true);
    expect(spec.values.pilot.env.N).toBe(5);
    // a file says what it means: a boolean annotation there is still an error
    expect(() =>
      resolveSpec(
        files(
          'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      podAnnotations: {x: true}\n',
        ),
      ),
    ).toThrow('spec.values.pilot.podAnnotations.x: must be string');
  });

  it('-f files merge left to right, then --set wins', () => {
    const iop = (v: string) =>
      `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    global:\n      proxy:\n        logLevel: ${v}\n`;
    const s = resolveSpec({
      files: [
        { name: 'a', text: iop('debug') },
        { name: 'b', text: iop('error') },
      ],
    });
    expect((s.spec.values as any).global.proxy.logLevel).toBe('error');
    const t = resolveSpec({
      files: [{ name: 'a', text: iop('debug') }],
      sets: ['values.global.proxy.logLevel=info'],
    });
    expect((t.spec.values as any).global.proxy.logLevel).toBe('info');
    expect((t.spec.values as any).global.proxy.image).toBe('proxyv2');
  });
});
