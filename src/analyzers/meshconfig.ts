import { errnoText, readFlagFile } from '../util/input.js';
import jsYaml from 'js-yaml';
import { KUBE_YAML_SCHEMA } from '../manifests/yaml-schema.js';
import { DEFAULT_MAX_EXPANDED_NODES } from '../manifests/load.js';
import { exceedsNodes } from '../manifests/limits.js';
import { MeshError, ExitCode } from '../util/errors.js';
import { isObject, setOwn } from '../util/values.js';

/** The mesh config defaults that matter to analysis (what an install without overrides gets). */
export function defaultMeshConfig(): Record<string, any> {
  return {
    rootNamespace: 'istio-system',
    trustDomain: 'cluster.local',
    ingressService: 'istio-ingressgateway',
    ingressControllerMode: 'STRICT',
    ingressClass: 'istio',
    enableAutoMtls: true,
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    defaultConfig: { proxyMetadata: {} },
    defaultProviders: {},
    extensionProviders: [],
  };
}

export function deepMerge(base: Record<string, any>, over: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    setOwn(out, k, isObject(v) && isObject(out[k]) ? deepMerge(out[k], v) : v);
  }
  return out;
}

const EXPANDS = `expands to more than ${DEFAULT_MAX_EXPANDED_NODES} nodes through YAML aliases; refused`;

/**
 * Whether YAML aliases make a value larger than an input document may be: js-yaml shares the aliased
 * value, and the analyzers that walk the mesh config would walk it expanded (a few lines can stand for
 * billions of nodes).
 */
function expandsTooFar(text: string, value: unknown): boolean {
  return text.includes('*') && text.includes('&') && exceedsNodes(value, DEFAULT_MAX_EXPANDED_NODES);
}

function readYamlFile(file: string, what: string): Record<string, any> {
  let text: string;
  try {
    text = readFlagFile(file, `cannot read ${what} `);
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw new MeshError(`cannot read ${what} ${file}: ${errnoText(err)}`, { exitCode: ExitCode.USAGE });
  }
  let value: unknown;
  try {
    value = jsYaml.load(text, { schema: KUBE_YAML_SCHEMA });
  } catch (err) {
    const e = err as { reason?: string; mark?: { line: number; column: number } };
    const loc = e.mark ? `:${e.mark.line + 1}:${e.mark.column + 1}` : '';
    throw new MeshError(`${what} ${file}${loc}: YAML syntax error: ${e.reason ?? (err as Error).message}`, {
      exitCode: ExitCode.DATA,
    });
  }
  if (expandsTooFar(text, value))
    throw new MeshError(`${what} ${file}: ${EXPANDS}`, { exitCode: ExitCode.DATA });
  if (value === null || value === undefined) return {};
  if (!isObject(value))
    throw new MeshError(`${what} ${file}: expected a mapping`, { exitCode: ExitCode.DATA });
  // Accept both a bare MeshConfig and the istio ConfigMap (data.mesh holds the YAML text).
  if (value.kind === 'ConfigMap' && isObject(value.data)) {
    const key = what === 'mesh networks file' ? 'meshNetworks' : 'mesh';
    const inner = value.data[key];
    if (typeof inner === 'string') {
      const { map, problem } = embeddedYamlMap(inner);
      if (problem) throw new MeshError(`${what} ${file}: data.${key}${problem}`, { exitCode: ExitCode.DATA });
      return map ?? {};
    }
  }
  return value;
}

/**
 * The mapping a ConfigMap key holds as YAML text (the istio ConfigMap's `mesh`, `meshNetworks`): the map
 * (none when the text is empty), or why it is not one, written to follow the key in a message
 * (`data.mesh (line 2, column 1 of it): YAML syntax error: …`, `data.mesh is not a YAML map`).
 */
export function embeddedYamlMap(text: string): { map?: Record<string, any>; problem?: string } {
  let value: unknown;
  try {
    value = jsYaml.load(text, { schema: KUBE_YAML_SCHEMA });
  } catch (err) {
    const e = err as { reason?: string; mark?: { line: number; column: number } };
    const loc = e.mark ? ` (line ${e.mark.line + 1}, column ${e.mark.column + 1} of it)` : '';
    return { problem: `${loc}: YAML syntax error: ${e.reason ?? (err as Error).message}` };
  }
  if (expandsTooFar(text, value)) return { problem: ` ${EXPANDS}` };
  if (value === null || value === undefined) return {};
  return isObject(value) ? { map: value } : { problem: ' is not a YAML map' };
}

/** Defaults, overridden by the file's mesh config, or else by `fromCluster` (the cluster's `istio` ConfigMap). */
export function loadMeshConfig(
  file: string | undefined,
  fromCluster?: Record<string, any>,
): Record<string, any> {
  const defaults = defaultMeshConfig();
  if (!file) return fromCluster ? deepMerge(defaults, fromCluster) : defaults;
  return deepMerge(defaults, readYamlFile(file, 'mesh config file'));
}

export function loadMeshNetworks(file: string | undefined): Record<string, any> {
  if (!file) return { networks: {} };
  const v = readYamlFile(file, 'mesh networks file');
  return { networks: {}, ...v };
}
