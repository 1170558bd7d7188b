import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import {
  injectObject,
  injectYaml,
  templateFromInjectorConfig,
  injectPodTemplate,
  type InjectTemplate,
  type PodInjector,
  type PodOwner,
} from '../../../src/install/inject.js';
import { istiodName, renderComponents } from '../../../src/install/render.js';
import { sidecarPatch, sidecarSettings } from '../../../src/install/sidecar.js';
import { resolveSpec } from '../../../src/install/spec.js';

const spec = resolveSpec({});
const template: InjectTemplate = {
  spec: sidecarPatch(sidecarSettings(spec, istiodName(spec))),
  revision: 'default',
};
/** The template merged into each pod as it is (no mesh config: what meshInjector adds is tested in mesh-config.test.ts). */
const templateInjector =
  (t: InjectTemplate): PodInjector =>
  (pod) =>
    injectPodTemplate(pod, t);
const viaTemplate = templateInjector(template);
const podSpec = { containers: [{ name: 'app', image: 'app:1' }] };
const names = (list: Array<{ name: string }> | undefined) => (list ?? []).map((c) => c.name);

const workloads: Record<string, any> = {
  Pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: podSpec },
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { template: { spec: podSpec } },
  },
  StatefulSet: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 's' },
    spec: { template: { spec: podSpec } },
  },
  DaemonSet: {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'ds' },
    spec: { template: { spec: podSpec } },
  },
  ReplicaSet: {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'rs' },
    spec: { template: { spec: podSpec } },
  },
  Job: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j' },
    spec: { template: { spec: podSpec } },
  },
  CronJob: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } },
  },
};
const podOf = (o: any) =>
  o.kind === 'Pod' ? o : o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template;

describe('kube-inject', () => {
  it.each(Object.keys(workloads))(
    '%s gets istio-init, istio-proxy after the app, volumes and the status annotation',
    async (kind) => {
      const pod = podOf(await injectObject(workloads[kind], viaTemplate));
      expect(names(pod.spec.initContainers)).toEqual(['istio-init']);
      expect(names(pod.spec.containers)).toEqual(['app', 'istio-proxy']);
      expect(pod.spec.containers[1].image).toBe('docker.io/istio/proxyv2:1.30.0');
      expect(names(pod.spec.volumes)).toContain('istio-token');
      expect(JSON.parse(pod.metadata.annotations['sidecar.istio.io/status'])).toMatchObject({
        containers: ['istio-proxy'],
        revision: 'default',
      });
      expect(pod.metadata.annotations['kubectl.kubernetes.io/default-container']).toBe('app');
      expect(podOf(workloads[kind]).spec.containers).toHaveLength(1);
    },
  );

  it('leaves opted-out, host-network and already injected pods, and other kinds, as they are', async () => {
    const optOut = {
      ...workloads.Pod,
      metadata: { name: 'p', annotations: { 'sidecar.istio.io/inject': 'false' } },
    };
    const host = { ...workloads.Pod, spec: { ...podSpec, hostNetwork: true } };
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80 }] },
    };
    for (const o of [optOut, host, svc]) expect(await injectObject(o, viaTemplate)).toBe(o);
    const once = await injectObject(workloads.Pod, viaTemplate);
    expect(await injectObject(once, viaTemplate)).toBe(once);
  });

  it('injects each document of a multi-document file and keeps the others byte for byte', async () => {
    const cm = '# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n';
    const text = `${stringify(workloads.Deployment)}---\n${cm}---\n${stringify(workloads.Job)}`;
    const out = await injectYaml(text, viaTemplate, 'in.yaml');
    const docs = parseAllDocuments(out).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'ConfigMap', 'Job']);
    expect(out).toContain(cm);
    expect(names(docs[2].spec.template.spec.containers)).toEqual(['app', 'istio-proxy']);
    await expect(injectYaml('a: [b\n', viaTemplate, 'bad.yaml')).rejects.toThrow(/^bad.yaml:\d+: /);
  });

  it('the injector ConfigMap mesh installs carries the same template kube-inject uses', async () => {
    const cm = renderComponents(spec)
      .flatMap((c) => c.objects)
      .find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector')!;
    const fromCm = templateFromInjectorConfig(stringify(cm), 'cm.yaml', 'default');
    expect(await injectObject(workloads.Deployment, templateInjector(fromCm))).toEqual(
      await injectObject(workloads.Deployment, viaTemplate),
    );
    expect(() =>
      templateFromInjectorConfig(
        stringify({ templates: { sidecar: 'spec: {{ .Values }}' } }),
        'x',
        'default',
      ),
    ).toThrow('x: the sidecar template uses Go template actions');
  });

  it("tells the injector each pod template's workload (the namespace a webhook is asked in), and keeps a List whose items it leaves alone", async () => {
    const seen: PodOwner[] = [];
    const leaveAlone = (pod: any, owner: PodOwner) => (seen.push(owner), pod);
    const inNs = { ...workloads.Deployment, metadata: { name: 'd', namespace: 'shop' } };
    const templated = {
      ...workloads.Job,
      spec: { template: { metadata: { name: 'tpl', namespace: 'batch' }, spec: podSpec } },
    };
    const list = { apiVersion: 'v1', kind: 'List', items: [inNs, templated, workloads.CronJob] };
    expect(await injectObject(list, leaveAlone)).toBe(list);
    expect(seen).toEqual([
      { kind: 'Deployment', name: 'd', namespace: 'shop' },
      { kind: 'Job', name: 'tpl', namespace: 'batch' },
      { kind: 'CronJob', name: 'cj' },
    ]);
    const host = { ...workloads.Pod, spec: { ...podSpec, hostNetwork: true } };
    await injectObject(host, leaveAlone);
    expect(seen).toHaveLength(3);
  });
});
