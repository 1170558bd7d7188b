import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
  type YAMLError,
} from 'yaml';
import { ExitCode, MeshError } from '../util/errors.js';
import { goBool } from '../util/flags.js';
import { isObject, list, ownValue, str, text as textOf } from '../util/values.js';
import {
  deeperThan,
  isSequenceOfObjects,
  MAX_NESTING,
  nestingMessage,
  SEQUENCE_OF_OBJECTS,
  shortPath,
} from '../manifests/limits.js';
import { formatPath, type PathSegment } from '../manifests/path.js';
import { offsetInTree } from '../manifests/positions.js';
import { docValue, yamlSyntaxError } from './yaml-doc.js';
import { stringifyForKube } from './kube-yaml.js';
import { readNamedInput } from '../util/input.js';
import type { KubeApi } from '../kube/api.js';

/**
 * Offline sidecar injection (`mesh kube-inject`): merges the injector template into the pod templates of
 * workloads, the way istiod's injector merges it into pods it admits. Pure, but for kubeInject at the end:
 * `mesh kube-inject` past its flags, which reads the template, values and mesh config it is given.
 */

type Obj = Record<string, any>;

export interface InjectTemplate {
  /** The template's pod spec fragment: initContainers, containers, volumes. */
  spec: Obj;
  revision: string;
  /**
   * The proxy's status port when the mesh config merges the application's metrics into the proxy's
   * (`enablePrometheusMerge`, istiod's default): pods then get the `prometheus.io/*` annotations pointing
   * at it. Undefined: no merge (no mesh config given).
   */
  prometheusMergePort?: number;
  /** The proxy's status port (the mesh config's `defaultConfig.statusPort`); undefined: 15020. */
  statusPort?: number;
  /**
   * The cluster name of the injector's values when they carry one (`global.multiCluster.clusterName`):
   * istiod then sets the proxy's `ISTIO_META_CLUSTER_ID` itself, last of its env vars.
   */
  clusterId?: string;
  /** The proxy config's `interceptionMode` (the mesh config's, or a pod's `proxy.istio.io/config`). */
  interceptionMode?: string;
  /**
   * The names of the injector config's templates and its `aliases` (a name for a list of templates), which
   * a pod's `inject.istio.io/templates` is resolved against; undefined: mesh's own config (`sidecar`).
   */
  templates?: { names: string[]; aliases: Record<string, string[]> };
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
  const problem = isObject(tpl) ? podProblem({ spec: tpl.spec }) : { at: [], says: 'must be a mapping' };
  if (problem)
    throw new MeshError(`${source}: templates.sidecar: ${describeProblem(problem)}`, {
      exitCode: ExitCode.DATA,
    });
  const aliases = Object.fromEntries(
    Object.entries(isObject(doc?.aliases) ? (doc!.aliases as Obj) : {})
      .filter(([, v]) => Array.isArray(v))
      .map(([k, v]) => [k, (v as unknown[]).map(String)]),
  );
  return {
    spec: (tpl as Obj).spec ?? {},
    revision,
    templates: { names: Object.keys(doc!.templates), aliases },
  };
}

export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';

/**
 * What is wrong with the templates a pod asks for with `inject.istio.io/templates` (comma-separated names,
 * aliases resolved as istiod resolves them), or undefined when it asks for none or for `sidecar`: a name
 * the injector config has no template for (istiod's own words, its injection failing), or a template
 * other than `sidecar` (the one template mesh renders).
 */
export function templatesProblem(pod: Obj, t: InjectTemplate): string | undefined {
  const value = pod.metadata?.annotations?.[TEMPLATES_ANNOTATION];
  if (value === undefined || value === null || typeof value === 'object') return undefined;
  const { names, aliases } = t.templates ?? { names: ['sidecar'], aliases: {} };
  const asked = String(value)
    .split(',')
    .map((n) => n.trim())
    .flatMap((n) => aliases[n] ?? [n]);
  const missing = asked.find((n) => !names.includes(n));
  if (missing !== undefined)
    return `names template "${missing}", which the injector config does not have (it has ${[...names].sort().join(', ')}): istiod refuses the pod`;
  const other = asked.find((n) => n !== 'sidecar');
  if (other !== undefined)
    return `names template "${other}": mesh kube-inject renders only the sidecar template (let istiod inject it: --webhookConfig)`;
  return undefined;
}

/** One YAML document as plain data; a syntax error is unusable input naming the source and line. */
function parseOne(text: string, source: string): Obj | undefined {
  const { docs, lines } = parseDocuments(text);
  const doc = docs[0];
  if (!doc) return undefined;
  return checkedValue(doc, lines, text, source, source) as Obj;
}

/**
 * The documents of a YAML text and their line positions. The parser never prints anything: its messages
 * are only read from `doc.errors` (its default would also report, as a Node process warning on stderr,
 * each mapping used as a key; those are refused in `checkedValue`).
 */
function parseDocuments(text: string) {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error' });
  return { docs, lines };
}

