import type { Resource } from '../../../manifests/types.js';
import { at, isObject, Issues, list } from './common.js';
import { byteLength, checkTargeting, parseGoURL, text } from './common-sec.js';
import type { SemanticIssue } from './types.js';

/**
 * WasmPlugin rules (analyzers.md §9): targeting, the module fields (url, sha256, imagePullSecret,
 * pluginName, vmConfig) and the traffic `match` ports. The module checks are shared with TrafficExtension's
 * `wasm` block.
 */
export function validateWasmPlugin(resource: Resource): SemanticIssue[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const issues = new Issues();
  checkTargeting(issues, spec);
  checkWasmModule(issues, 'spec', spec);
  checkTrafficMatch(issues, 'spec.match', spec.match);
  return issues.list;
}

const URL_SCHEMES = new Set(['', 'file', 'http', 'https', 'oci']);

/** The fields describing a Wasm module, found at `base` (WasmPlugin spec, TrafficExtension spec.wasm). */
export function checkWasmModule(issues: Issues, base: string, module: Record<string, any>): void {
  const urlProblem = wasmUrlProblem(text(module.url));
  if (urlProblem) issues.error(at(base, 'url'), urlProblem);

  const sha = text(module.sha256);
  if (sha !== '' && sha.length !== 64)
    issues.error(at(base, 'sha256'), 'sha256 field must be 64 characters long');
  else if (sha !== '' && !/^[a-f0-9]{64}$/.test(sha))
    issues.error(at(base, 'sha256'), 'sha256 field must match [a-f0-9]{64} pattern');

  if (byteLength(text(module.imagePullSecret)) > 253)
    issues.error(at(base, 'imagePullSecret'), 'imagePullSecret field must be at most 253 characters long');
  if (byteLength(text(module.pluginName)) > 256)
    issues.error(at(base, 'pluginName'), 'pluginName field must be at most 256 characters long');

  const seen = new Set<string>();
  list(isObject(module.vmConfig) ? module.vmConfig.env : undefined).forEach((env, k) => {
    if (!isObject(env)) return;
    const path = at(base, 'vmConfig', 'env', k);
    const name = text(env.name);
    if (name === '') issues.error(at(path, 'name'), 'vmConfig env name must not be empty');
    else if (byteLength(name) > 256)
      issues.error(at(path, 'name'), 'vmConfig env name must be at most 256 characters long');
    else if (seen.has(name)) issues.error(at(path, 'name'), `duplicate vmConfig env ${name}`);
    seen.add(name);
    const valueFrom = text(env.valueFrom) || 'INLINE';
    if (valueFrom !== 'INLINE' && text(env.value) !== '')
      issues.error(at(path, 'value'), `value may only be set when valueFrom is INLINE (found ${valueFrom})`);
  });
}

/** `match[].ports[].number` must be a port 1–65535. */
export function checkTrafficMatch(issues: Issues, base: string, match: unknown): void {
  list(match).forEach((sel, i) => {
    if (!isObject(sel)) {
      if (sel === null) issues.error(at(base, i), `match[${i}] is nil`);
      return;
    }
    list(sel.ports).forEach((port, j) => {
      const path = at(base, i, 'ports', j);
      if (!isObject(port)) {
        if (port === null) issues.error(path, `match[${i}].ports[${j}] is nil`);
        return;
      }
      const n = port.number;
      if (
        n === undefined ||
        n === null ||
        (typeof n === 'number' && (!Number.isInteger(n) || n < 1 || n > 65535))
      )
        issues.error(at(path, 'number'), `match[${i}].ports[${j}] is out of range: ${n ?? 0}`);
    });
  });
}

/**
 * Istio reads the url with Go's `ParseRequestURI`, retrying with an `http://` prefix (so a bare
 * `registry/image:tag` counts as http), and accepts the schemes '', file, http, https and oci.
 */
function wasmUrlProblem(url: string): string | undefined {
  if (url === '') return 'url field needs to be set';
  let candidate = url;
  let parsed = parseGoURL(url, true);
  if ('error' in parsed) {
    candidate = `http://${url}`;
    const retry = parseGoURL(candidate, true);
    if ('error' in retry) return `failed to parse url: ${parsed.error}`;
    parsed = retry;
  }
  const strict = parseGoURL(candidate);
  if ('error' in strict) return `failed to strict parse url: ${strict.error}`;
  if (!URL_SCHEMES.has(parsed.scheme)) return `url contains unsupported scheme: ${parsed.scheme}`;
  return undefined;
}
