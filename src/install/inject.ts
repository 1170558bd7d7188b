import { parse, parseAllDocuments, stringify } from 'yaml';
import { ExitCode, MeshError } from '../util/errors.js';

/**
 * Offline sidecar injection (`mesh kube-inject`): merges the injector template into the pod templates of
 * workloads, the way istiod's injector merges it into pods it admits. Pure.
 */

type Obj = Record<string, any>;

export interface InjectTemplate {
  /** The template's pod spec fragment: initContainers, containers, volumes. */
  spec: Obj;
  revision: string;
}

/** Reads `templates.sidecar` from an injector `config` (or a whole injector ConfigMap). */
export function templateFromInjectorConfig(text: string, source: string, revision: string): InjectTemplate {
  let doc = parse(text) as Obj;
  if (doc?.kind === 'ConfigMap') doc = parse(String(doc.data?.config ?? '')) as Obj;
  const sidecar = doc?.templates?.sidecar;
  if (typeof sidecar !== 'string')
    throw new MeshError(`${source}: no templates.sidecar in the injector config`, {
      exitCode: ExitCode.DATA,
    });
  if (sidecar.includes('{{'))
    throw new MeshError(
      `${source}: the sidecar template uses Go template actions, which only istiod can render`,
      {
        exitCode: ExitCode.DATA,
        hint: 'use the injector ConfigMap mesh installs (mesh manifest generate), whose template is plain YAML',
      },
    );
  return { spec: (parse(sidecar) as Obj).spec ?? {}, revision };
}

/** Where each workload kind keeps its pod template (path of keys from the object). */
const POD_TEMPLATE: Record<string, string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';

/** Why a pod template is left alone, or undefined when it gets the sidecar. */
function skipReason(pod: Obj): string | undefined {
  const ann = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  if (String(labels['sidecar.istio.io/inject'] ?? ann['sidecar.istio.io/inject']) === 'false')
    return 'injection disabled';
  if (pod.spec?.hostNetwork === true) return 'host network';
  if (ann[STATUS_ANNOTATION] !== undefined) return 'already injected';
  return undefined;
}

function mergeByName(existing: Obj[] | undefined, added: Obj[], prepend: boolean): Obj[] {
  const mine = existing ?? [];
  const byName = new Map(mine.map((c) => [c.name, c]));
  const fresh = added.filter((a) => !byName.has(a.name));
  const merged = mine.map((c) => {
    const t = added.find((a) => a.name === c.name);
    return t ? { ...t, ...c } : c;
  });
  return prepend ? [...fresh, ...merged] : [...merged, ...fresh];
}

/** A pod template with the sidecar merged in (a new object), or the same object when skipped. */
export function injectPodTemplate(pod: Obj, t: InjectTemplate): Obj {
  if (skipReason(pod)) return pod;
  const out = structuredClone(pod);
  out.metadata ??= {};
  out.spec ??= {};
  const appContainers = (out.spec.containers ?? []) as Obj[];
  const init = (t.spec.initContainers ?? []) as Obj[];
  const containers = (t.spec.containers ?? []) as Obj[];
  const volumes = (t.spec.volumes ?? []) as Obj[];
  if (init.length > 0) out.spec.initContainers = mergeByName(out.spec.initContainers, init, true);
  // as istiod: the proxy goes first when the application waits for it, else last
  const waits = containers.some(
    (c) => c.lifecycle?.postStart?.exec?.command?.join(' ') === 'pilot-agent wait',
  );
  out.spec.containers = mergeByName(appContainers, containers, waits);
  if (volumes.length > 0) out.spec.volumes = mergeByName(out.spec.volumes, volumes, false);
  const defaultContainer = appContainers.find((c) => !containers.some((s) => s.name === c.name))?.name;
  out.metadata.annotations = {
    ...(out.metadata.annotations ?? {}),
    ...(defaultContainer && !out.metadata.annotations?.['kubectl.kubernetes.io/default-container']
      ? { 'kubectl.kubernetes.io/default-container': defaultContainer }
      : {}),
    [STATUS_ANNOTATION]: JSON.stringify({
      initContainers: init.map((c) => c.name),
      containers: containers.map((c) => c.name),
      volumes: volumes.map((v) => v.name),
      imagePullSecrets: null,
      revision: t.revision,
    }),
  };
  return out;
}

/** A workload with its pod template injected; other kinds (and a List's other items) are returned as they are. */
export function injectObject(o: Obj, t: InjectTemplate): Obj {
  if (o?.kind === 'List' && Array.isArray(o.items))
    return { ...o, items: o.items.map((i: Obj) => injectObject(i, t)) };
  const path = POD_TEMPLATE[o?.kind];
  if (!path) return o;
  if (path.length === 0) return injectPodTemplate(o, t);
  const out = structuredClone(o);
  let parent: Obj = out;
  for (const key of path.slice(0, -1)) {
    if (typeof parent[key] !== 'object' || parent[key] === null) return o;
    parent = parent[key];
  }
  const last = path[path.length - 1]!;
  if (typeof parent[last] !== 'object' || parent[last] === null) return o;
  const pod = injectPodTemplate(parent[last], t);
  if (pod === parent[last]) return o;
  parent[last] = pod;
  return out;
}

/**
 * Injects every document of a multi-document YAML text. Documents that are not workloads come back
 * unchanged (their text as written); a document that does not parse is an error naming its line.
 */
export function injectYaml(text: string, t: InjectTemplate, source: string): string {
  const docs = parseAllDocuments(text);
  const out: string[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new MeshError(`${source}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`, {
        exitCode: ExitCode.DATA,
      });
    }
    if (doc.contents === null) continue;
    const value = doc.toJS() as Obj;
    const injected = injectObject(value, t);
    out.push(
      injected === value
        ? doc.toString({ lineWidth: 0 }).replace(/^---\n/, '')
        : stringify(injected, { lineWidth: 0 }),
    );
  }
  return out.join('---\n');
}
