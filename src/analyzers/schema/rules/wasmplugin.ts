import type { Resource } from '../../../manifests/types.js';
import { at, Issues } from './common.js';
import { isObject, list } from '../../../util/values.js';
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
    issues.error(at(base, 'sha256'), `sha256 must be 64 hex digits long (found ${sha.length} characters)`);
  else if (sha !== '' && !/^[a-f0-9]{64}$/.test(sha))
    issues.error(at(base, 'sha256'), 'sha256 must contain only lowercase hex digits (0-9, a-f)');

  for (const [field, max] of [
    ['imagePullSecret', 253],
    ['pluginName', 256],
  ] as const) {
    const problem = tooLong(field, text(module[field]), max);
    if (problem) issues.error(at(base, field), problem);
  }

  const seen = new Set<string>();
  list(isObject(module.vmConfig) ? module.vmConfig.env : undefined).forEach((env, k) => {
    if (!isObject(env)) return;
    const path = at(base, 'vmConfig', 'env', k);
    const name = text(env.name);
    const nameTooLong = tooLong('the env name', name, 256);
    if (name === '') issues.error(at(path, 'name'), 'a vmConfig.env entry needs a `name`');
    else if (nameTooLong) issues.error(at(path, 'name'), nameTooLong);
    else if (seen.has(name))
      issues.error(at(path, 'name'), `env variable "${name}" is defined more than once in vmConfig.env`);
    seen.add(name);
    const valueFrom = text(env.valueFrom) || 'INLINE';
    if (valueFrom !== 'INLINE' && text(env.value) !== '')
      issues.error(
        at(path, 'value'),
        `env variable "${name}" takes its value from the host (valueFrom: ${valueFrom}), so \`value\` must be empty`,
      );
  });
}

/** Why `value` is too long for a field that allows `max` bytes, if it is. */
function tooLong(what: string, value: string, max: number): string | undefined {
  const size = byteLength(value);
  return size > max ? `${what} is ${size} bytes long; at most ${max} are allowed` : undefined;
}

/** `match[].ports[].number` must be a port 1–65535. */
export function checkTrafficMatch(issues: Issues, base: string, match: unknown): void {
  list(match).forEach((sel, i) => {
    if (!isObject(sel)) {
      if (sel === null) issues.error(at(base, i), 'a match entry cannot be null');
      return;
    }
    list(sel.ports).forEach((port, j) => {
      const path = at(base, i, 'ports', j);
      if (!isObject(port)) {
        if (port === null) issues.error(path, 'a ports entry cannot be null; it needs a `number`');
        return;
      }
      const n = port.number;
      if (
        n === undefined ||
        n === null ||
        (typeof n === 'number' && (!Number.isInteger(n) || n < 1 || n > 65535))
      )
        issues.error(
          at(path, 'number'),
          n === undefined || n === null
            ? 'a ports entry needs a `number` (1-65535)'
            : `port number ${n} is not between 1 and 65535`,
        );
    });
  });
}

/**
 * Istio reads the url with Go's `ParseRequestURI`, retrying with an `http://` prefix (so a bare
 * `registry/image:tag` counts as http), and accepts the schemes '', file, http, https and oci.
 */
function wasmUrlProblem(url: string): string | undefined {
  if (url === '') return 'url is required (an oci://, https://, http:// or file:// address of the module)';
  let candidate = url;
  let parsed = parseGoURL(url, true);
  if ('error' in parsed) {
    candidate = `http://${url}`;
    const retry = parseGoURL(candidate, true);
    if ('error' in retry) return `url is not a valid URL: ${parsed.error}`;
    parsed = retry;
  }
  const strict = parseGoURL(candidate);
  if ('error' in strict) return `url is not a valid URL: ${strict.error}`;
  if (!URL_SCHEMES.has(parsed.scheme))
    return `url scheme "${parsed.scheme}" is not supported; use oci, https, http or file`;
  return undefined;
}
