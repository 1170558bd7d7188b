import { ExitCode, MeshError } from '../util/errors.js';
import type { InjectTemplate } from './inject.js';
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
  const d = (doc as Obj).defaultConfig;
  if (d !== undefined && (typeof d !== 'object' || d === null || Array.isArray(d)))
    throw new MeshError(`${source}: defaultConfig must be a map`, { exitCode: ExitCode.DATA });
  const md = d?.proxyMetadata;
  const scalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
  if (
    md !== undefined &&
    (typeof md !== 'object' || md === null || Array.isArray(md) || !Object.values(md).every(scalar))
  )
    throw new MeshError(`${source}: defaultConfig.proxyMetadata must be a map of strings`, {
      exitCode: ExitCode.DATA,
    });
  // the fields kube-inject applies: one of another type would be skipped in silence
  const hold = d?.holdApplicationUntilProxyStarts;
  if (hold !== undefined && typeof hold !== 'boolean')
    throw new MeshError(`${source}: defaultConfig.holdApplicationUntilProxyStarts must be true or false`, {
      exitCode: ExitCode.DATA,
    });
  const trustDomain = (doc as Obj).trustDomain;
  if (trustDomain !== undefined && typeof trustDomain !== 'string')
    throw new MeshError(`${source}: trustDomain must be a string`, { exitCode: ExitCode.DATA });
  return doc as Obj;
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
  const defaults: Obj = mesh.defaultConfig ?? {};
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