/**
 * A parsed document as plain data, once it is known to be one a Kubernetes object can be: no syntax
 * error, no mapping or sequence used as a key (the sign of an unrendered Helm template:
 * `name: {{ .Values.name }}` is a mapping whose key is a mapping), no nesting deeper than analyze allows.
 * Each is an error naming the source and line (exit 65); `where` names the source in the other errors.
 */
function checkedValue(
  doc: Document.Parsed,
  lines: LineCounter,
  text: string,
  source: string,
  where: string,
): unknown {
  const problem = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION') ?? doc.errors[0];
  if (problem) throw syntaxError(problem, lines, text, source);
  const at = (offset: number) => `${source}:${lines.linePos(offset).line}`;
  checkNodes(doc, text, at);
  const value = docValue(doc, where, at);
  // aliases can nest a document deeper than its text does
  const deep = deeperThan(value, MAX_NESTING);
  if (deep)
    throw new MeshError(`${source}:${lineOf(doc, lines, deep)}: ${nestingMessage(shortPath(deep))}`, {
      exitCode: ExitCode.DATA,
    });
  return value;
}

const RENDER_FIRST = 'render it first: helm template … | mesh kube-inject -f -';

/**
 * A syntax error in one line, ending with what is wrong and its column (the parser's own message would
 * end with ` at line L, column C:` and an excerpt). The parser running out of stack is nesting too deep;
 * an error on a line with `{{` gets the advice to render the template first.
 */
function syntaxError(err: YAMLError, lines: LineCounter, text: string, source: string): MeshError {
  const { line, col } = lines.linePos(err.pos[0]);
  if (err.code === 'RESOURCE_EXHAUSTION')
    return new MeshError(`${source}:${line}: ${nestingMessage()}`, { exitCode: ExitCode.DATA });
  const start = lines.lineStarts[line - 1] ?? 0;
  const end = lines.lineStarts[line] ?? text.length;
  const template = text.slice(start, end).includes('{{') ? ` (an unrendered template? ${RENDER_FIRST})` : '';
  return yamlSyntaxError(source, {
    message: `${err.message.split('\n')[0]} at column ${col}${template}`,
    linePos: [{ line }],
  });
}

/**
 * Walks a document's nodes without recursion and throws for the first collection nested deeper than
 * MAX_NESTING (the top-level one is level 1, as analyze counts) or used as a mapping key (directly or
 * through an alias). `at` gives `file:line` for an offset.
 */
function checkNodes(doc: Document.Parsed, text: string, at: (offset: number) => string): void {
  interface Frame {
    node: unknown;
    depth: number;
    parent?: Frame;
    key: PathSegment;
  }
  const pathOf = (f: Frame) => {
    const path: PathSegment[] = [];
    for (let p: Frame | undefined = f; p?.parent; p = p.parent) path.push(p.key);
    return path.reverse();
  };
  const aliasKeys: Array<[YamlNode, Frame]> = [];
  const stack: Frame[] = [{ node: doc.contents, depth: 1, key: '' }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (!isCollection(f.node)) continue;
    const offset = f.node.range?.[0] ?? 0;
    if (f.depth > MAX_NESTING)
      throw new MeshError(`${at(offset)}: ${nestingMessage(shortPath(pathOf(f)))}`, {
        exitCode: ExitCode.DATA,
      });
    const children: Frame[] = [];
    for (const [i, item] of (f.node.items as unknown[]).entries()) {
      if (!isPair(item)) {
        children.push({ node: item, depth: f.depth + 1, parent: f, key: i });
        continue;
      }
      if (isCollection(item.key))
        throw collectionKey(f.node, item.key, at(item.key.range?.[0] ?? offset), pathOf(f), text);
      if (isAlias(item.key)) aliasKeys.push([f.node, f]);
      const key = isScalar(item.key) ? String(item.key.value) : '';
      children.push({ node: item.value, depth: f.depth + 1, parent: f, key: isMap(f.node) ? key : i });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  for (const [map, f] of aliasKeys)
    for (const item of (map as { items: unknown[] }).items)
      if (isPair(item) && isAlias(item.key)) {
        const target = item.key.resolve(doc);
        if (isCollection(target))
          throw collectionKey(map, target, at(item.key.range?.[0] ?? 0), pathOf(f), text);
      }
}

/**
 * The error for a mapping or sequence used as a key (`where`: its file and line) in `map` (at `path`):
 * JSON, and so Kubernetes, has only string keys. Written in the text as `{{ … }}`, it is an unrendered
 * template.
 */
function collectionKey(
  map: YamlNode,
  key: YamlNode,
  where: string,
  path: PathSegment[],
  text: string,
): MeshError {
  const [start, end] = map.range ?? [0, 0];
  const written = text.slice(start, end).trim();
  const field = path.length > 0 ? formatPath(path) : 'the document';
  const message = written.startsWith('{{')
    ? `${field} is ${written.split(/\r?\n/)[0]!.slice(0, 80)}, an unrendered template: ${RENDER_FIRST}`
    : `${field} has a ${isMap(key) ? 'mapping' : 'sequence'} as a key, which a Kubernetes object cannot hold`;
  return new MeshError(`${where}: ${message}`, { exitCode: ExitCode.DATA });
}

/**
 * A field of a pod template that cannot be injected as written (a type that would make the merge drop or
 * mangle it, an annotation that does not read): where, and what is wrong (`must be a mapping`).
 */
interface ShapeProblem {
  at: Array<string | number>;
  says: string;
}

function describeProblem(p: ShapeProblem): string {
  const at = p.at.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k),
    '',
  );
  return `${at || 'the document'} ${p.says}`;
}

