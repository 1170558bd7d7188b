import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '../..');

/** Every .yaml/.yml file below a folder. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** Every manifest the project ships or reads: the examples, the test fixtures and the upstream conformance inputs. */
export function realManifestFiles(): string[] {
  return [
    ...yamlFiles(join(ROOT, 'examples')),
    ...yamlFiles(join(ROOT, 'test/fixtures')),
    ...yamlFiles(join(ROOT, '../shared/conformance')),
  ];
}

/** Every path to a map key or sequence item in a value, in document order. */
export function allPaths(
  v: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
): Array<Array<string | number>> {
  const entries: Array<[string | number, unknown]> = Array.isArray(v)
    ? v.map((x, i) => [i, x])
    : v && typeof v === 'object'
      ? Object.entries(v)
      : [];
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    allPaths(x, [...prefix, k], out);
  }
  return out;
}

/** A VirtualService with a schema error (IST0106) that must be reported whatever its sibling file holds. */
export const PLANTED = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: planted
  namespace: default
spec:
  hosts: [planted]
  http:
  - route:
    - destination:
        host: planted
      weight: -5
`;
