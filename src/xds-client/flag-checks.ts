/**
 * Checks of the flags that say which control plane to ask (`-i`, `-r`, `--xds-label`): a value no
 * istiod pod can be found with is a usage error (64) naming the flag, rather than the API server's words
 * (`Namespace parameter required.`, `unable to parse requirement`) as a runtime failure. Light: the
 * commands' flags are declared with these parsers.
 */
import { MeshError, usageError } from '../util/errors.js';
import { isLabelKey, isLabelName, namespaceArg } from '../util/names.js';

/**
 * `-i/--istioNamespace`: a namespace name, checked as `-n` is (a name the API server could never hold is
 * a usage error here, not its `Namespace parameter required.` or a request for another path).
 */
export function checkIstioNamespace(value: string): string {
  try {
    return namespaceArg(value);
  } catch (err) {
    throw usageError(`invalid -i/--istioNamespace "${value}": not a namespace name`, (err as MeshError).hint);
  }
}

/** `-r/--revision`: the value of istiod's `istio.io/rev` label (empty: no revision, as istioctl). */
export function checkRevision(value: string): string {
  if (value === '' || isLabelName(value)) return value;
  throw usageError(
    `invalid -r/--revision "${value}": not a revision name`,
    'a revision is a label value: up to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  );
}

const KEY = String.raw`([^\s!=<>(),]+)`;
const REQUIREMENT = [
  new RegExp(String.raw`^!\s*${KEY}$`),
  new RegExp(String.raw`^${KEY}$`),
  new RegExp(String.raw`^${KEY}\s*(?:==|=|!=)\s*([^\s,()]*)$`),
  new RegExp(String.raw`^${KEY}\s+(?:in|notin)\s*\(([^()]*)\)$`),
  new RegExp(String.raw`^${KEY}\s*[<>]\s*(-?\d+)$`),
];

/** Whether one requirement of a label selector (`k`, `!k`, `k=v`, `k!=v`, `k in (a,b)`, `k>1`) is well formed. */
function isRequirement(text: string): boolean {
  for (const [i, re] of REQUIREMENT.entries()) {
    const m = re.exec(text);
    if (!m || !isLabelKey(m[1]!)) continue;
    if (i === 2) return m[2] === '' || isLabelName(m[2]!);
    if (i === 3) {
      const values = m[2]!.split(',').map((v) => v.trim());
      return m[2]!.trim() !== '' && values.every((v) => v === '' || isLabelName(v));
    }
    return true;
  }
  return false;
}

/** A selector's requirements: split at the commas outside `in (…)` lists. */
function requirements(selector: string): string[] {
  const out = [''];
  let depth = 0;
  for (const c of selector) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 0) out.push('');
    else out[out.length - 1] += c;
  }
  return out;
}

/**
 * `--xds-label`: a Kubernetes label selector, checked here rather than refused by the API server
 * (`unable to parse requirement`, exit 1). Empty selects every pod, as the API server has it.
 */
export function checkLabelSelector(value: string): string {
  if (value.trim() === '' || requirements(value).every((p) => isRequirement(p.trim()))) return value;
  throw usageError(
    `invalid --xds-label "${value}": not a label selector`,
    'a label selector is requirements separated by commas: key=value, key!=value, key in (a,b), key, !key (default: app=istiod)',
  );
}