/**
 * The first field of a pod (template) that injection reads or writes with the wrong type: metadata and
 * its annotations and labels must be mappings, spec a mapping, and its containers, initContainers and
 * volumes lists of mappings. Injecting around such a field would crash or turn it into something else.
 */
function podProblem(pod: Obj): ShapeProblem | undefined {
  const mapping = (v: unknown) => v === undefined || v === null || isObject(v);
  if (!mapping(pod.metadata)) return { at: ['metadata'], says: 'must be a mapping' };
  for (const k of ['annotations', 'labels'])
    if (!mapping(pod.metadata?.[k])) return { at: ['metadata', k], says: 'must be a mapping' };
  if (!mapping(pod.spec)) return { at: ['spec'], says: 'must be a mapping' };
  for (const k of ['initContainers', 'containers', 'volumes']) {
    const v = pod.spec?.[k];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) return { at: ['spec', k], says: 'must be a list' };
    const i = v.findIndex((e) => !isObject(e));
    if (i >= 0) return { at: ['spec', k, i], says: 'must be a mapping' };
  }
  return undefined;
}

/**
 * A workload whose pod template cannot be injected as written. `at` is the path from the document root
 * (from the pod template when a PodInjector throws it: injectObject puts the template's path before it).
 */
export class PodFieldError extends Error {
  readonly problem: ShapeProblem;
  constructor(at: Array<string | number>, says: string) {
    const problem = { at, says };
    super(describeProblem(problem));
    this.problem = problem;
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
export function skipReason(pod: Obj): string | undefined {
  const ann = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  if (textOf(labels['sidecar.istio.io/inject'] ?? ann['sidecar.istio.io/inject']) === 'false')
    return 'injection disabled';
  if (ann[STATUS_ANNOTATION] !== undefined) return 'already injected';
  return undefined;
}

/**
 * The list fields of a container that a strategic merge patch merges item by item (by this key), as
 * Kubernetes' container schema says; other lists are replaced whole.
 */
const MERGE_KEYS: Record<string, string> = { env: 'name', volumeMounts: 'mountPath', ports: 'containerPort' };

/**
 * `mine` over `base` as a strategic merge patch does (istiod lays the pod's own container over the
 * template's of the same name): mappings are merged key by key, `null` removes a key, the lists of
 * MERGE_KEYS are merged by their key (the template's items first), anything else of `mine` wins.
 */
function overlay(base: unknown, mine: unknown, key?: string): unknown {
  if (Array.isArray(base) && Array.isArray(mine) && key !== undefined && MERGE_KEYS[key]) {
    const k = MERGE_KEYS[key];
    const keyed = (e: unknown) => isObject(e) && e[k] !== undefined;
    if (![...base, ...mine].every(keyed)) return mine;
    const merged = (base as Obj[]).map((b) => {
      const m = (mine as Obj[]).find((x) => x[k] === b[k]);
      return m ? (overlay(b, m) as Obj) : b;
    });
    return [...merged, ...(mine as Obj[]).filter((m) => !(base as Obj[]).some((b) => b[k] === m[k]))];
  }
  if (!isObject(base) || !isObject(mine)) return mine;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(mine)) {
    if (v === null) delete out[k];
    else out[k] = k in base ? overlay(base[k], v, k) : v;
  }
  return out;
}

/**
 * The pod's own version of a template container as istiod lays it over the template's: `image: auto`
 * (the placeholder a pod writes because a container needs an image) is no image, so the template's stays.
 */
function ownContainer(c: Obj): Obj {
  if (c.image !== 'auto') return c;
  const { image: _, ...rest } = c;
  return rest;
}

function mergeByName(
  existing: Obj[] | undefined,
  added: Obj[],
  prepend: boolean,
  own = (c: Obj) => c,
): Obj[] {
  const mine = existing ?? [];
  const byName = new Map(mine.map((c) => [c.name, c]));
  const fresh = added.filter((a) => !byName.has(a.name));
  const merged = mine.map((c) => {
    const t = added.find((a) => a.name === c.name);
    return t ? (overlay(t, own(c)) as Obj) : c;
  });
  return prepend ? [...fresh, ...merged] : [...merged, ...fresh];
}

/** `list` with the item named `name` (if any) moved to the front or the end. */
function move(list: Obj[], name: string, where: 'first' | 'last'): Obj[] {
  const i = list.findIndex((c) => c.name === name);
  if (i < 0) return list;
  const rest = [...list.slice(0, i), ...list.slice(i + 1)];
  return where === 'first' ? [list[i]!, ...rest] : [...rest, list[i]!];
}

/**
 * The init containers in istiod's order (its reorderPod): with the proxy as a native sidecar (an init
 * container), `istio-init`, `istio-validation` and the proxy go first, so the pod's own init containers
 * are in the mesh; else `istio-init` goes last, so its iptables rules do not cut the pod's own init
 * containers off the network before any proxy runs (`istio-validation` first, `enable-core-dump` last but one).
 */
function orderInitContainers(list: Obj[]): Obj[] {
  if (list.some((c) => c.name === 'istio-proxy')) {
    let out = move(list, 'enable-core-dump', 'first');
    for (const name of ['istio-proxy', 'istio-validation', 'istio-init']) out = move(out, name, 'first');
    return out;
  }
  const out = move(move(list, 'enable-core-dump', 'last'), 'istio-validation', 'first');
  return move(out, 'istio-init', 'last');
}

/** An annotation name as Prometheus sanitizes a label name (istiod matches the scrape annotations so). */
const sanitized = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, '_');

