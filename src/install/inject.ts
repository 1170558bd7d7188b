import { LineCounter, parseAllDocuments, stringify, type Document } from 'yaml';
import { ExitCode, MeshError } from '../util/errors.js';
import { isObject, list, ownValue, str, text as textOf } from '../util/values.js';
import { docValue, yamlSyntaxError } from './yaml-doc.js';

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

/** The workload a pod template belongs to, as the injector is told of it. */
export interface PodOwner {
  kind: string;
  name?: string;
  /** The pod template's namespace, else the workload's; undefined when the document gives none. */
  namespace?: string;
}

/**
 * Injects one pod template: the injected template (a new object), or the same object when the injector
 * leaves it alone. A failure throws (a MeshError for the user).
 */
export type PodInjector = (pod: Obj, owner: PodOwner) => Obj | Promise<Obj>;

/** The offline injector: mesh's template (or a rendered injector ConfigMap's) merged into the pod. */
export const templateInjector =
  (t: InjectTemplate): PodInjector =>
  (pod) =>
    injectPodTemplate(pod, t);

/** Reads `templates.sidecar` from an injector `config` (or a whole injector ConfigMap). */
export function templateFromInjectorConfig(text: string, source: string, revision: string): InjectTemplate {
  let doc = parseOne(text, source);
  if (doc?.kind === 'ConfigMap') {
    const config = doc.data?.config;
    doc = parseOne(typeof config === 'string' ? config : '', `${source} (data.config)`);
  }
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
        hint: "let istiod inject: --webhookConfig asks the cluster's injector webhook (or use the injector ConfigMap mesh installs, whose template is plain YAML)",
      },
    );
  const tpl = parseOne(sidecar, `${source} (templates.sidecar)`);
  const problem = isObject(tpl) ? podProblem({ spec: tpl.spec }) : { at: [], expected: 'a mapping' };
  if (problem)
    throw new MeshError(`${source}: templates.sidecar: ${describeProblem(problem)}`, {
      exitCode: ExitCode.DATA,
    });
  return { spec: (tpl as Obj).spec ?? {}, revision };
}

/** One YAML document as plain data; a syntax error is unusable input naming the source and line. */
function parseOne(text: string, source: string): Obj | undefined {
  const doc = parseAllDocuments(text)[0];
  if (!doc) return undefined;
  throwFirstError(doc, source);
  return docValue(doc, source) as Obj;
}

function throwFirstError(doc: Document.Parsed, source: string): void {
  if (doc.errors[0]) throw yamlSyntaxError(source, doc.errors[0]);
}

/** A field of a pod template whose type would make the merge drop or mangle it: where, and what it should be. */
interface ShapeProblem {
  at: Array<string | number>;
  expected: string;
}

function describeProblem(p: ShapeProblem): string {
  const at = p.at.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k),
    '',
  );
  return `${at || 'the document'} must be ${p.expected}`;
}

/**
 * The first field of a pod (template) that injection reads or writes with the wrong type: metadata and
 * its annotations and labels must be mappings, spec a mapping, and its containers, initContainers and
 * volumes lists of mappings. Injecting around such a field would crash or turn it into something else.
 */
function podProblem(pod: Obj): ShapeProblem | undefined {
  const mapping = (v: unknown) => v === undefined || v === null || isObject(v);
  if (!mapping(pod.metadata)) return { at: ['metadata'], expected: 'a mapping' };
  for (const k of ['annotations', 'labels'])
    if (!mapping(pod.metadata?.[k])) return { at: ['metadata', k], expected: 'a mapping' };
  if (!mapping(pod.spec)) return { at: ['spec'], expected: 'a mapping' };
  for (const k of ['initContainers', 'containers', 'volumes']) {
    const v = pod.spec?.[k];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) return { at: ['spec', k], expected: 'a list' };
    const i = v.findIndex((e) => !isObject(e));
    if (i >= 0) return { at: ['spec', k, i], expected: 'a mapping' };
  }
  return undefined;
}

