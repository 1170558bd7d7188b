import { ExitCode, MeshError } from '../util/errors.js';
import { isObject } from '../util/values.js';
import {
  proxyConfigProblem as annotationProblem,
  proxyConfigValueProblem,
} from '../analyzers/annotations/proxy-config.js';
import { VALIDATORS } from '../analyzers/annotations/validators.js';
import { IGNORED_NAMESPACES } from '../manifests/kinds.js';
import {
  injectPodTemplate,
  PodFieldError,
  skipReason,
  TEMPLATES_ANNOTATION,
  templatesProblem,
  type InjectTemplate,
  type PodInjector,
} from './inject.js';
import { yamlSyntaxError, yamlValue } from './yaml-doc.js';

/**
 * The mesh config's effect on the injected pod (`mesh kube-inject --meshConfigFile/--meshConfigMapName`),
 * as istiod's injector applies its mesh config to the sidecar it renders. Pure.
 */

type Obj = Record<string, any>;

/** A mesh config from YAML text: the config itself, or a ConfigMap holding it under `data.mesh`. */
export function parseMeshConfig(text: string, source: string): Obj {
  let doc: unknown;
  try {
    doc = yamlValue(text, source);
    if ((doc as Obj)?.kind === 'ConfigMap') {
      const mesh = (doc as Obj).data?.mesh;
      if (typeof mesh !== 'string')
        throw new MeshError(`${source}: the ConfigMap has no \`mesh\` key`, { exitCode: ExitCode.DATA });
      doc = yamlValue(mesh, source);
    }
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw yamlSyntaxError(source, err as Error & { linePos?: Array<{ line: number }> });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new MeshError(`${source}: a mesh config must be a YAML map`, { exitCode: ExitCode.DATA });
  const defaults = (doc as Obj).defaultConfig;
  if (defaults !== undefined && defaults !== null && !isObject(defaults))
    throw new MeshError(`${source}: defaultConfig must be a map`, { exitCode: ExitCode.DATA });
  // what istiod refuses in a mesh config's proxy config, as in a pod's annotation
  const refused = proxyConfigValueProblem(defaults);
  if (refused)
    throw new MeshError(`${source}: defaultConfig is not a proxy config istiod accepts: ${refused}`, {
      exitCode: ExitCode.DATA,
    });
  const trustDomain = (doc as Obj).trustDomain;
  if (trustDomain !== undefined && typeof trustDomain !== 'string')
    throw new MeshError(`${source}: trustDomain must be a string`, { exitCode: ExitCode.DATA });
  return doc as Obj;
}

/** `statusPort` as a number (protobuf's JSON reads an int32 from a number or a decimal string), else undefined. */
function statusPortOf(d: Obj): number | undefined {
  const v = d.statusPort;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** The pod annotation whose proxy config istiod merges over the mesh config's `defaultConfig` for that pod. */
export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/**
 * A pod's `proxy.istio.io/config` annotation (YAML or JSON text) as a proxy config, or what is wrong with
 * it, as words to follow the annotation's name (`must be YAML text…`, `is not a proxy config istiod accepts: …`). Empty text
 * is no change, as for istiod.
 */
export function parseProxyConfigAnnotation(value: unknown): { config: Obj } | { problem: string } {
  if (typeof value !== 'string') {
    const what = Array.isArray(value)
      ? 'a list'
      : isObject(value)
        ? 'a mapping'
        : `${typeof value} ${String(value)}`;
    return { problem: `must be YAML text (an annotation is a string), not ${what}` };
  }
  let config: unknown;
  try {
    config = yamlValue(value, PROXY_CONFIG_ANNOTATION);
  } catch (err) {
    const first = (err as Error).message.split('\n')[0]!.replace(/:$/, '');
    const inDoc = /^proxy\.istio\.io\/config:(\d+): (.*)$/.exec(first);
    const message = inDoc ? `${inDoc[2]} (line ${inDoc[1]} of the annotation)` : first;
    return { problem: `is not a proxy config: ${message}` };
  }
  if (config !== undefined && config !== null && !isObject(config))
    return { problem: 'must be a proxy config (a YAML map)' };
  // what istiod's injector refuses (field types, addresses, durations, tracing, TLS…), as analyze reports it
  const refused = annotationProblem(value);
  if (refused) return { problem: `is not a proxy config istiod accepts: ${refused}` };
  return { config: (config ?? {}) as Obj };
}

/**
 * The mesh config a pod with a `proxy.istio.io/config` annotation is injected with, as istiod merges it:
 * the annotation's fields replace `defaultConfig`'s, except `proxyMetadata`, merged key by key, and
 * `proxyHeaders`, whose fields the annotation leaves empty keep the mesh config's.
 */
export function withProxyConfig(mesh: Obj, config: Obj): Obj {
  const defaults: Obj = mesh.defaultConfig ?? {};
  const merged: Obj = { ...defaults, ...setFields(config) };
  if (defaults.proxyMetadata || config.proxyMetadata)
    merged.proxyMetadata = { ...(defaults.proxyMetadata ?? {}), ...(config.proxyMetadata ?? {}) };
  if (isObject(config.proxyHeaders) && isObject(defaults.proxyHeaders)) {
    const headers: Obj = { ...config.proxyHeaders };
    for (const [k, v] of Object.entries(defaults.proxyHeaders as Obj))
      if (headers[k] === undefined || headers[k] === null || headers[k] === '') headers[k] = v;
    merged.proxyHeaders = headers;
  }
  return { ...mesh, defaultConfig: merged };
}

/** A proxy config's fields but those written empty (null: not set, as protobuf's JSON reads them). */
function setFields(config: Obj): Obj {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null));
}