/** The sanitized names of the annotations metrics merging reads and replaces. */
const SCRAPE = 'prometheus_io_scrape';
const PORT = 'prometheus_io_port';
const PATH = 'prometheus_io_path';
const TARGETS = 'prometheus_istio_io_scrape_targets';

/** The proxy's ports a scrape target must not be (istiod's list, with its reasons). */
const RESERVED_PORTS: Record<string, string> = {
  '15000': 'Envoy admin',
  '15001': 'outbound traffic capture',
  '15004': 'pilot debug',
  '15006': 'inbound traffic capture',
  '15008': 'HBONE tunnel',
  '15020': 'pilot-agent status / merged Prometheus',
  '15021': 'Envoy health',
  '15053': 'DNS proxy',
  '15090': 'Envoy Prometheus (already merged)',
};

/** `prometheus.istio.io/scrape-targets`: comma-separated `port[:path]` (path `/metrics` by default). */
function scrapeTargets(value: string): Array<{ port: string; path: string }> | undefined {
  const out: Array<{ port: string; path: string }> = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const i = entry.indexOf(':');
    const port = (i < 0 ? entry : entry.slice(0, i)).trim();
    if (port === '') return undefined; // istiod ignores the annotation (a warning in its log)
    const path = i < 0 ? '' : entry.slice(i + 1).trim();
    out.push({ port, path: path || '/metrics' });
  }
  return out;
}

/** Why the application's metrics cannot be scraped on `port` through the agent listening on `agent`. */
function scrapePortProblem(port: string, agent: string): string | undefined {
  const n = /^[+-]?\d+$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) return `"${port}" is not a port number (1-65535)`;
  const canon = String(n);
  if (canon === agent) return `${port} is the port of the agent that merges the metrics`;
  const reserved = RESERVED_PORTS[canon];
  if (reserved) return `${port} is a port of the proxy (${reserved}), not the application's`;
  return undefined;
}

/**
 * istiod's metrics merging (its applyPrometheusMerge), on an injected pod: unless the pod's
 * `prometheus.io/scrape` is false (a Go boolean: `false`, `False`, `0`…), or merging is off
 * (`prometheus.istio.io/merge-metrics`, else the mesh config's `enablePrometheusMerge`), or the pod already
 * points at the status port, its `prometheus.io/*` annotations point Prometheus at the agent's merged
 * endpoint, and whatever scrape settings the pod had (`prometheus.io/scrape`, `path`, `port`,
 * `prometheus.istio.io/scrape-targets`) go to the proxy as `ISTIO_PROMETHEUS_ANNOTATIONS`, whose agent
 * merges the application's metrics in. A port the agent cannot scrape (not a port, the agent's, one of the
 * proxy's) is refused, as istiod refuses the pod.
 */
function mergePrometheus(pod: Obj, t: InjectTemplate): void {
  const ann = (pod.metadata.annotations ?? {}) as Obj;
  const entries = Object.entries(ann).filter(
    ([, v]) => v !== undefined && v !== null && typeof v !== 'object',
  );
  const find = (name: string) => entries.find(([k]) => sanitized(k) === name);
  const valueOf = (name: string) => {
    const e = find(name);
    return e ? textOf(e[1]) : '';
  };
  const scrapeOn = entries
    .filter(([k]) => sanitized(k) === SCRAPE)
    .map(([, v]) => goBool(textOf(v)))
    .find((b) => b !== undefined);
  if (scrapeOn === false) return;
  const merge =
    goBool(textOf(ann['prometheus.istio.io/merge-metrics'])) ?? t.prometheusMergePort !== undefined;
  if (!merge) return;
  const agent = String(t.statusPort ?? t.prometheusMergePort ?? 15020);
  const port = find(PORT);
  if (port && textOf(port[1]) === agent) return;
  const scrape: Obj = { scrape: valueOf(SCRAPE), path: valueOf(PATH), port: valueOf(PORT) };
  const targetsAt = find(TARGETS);
  const targets = targetsAt ? scrapeTargets(textOf(targetsAt[1])) : undefined;
  if (targets && targets.length > 0) {
    scrape.port = targets[0]!.port;
    scrape.path = targets[0]!.path;
    scrape.targets = targets;
    for (const target of targets) {
      const problem = scrapePortProblem(target.port, agent);
      if (problem)
        throw new PodFieldError(
          ['metadata', 'annotations', targetsAt![0]],
          `is not a list of targets the agent can scrape: ${problem}`,
        );
    }
  } else if (scrape.port !== '') {
    const problem = scrapePortProblem(scrape.port, agent);
    if (problem)
      throw new PodFieldError(
        ['metadata', 'annotations', port![0]],
        `is not a port the agent can scrape: ${problem}`,
      );
  }
  const proxy = proxyContainer(pod);
  const empty = scrape.scrape === '' && scrape.path === '' && scrape.port === '' && !scrape.targets;
  if (proxy && !empty)
    proxy.env = [...list(proxy.env), { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: JSON.stringify(scrape) }];
  const cleared = new Set([SCRAPE, PORT, PATH, TARGETS]);
  const rest = Object.fromEntries(Object.entries(ann).filter(([k]) => !cleared.has(sanitized(k))));
  pod.metadata.annotations = {
    ...rest,
    'prometheus.io/port': agent,
    'prometheus.io/path': '/stats/prometheus',
    'prometheus.io/scrape': 'true',
  };
}