/** A workload whose pod template cannot be injected as written; `at` is the path from the document root. */
class ShapeError extends Error {
  constructor(readonly problem: ShapeProblem) {
    super(describeProblem(problem));
  }
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

/** Why a pod template is left alone, or undefined when it gets the sidecar (host network: see injectObject). */
function skipReason(pod: Obj): string | undefined {
  const ann = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  if (textOf(labels['sidecar.istio.io/inject'] ?? ann['sidecar.istio.io/inject']) === 'false')
    return 'injection disabled';
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
    (c) => list(c.lifecycle?.postStart?.exec?.command).join(' ') === 'pilot-agent wait',
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
export async function injectObject(o: Obj, inject: PodInjector): Promise<Obj> {
  if (o?.kind === 'List' && o.items !== undefined && o.items !== null) {
    if (!Array.isArray(o.items)) throw new ShapeError({ at: ['items'], expected: 'a list' });
    const items: Obj[] = [];
    for (const [i, item] of (o.items as Obj[]).entries()) {
      try {
        items.push(await injectObject(item, inject));
      } catch (err) {
        if (err instanceof ShapeError)
          throw new ShapeError({ ...err.problem, at: ['items', i, ...err.problem.at] });
        throw err;
      }
    }
    return items.every((item, i) => item === o.items[i]) ? o : { ...o, items };
  }
  const path = typeof o?.kind === 'string' ? ownValue(POD_TEMPLATE, o.kind) : undefined;
  if (!path) return o;
  // an absent pod template is left alone; one of the wrong type is an error, not a silent pass-through
  let pod: unknown = o;
  for (let i = 0; i < path.length; i++) {
    if (!isObject(pod)) throw new ShapeError({ at: path.slice(0, i), expected: 'a mapping' });
    pod = pod[path[i]!];
    if (pod === undefined || pod === null) return o;
  }
  if (!isObject(pod)) throw new ShapeError({ at: path, expected: 'a mapping' });
  const problem = podProblem(pod);
  if (problem) throw new ShapeError({ ...problem, at: [...path, ...problem.at] });
  // as istioctl: a pod on the host's network is never given to the injector (its iptables rules would
  // redirect the node's traffic)
  if (pod.spec?.hostNetwork === true) return o;
  const injected = await inject(pod, ownerOf(o, pod));
  if (injected === pod) return o;
  if (path.length === 0) return injected;
  const out = structuredClone(o);
  let parent: Obj = out;
  for (const key of path.slice(0, -1)) parent = parent[key];
  parent[path[path.length - 1]!] = injected;
  return out;
}

/**
 * Injects every document of a multi-document YAML text. Documents that are not workloads (or are left
 * alone) come back byte for byte, with the separators, comments, line endings and blank documents
 * around them; an injected document keeps its `---` line and the comments before and after it. A
 * document that does not parse, or a workload whose pod template has fields of the wrong type, is an
 * error naming its line.
 */
export async function injectYaml(text: string, inject: PodInjector, source: string): Promise<string> {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  let out = text.slice(0, docs[0]?.range[0] ?? text.length);
  for (const [i, doc] of docs.entries()) {
    throwFirstError(doc, source);
    const start = doc.range[0];
    const end = docs[i + 1]?.range[0] ?? text.length;
    if (doc.contents === null) {
      out += text.slice(start, end);
      continue;
    }
    const value = docValue(doc, `${source}:${lines.linePos(start).line}`) as Obj;
    let injected: Obj;
    try {
      injected = await injectObject(value, inject);
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      const line = lineOf(doc, lines, err.problem.at);
      throw new MeshError(`${source}:${line}: ${workloadName(value, err.problem.at)}${err.message}`, {
        exitCode: ExitCode.DATA,
      });
    }
    if (injected === value) {
      out += text.slice(start, end);
      continue;
    }
    const body = stringify(injected, { lineWidth: 0 });
    const eol = text.slice(start, end).includes('\r\n') ? body.replaceAll('\n', '\r\n') : body;
    out += text.slice(start, doc.contents.range[0]) + eol + text.slice(doc.range[1], end);
  }
  return out;
}

/** Kind, name and namespace of the workload a pod template belongs to (the template's own first). */
function ownerOf(o: Obj, pod: Obj): PodOwner {
  const name = str(pod.metadata?.name) || str(o.metadata?.name);
  const namespace = str(pod.metadata?.namespace) || str(o.metadata?.namespace);
  return { kind: String(o.kind), ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) };
}

/** The line of the deepest node of `at` that the document has. */
function lineOf(doc: Document.Parsed, lines: LineCounter, at: ReadonlyArray<string | number>): number {
  for (let n = at.length; n >= 0; n--) {
    const node = doc.getIn(at.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return lines.linePos(doc.range[0]).line;
}

/** `Deployment web: ` for the object the problem is in (a List's item, or the document itself). */
function workloadName(value: Obj, at: ReadonlyArray<string | number>): string {
  const o = at[0] === 'items' && typeof at[1] === 'number' ? value.items[at[1]] : value;
  const name = o?.metadata?.name;
  return `${String(o.kind)}${typeof name === 'string' ? ` ${name}` : ''}: `;
}