const PROXY = 'istio-proxy';
export const WAIT_FOR_PROXY = { postStart: { exec: { command: ['pilot-agent', 'wait'] } } };

function setEnv(env: Obj[], name: string, value: string): Obj[] {
  const entry = { name, value };
  return env.some((e) => e.name === name) ? env.map((e) => (e.name === name ? entry : e)) : [...env, entry];
}

/**
 * The template with the mesh config applied to its proxy container, as the injector does:
 * `defaultConfig` is the proxy's config (merged over the template's `PROXY_CONFIG`), each
 * `defaultConfig.proxyMetadata` entry becomes an environment variable, `trustDomain` is `TRUST_DOMAIN`,
 * and `defaultConfig.holdApplicationUntilProxyStarts: true` makes the application wait for the proxy
 * (postStart `pilot-agent wait`; the proxy goes first). A template without a proxy container is returned as is.
 */
export function applyMeshConfig(t: InjectTemplate, mesh: Obj): InjectTemplate {
  const containers = (t.spec.containers ?? []) as Obj[];
  if (!containers.some((c) => c.name === PROXY)) return t;
  const defaults: Obj = setFields(mesh.defaultConfig ?? {});
  const proxy = (c: Obj): Obj => {
    let env = [...((c.env ?? []) as Obj[])];
    const current = env.find((e) => e.name === 'PROXY_CONFIG')?.value;
    let proxyConfig: Obj = {};
    try {
      proxyConfig = typeof current === 'string' ? (JSON.parse(current) as Obj) : {};
    } catch {
      // a template's PROXY_CONFIG that is not JSON is replaced by the mesh config's
    }
    if (Object.keys(defaults).length > 0)
      env = setEnv(env, 'PROXY_CONFIG', JSON.stringify({ ...proxyConfig, ...defaults }));
    for (const [k, v] of Object.entries((defaults.proxyMetadata ?? {}) as Obj))
      env = setEnv(env, k, String(v));
    if (typeof mesh.trustDomain === 'string' && mesh.trustDomain !== '')
      env = setEnv(env, 'TRUST_DOMAIN', mesh.trustDomain);
    const out: Obj = { ...c, env };
    if (defaults.holdApplicationUntilProxyStarts === true) out.lifecycle = WAIT_FOR_PROXY;
    return out;
  };
  return {
    ...t,
    spec: { ...t.spec, containers: containers.map((c) => (c.name === PROXY ? proxy(c) : c)) },
  };
}