const PROBES = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;

/** A Kubernetes object as Go's encoding/json writes it: these fields in this order, empty ones left out. */
function goFields(o: Obj, fields: string[], keep: string[] = []): Obj {
  const out: Obj = {};
  for (const f of fields) if (o[f] !== undefined && o[f] !== null && o[f] !== '') out[f] = o[f];
  for (const f of keep) out[f] ??= o[f] ?? null;
  return out;
}

/**
 * istiod's probe rewrite (its applyRewrite), for a pod that asks with
 * `sidecar.istio.io/rewriteAppHTTPProbers: "true"`: each httpGet, tcpSocket and grpc probe of the pod's
 * containers becomes an httpGet of the agent's `/app-health/<container>/<readyz|livez|startupz>` on the
 * status port, and the original probes (named ports resolved) go to the proxy as `ISTIO_KUBE_APP_PROBERS`,
 * whose agent runs them.
 */
function rewriteProbes(pod: Obj, statusPort: number): void {
  if (goBool(textOf(pod.metadata.annotations?.['sidecar.istio.io/rewriteAppHTTPProbers'])) !== true) return;
  const all = [...list(pod.spec.initContainers), ...list(pod.spec.containers)] as Obj[];
  const proxy = proxyContainer(pod);
  if (!proxy) return;
  const probers: Obj = {};
  for (const c of all) {
    if (c.name === 'istio-proxy') continue;
    const named = new Map(
      list(c.ports)
        .filter((p) => isObject(p) && p.name)
        .map((p) => [p.name, p.containerPort]),
    );
    for (const [field, kind] of PROBES) {
      const probe = c[field];
      if (!isObject(probe)) continue;
      const url = `/app-health/${String(c.name)}/${kind}`;
      const timeout = probe.timeoutSeconds ? { timeoutSeconds: probe.timeoutSeconds } : {};
      const handler = ['httpGet', 'tcpSocket'].find((k) => isObject(probe[k]));
      if (handler) {
        const action = probe[handler] as Obj;
        let port = action.port;
        if (typeof port === 'string' && !/^\d+$/.test(port)) port = named.get(port);
        if (port !== undefined && Number(port) !== statusPort) {
          const fields =
            handler === 'httpGet' ? ['path', 'port', 'host', 'scheme', 'httpHeaders'] : ['port', 'host'];
          probers[url] = { [handler]: goFields({ ...action, port }, fields), ...timeout };
        }
        const get =
          handler === 'httpGet'
            ? {
                ...action,
                path: url,
                port: statusPort,
                ...(action.scheme === 'HTTPS' ? { scheme: 'HTTP' } : {}),
              }
            : { path: url, port: statusPort };
        const { tcpSocket: _, ...rest } = probe;
        c[field] = handler === 'httpGet' ? { ...probe, httpGet: get } : { ...rest, httpGet: get };
      } else if (isObject(probe.grpc)) {
        probers[url] = { grpc: goFields(probe.grpc, ['port'], ['service']), ...timeout };
        const { grpc: _, ...rest } = probe;
        c[field] = { ...rest, httpGet: { path: url, port: statusPort } };
      }
    }
  }
  if (Object.keys(probers).length === 0) return;
  const sorted = Object.fromEntries(
    Object.keys(probers)
      .sort()
      .map((k) => [k, probers[k]]),
  );
  proxy.env = [...list(proxy.env), { name: 'ISTIO_KUBE_APP_PROBERS', value: JSON.stringify(sorted) }];
}

/** The pod's `istio-proxy` container (among its containers, else its init containers, as a native sidecar). */
function proxyContainer(pod: Obj): Obj | undefined {
  return [...list(pod.spec.containers), ...list(pod.spec.initContainers)].find(
    (c): c is Obj => isObject(c) && c.name === 'istio-proxy',
  );
}

/**
 * istiod's adjustInitContainerUser: when the pod's own `istio-proxy` sets `securityContext.runAsUser` or
 * `runAsGroup`, the traffic the iptables rules of `istio-init` let out unredirected is that user's (its
 * `-u` argument; not for user 0), `istio-validation` runs as that user and group, and in TPROXY mode
 * (the proxy config's or the pod's `sidecar.istio.io/interceptionMode`) the proxy stays user 0.
 */
function adjustInitContainerUser(pod: Obj, own: Obj | undefined, t: InjectTemplate): void {
  const sc = isObject(own?.securityContext) ? (own!.securityContext as Obj) : undefined;
  const uid = sc?.runAsUser ?? undefined;
  const gid = sc?.runAsGroup ?? undefined;
  if (uid === undefined && gid === undefined) return;
  const inits = list(pod.spec.initContainers) as Obj[];
  const init = inits.find((c) => c.name === 'istio-init') ?? inits.find((c) => c.name === 'istio-validation');
  if (!init) return;
  const tproxy =
    t.interceptionMode === 'TPROXY' ||
    textOf(pod.metadata.annotations?.['sidecar.istio.io/interceptionMode']) === 'TPROXY';
  if (tproxy && uid !== undefined) {
    const proxy = proxyContainer(pod);
    if (proxy) proxy.securityContext = { ...proxy.securityContext, runAsUser: 0 };
  }
  if (!tproxy && init.name === 'istio-validation')
    init.securityContext = {
      ...init.securityContext,
      ...(uid !== undefined ? { runAsUser: uid } : {}),
      ...(gid !== undefined ? { runAsGroup: gid } : {}),
    };
  if (uid === undefined || Number(uid) === 0) return;
  const args = list(init.args);
  const i = args.indexOf('-u');
  if (i >= 0 && i + 1 < args.length) init.args = [...args.slice(0, i + 1), String(uid), ...args.slice(i + 2)];
}

/**
 * istiod's cluster and network env vars (its extractClusterAndNetwork and overwriteClusterInfo): for a pod
 * labelled `topology.istio.io/network`, the proxy's `ISTIO_META_NETWORK`, so the proxy tells istiod which
 * network it is on, and the values' cluster name as `ISTIO_META_CLUSTER_ID`; both last among its env vars,
 * whatever the template says.
 */
function setClusterEnvs(pod: Obj, t: InjectTemplate): void {
  const label = pod.metadata.labels?.['topology.istio.io/network'];
  const network = label === undefined || label === null ? '' : textOf(label);
  const envs: Obj[] = [
    ...(t.clusterId ? [{ name: 'ISTIO_META_CLUSTER_ID', value: t.clusterId }] : []),
    ...(network !== '' ? [{ name: 'ISTIO_META_NETWORK', value: network }] : []),
  ];
  if (envs.length === 0) return;
  const proxy = proxyContainer(pod);
  if (!proxy) return;
  proxy.env = [...(list(proxy.env) as Obj[]).filter((e) => !envs.some((x) => x.name === e?.name)), ...envs];
}

/**
 * istiod's applySecurePrometheusAnnotation: a proxy serving its merged metrics over TLS too
 * (`ENVOY_SECURE_MERGED_METRICS_PORT`, not empty or 0) has the pod say where, `prometheus.istio.io/secure-port`,
 * unless the pod already names one.
 */
function securePrometheusPort(pod: Obj): void {
  const ann = (pod.metadata.annotations ?? {}) as Obj;
  if (Object.keys(ann).some((k) => sanitized(k) === 'prometheus_istio_io_secure_port')) return;
  const port = (list(proxyContainer(pod)?.env) as Obj[]).find(
    (e) => e?.name === 'ENVOY_SECURE_MERGED_METRICS_PORT',
  )?.value;
  if (typeof port !== 'string' || port === '' || port === '0') return;
  pod.metadata.annotations = { ...ann, 'prometheus.istio.io/secure-port': port };
}

const namesOrNull = (items: Obj[]) => (items.length > 0 ? items.map((c) => c?.name) : null);