/**
 * The template a pod is injected with under `mesh` (a mesh config; `{}`: the defaults mesh installs,
 * istiod's): `applyMeshConfig`'s sidecar, the status port (`defaultConfig.statusPort`, else 15020) for
 * rewritten probes, and metrics merged on that port unless `enablePrometheusMerge: false`.
 */
export function meshTemplate(t: InjectTemplate, mesh: Obj): InjectTemplate {
  const applied = applyMeshConfig(t, mesh);
  const statusPort = statusPortOf(mesh.defaultConfig ?? {}) ?? 15020;
  const mode = mesh.defaultConfig?.interceptionMode;
  const withPorts = {
    ...applied,
    statusPort,
    ...(typeof mode === 'string' ? { interceptionMode: mode } : {}),
  };
  if (mesh.enablePrometheusMerge === false) return withPorts;
  return { ...withPorts, prometheusMergePort: statusPort };
}

/**
 * istiod's injector refuses a pod (before any template runs) whose annotations it parses hold a value it
 * cannot use: a port list with `99999`, a CIDR `10.0.0.0/33`, `interceptionMode: MAGIC`, a `proxyCPU`
 * that is no quantity… (its validateAnnotations; the checks `mesh analyze` reports as IST0125). So does
 * kube-inject, naming the annotation; `proxy.istio.io/config` has its own message (meshInjector).
 */
function refuseInvalidAnnotations(annotations: Obj): void {
  for (const [name, value] of Object.entries(annotations)) {
    const check = VALIDATORS.get(name);
    if (!check || name === PROXY_CONFIG_ANNOTATION || value === null || typeof value === 'object') continue;
    const problem = check(String(value));
    if (problem)
      throw new PodFieldError(
        ['metadata', 'annotations', name],
        `is not a value istiod's injector accepts: ${problem}`,
      );
  }
}

/**
 * The offline injector under a mesh config: each pod injected with `meshTemplate`, a pod annotated
 * `proxy.istio.io/config` with that proxy config merged over the mesh config's (`withProxyConfig`), as
 * istiod and istioctl do: it can make the application wait for the proxy (the proxy goes first), move the
 * status port the probes and metrics use, and add proxy metadata. An annotation that is not a proxy
 * config is an error naming it (a PodFieldError).
 */
export function meshInjector(t: InjectTemplate, mesh: Obj): PodInjector {
  const plain = meshTemplate(t, mesh);
  return (pod, owner) => {
    // istiod never injects the pods of Kubernetes' own namespaces, whatever their annotations say
    if (owner.namespace !== undefined && IGNORED_NAMESPACES.has(owner.namespace)) return pod;
    const annotations = isObject(pod.metadata?.annotations) ? (pod.metadata.annotations as Obj) : {};
    // a pod left alone (`sidecar.istio.io/inject: "false"`…) is not checked
    if (skipReason(pod) === undefined) {
      refuseInvalidAnnotations(annotations);
      const templates = templatesProblem(pod, t);
      if (templates) throw new PodFieldError(['metadata', 'annotations', TEMPLATES_ANNOTATION], templates);
    }
    const annotation = annotations[PROXY_CONFIG_ANNOTATION];
    if (annotation === undefined || annotation === null) return injectPodTemplate(pod, plain);
    const read = parseProxyConfigAnnotation(annotation);
    if ('problem' in read)
      throw new PodFieldError(['metadata', 'annotations', PROXY_CONFIG_ANNOTATION], read.problem);
    return injectPodTemplate(pod, meshTemplate(t, withProxyConfig(mesh, read.config)));
  };
}