/** A pod template with the sidecar merged in (a new object), or the same object when skipped. */
export function injectPodTemplate(pod: Obj, t: InjectTemplate): Obj {
  if (skipReason(pod)) return pod;
  const out = structuredClone(pod);
  out.metadata ??= {};
  out.spec ??= {};
  let appContainers = (out.spec.containers ?? []) as Obj[];
  // the template is shared by every pod: each pod gets its own copy of its containers, which the steps
  // below (metrics merge, probe rewrite, the proxy's user) edit in place
  const spec = structuredClone(t.spec);
  const init = (spec.initContainers ?? []) as Obj[];
  // as istiod: when the template makes the proxy a native sidecar (an init container), the pod's own
  // istio-proxy, written among its containers as for a classic sidecar, moves to its init containers to be
  // merged there (unless the pod says `sidecar.istio.io/nativeSidecar: "false"`), not left a second proxy
  const ownInContainers = appContainers.find((c) => c.name === 'istio-proxy');
  if (
    ownInContainers &&
    init.some((c) => c.name === 'istio-proxy') &&
    textOf(out.metadata.annotations?.['sidecar.istio.io/nativeSidecar']) !== 'false'
  ) {
    appContainers = appContainers.filter((c) => c !== ownInContainers);
    out.spec.containers = appContainers;
    out.spec.initContainers = [...list(out.spec.initContainers), ownInContainers];
  }
  const containers = (spec.containers ?? []) as Obj[];
  const volumes = (spec.volumes ?? []) as Obj[];
  if (init.length > 0)
    out.spec.initContainers = orderInitContainers(
      mergeByName(out.spec.initContainers, init, false, ownContainer),
    );
  // as istiod: the proxy goes first when the application waits for it, else last
  const waits = containers.some(
    (c) => list(c.lifecycle?.postStart?.exec?.command).join(' ') === 'pilot-agent wait',
  );
  out.spec.containers = mergeByName(appContainers, containers, waits, ownContainer);
  adjustInitContainerUser(out, isObject(pod.spec) ? proxyContainer(pod) : undefined, t);
  // as istiod: the template's volumes first (a strategic merge puts the patch's list items first)
  if (volumes.length > 0) out.spec.volumes = mergeByName(out.spec.volumes, volumes, true);
  const defaultContainer = appContainers.find((c) => !containers.some((s) => s.name === c.name))?.name;
  out.metadata.annotations = {
    ...(out.metadata.annotations ?? {}),
    ...(defaultContainer && !out.metadata.annotations?.['kubectl.kubernetes.io/default-container']
      ? { 'kubectl.kubernetes.io/default-container': defaultContainer }
      : {}),
    // as Go writes istiod's status: an empty list is null
    [STATUS_ANNOTATION]: JSON.stringify({
      initContainers: namesOrNull(init),
      containers: namesOrNull(containers),
      volumes: namesOrNull(volumes),
      imagePullSecrets: namesOrNull(list(spec.imagePullSecrets) as Obj[]),
      revision: t.revision,
    }),
  };
  setClusterEnvs(out, t);
  mergePrometheus(out, t);
  securePrometheusPort(out);
  rewriteProbes(out, t.statusPort ?? 15020);
  return out;
}

/** A workload with its pod template injected; other kinds (and a List's other items) are returned as they are. */
export async function injectObject(o: Obj, inject: PodInjector): Promise<Obj> {
  if (o?.kind === 'List' && o.items !== undefined && o.items !== null) {
    if (!Array.isArray(o.items)) throw new PodFieldError(['items'], 'must be a list');
    const items: Obj[] = [];
    for (const [i, item] of (o.items as Obj[]).entries()) {
      try {
        items.push(await injectObject(item, inject));
      } catch (err) {
        if (err instanceof PodFieldError)
          throw new PodFieldError(['items', i, ...err.problem.at], err.problem.says);
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
    if (!isObject(pod)) throw new PodFieldError(path.slice(0, i), 'must be a mapping');
    pod = pod[path[i]!];
    if (pod === undefined || pod === null) return o;
  }
  if (!isObject(pod)) throw new PodFieldError(path, 'must be a mapping');
  const problem = podProblem(pod);
  if (problem) throw new PodFieldError([...path, ...problem.at], problem.says);
  // as istioctl: a pod on the host's network is never given to the injector (its iptables rules would
  // redirect the node's traffic)
  if (pod.spec?.hostNetwork === true) return o;
  let injected: Obj;
  try {
    injected = await inject(pod, ownerOf(o, pod));
  } catch (err) {
    if (err instanceof PodFieldError) throw new PodFieldError([...path, ...err.problem.at], err.problem.says);
    throw err;
  }
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
  const { docs, lines } = parseDocuments(text);
  let out = text.slice(0, docs[0]?.range[0] ?? text.length);
  for (const [i, doc] of docs.entries()) {
    const start = doc.range[0];
    const end = docs[i + 1]?.range[0] ?? text.length;
    const value = checkedValue(doc, lines, text, source, `${source}:${lines.linePos(start).line}`) as Obj;
    if (doc.contents === null) {
      out += text.slice(start, end);
      continue;
    }
    // Deployments in a list would come back uninjected without a word (istioctl refuses the document)
    if (isSequenceOfObjects(value))
      throw new MeshError(`${source}:${lines.linePos(doc.contents.range[0]).line}: ${SEQUENCE_OF_OBJECTS}`, {
        exitCode: ExitCode.DATA,
      });
    let injected: Obj;
    try {
      injected = await injectObject(value, inject);
    } catch (err) {
      if (!(err instanceof PodFieldError)) throw err;
      const line = lineOf(doc, lines, err.problem.at);
      throw new MeshError(`${source}:${line}: ${workloadName(value, err.problem.at)}${err.message}`, {
        exitCode: ExitCode.DATA,
      });
    }
    if (injected === value) {
      out += text.slice(start, end);
      continue;
    }
    const body = stringifyForKube(injected, { lineWidth: 0 });
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
  // keys as the value has them (docValue: `y:` is the key "true"), found as the analyze locator finds them
  return lines.linePos(offsetInTree(doc.contents, at) ?? doc.range[0]).line;
}

/** `Deployment web: ` for the object the problem is in (a List's item, or the document itself). */
function workloadName(value: Obj, at: ReadonlyArray<string | number>): string {
  const o = at[0] === 'items' && typeof at[1] === 'number' ? value.items[at[1]] : value;
  const name = o?.metadata?.name;
  return `${String(o.kind)}${typeof name === 'string' ? ` ${name}` : ''}: `;
}

// ---- mesh kube-inject ----

/** What `mesh kube-inject` was asked, its flags checked. */
export interface KubeInjectRequest {
  /** --webhookConfig: inject with the cluster's webhook (this MutatingWebhookConfiguration, or the revision's). */
  webhook: { config?: string } | undefined;
  /** -r/--revision, as given. */
  revision: string | undefined;
  injectConfigFile: string | undefined;
  injectConfigMapName: string | undefined;
  valuesFile: string | undefined;
  meshConfigFile: string | undefined;
  meshConfigMapName: string | undefined;
  /** --operatorFileName and --set: mesh's own render of the template. */
  operatorFileName: string[];
  set: string[];
  istioNamespace: string;
  kubeconfig: string | undefined;
  context: string | undefined;
  timeoutMs: number;
}

/**
 * `mesh kube-inject` past its flags: the workloads (YAML, named `source` in errors) injected by mesh's own
 * injector, or by the cluster's sidecar injector webhook (`--webhookConfig`).
 */
export async function kubeInject(req: KubeInjectRequest, workloads: string, source: string): Promise<string> {
  const { lazyKubeApi } = await import('../kube/lazy-api.js');
  const api = lazyKubeApi(req, req.timeoutMs);
  if (req.webhook === undefined) return injectYaml(workloads, await localInjector(req, api), source);
  const cluster = await api();
  const { injectWithWebhook } = await import('../kube/inject-webhook.js');
  return injectWithWebhook(cluster, workloads, source, {
    ...req.webhook,
    revision: req.revision || 'default',
  });
}

/**
 * mesh's own injector: the injector config given, or mesh's own render, with the mesh config applied
 * (without one, the defaults mesh installs, istiod's: metrics merging on, status port 15020), and each
 * pod's `proxy.istio.io/config` over it.
 */
async function localInjector(req: KubeInjectRequest, api: () => Promise<KubeApi>): Promise<PodInjector> {
  const template = await injectTemplate(req, api);
  const mesh = await meshConfigFrom(req, api);
  const { meshInjector } = await import('./mesh-config.js');
  return meshInjector(template, mesh ?? {});
}

async function injectTemplate(req: KubeInjectRequest, api: () => Promise<KubeApi>): Promise<InjectTemplate> {
  const revision = req.revision || 'default';
  if (req.injectConfigFile)
    return templateFromInjectorConfig(
      await readNamedInput(req.injectConfigFile),
      req.injectConfigFile,
      revision,
    );
  if (req.injectConfigMapName) {
    const { configMapKey } = await import('../kube/injector.js');
    const [text, where] = await configMapKey(
      api,
      req.istioNamespace,
      req.injectConfigMapName,
      req.revision,
      'config',
    );
    return templateFromInjectorConfig(text, where, revision);
  }
  const { sidecarPatch, sidecarSettings } = await import('./sidecar.js');
  const { injectorClusterName, istiodName } = await import('./render.js');
  const { specFromOptions } = await import('./inputs.js');
  const spec = await specFromOptions(req, await valuesFrom(req));
  const clusterId = injectorClusterName(spec);
  return {
    spec: sidecarPatch(sidecarSettings(spec, istiodName(spec))),
    revision: spec.revision || 'default',
    // as istiod with the injector values mesh installs: they carry a cluster name that is not the default
    ...(clusterId ? { clusterId } : {}),
  };
}

/** The injector values of --valuesFile (missing or unreadable: exit 66; invalid: exit 65, naming file and line). */
async function valuesFrom(req: KubeInjectRequest) {
  if (!req.valuesFile) return undefined;
  const { parseValuesFile } = await import('./values-file.js');
  const text = await readNamedInput(req.valuesFile);
  return parseValuesFile(req.valuesFile === '-' ? '<stdin>' : req.valuesFile, text);
}

/** The mesh config of --meshConfigFile or --meshConfigMapName; undefined without either. */
async function meshConfigFrom(req: KubeInjectRequest, api: () => Promise<KubeApi>): Promise<Obj | undefined> {
  const { parseMeshConfig } = await import('./mesh-config.js');
  if (req.meshConfigFile)
    return parseMeshConfig(
      await readNamedInput(req.meshConfigFile),
      req.meshConfigFile === '-' ? '<stdin>' : req.meshConfigFile,
    );
  if (req.meshConfigMapName) {
    const { configMapKey } = await import('../kube/injector.js');
    const [text, where] = await configMapKey(
      api,
      req.istioNamespace,
      req.meshConfigMapName,
      req.revision,
      'mesh',
    );
    return parseMeshConfig(text, where);
  }
  return undefined;
}
