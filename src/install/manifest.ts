import { stringifyForKube } from './kube-yaml.js';
import type { K8sObject, RenderedComponent } from './render.js';
import type { InstallSpec } from './spec.js';
import { MeshError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';

/**
 * Ordering and printing of rendered objects. The order is istioctl's (install.md §1.1): CRDs first (with the
 * install Namespace right after them, since everything namespaced needs it), then ServiceAccounts and
 * ClusterRoles, ClusterRoleBindings, ValidatingWebhookConfigurations, ConfigMaps and Secrets, everything
 * else, HorizontalPodAutoscalers, and Services last; ties broken by API group, kind, namespace, name.
 */
const KIND_RANK: Record<string, number> = {
  CustomResourceDefinition: 0,
  Namespace: 1,
  ServiceAccount: 2,
  ClusterRole: 2,
  ClusterRoleBinding: 3,
  ValidatingWebhookConfiguration: 4,
  ConfigMap: 5,
  Secret: 5,
  HorizontalPodAutoscaler: 7,
  Service: 8,
};
const OTHER_RANK = 6;

export const groupOf = (o: K8sObject) => (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '');

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function compareObjects(a: K8sObject, b: K8sObject): number {
  return (
    (KIND_RANK[a.kind] ?? OTHER_RANK) - (KIND_RANK[b.kind] ?? OTHER_RANK) ||
    cmp(groupOf(a), groupOf(b)) ||
    cmp(a.kind, b.kind) ||
    cmp(String(a.metadata.namespace ?? ''), String(b.metadata.namespace ?? '')) ||
    cmp(String(a.metadata.name), String(b.metadata.name))
  );
}

export function sortObjects(objects: readonly K8sObject[]): K8sObject[] {
  return [...objects].sort(compareObjects);
}

/** Multi-document YAML of `objects` in the order above; the same objects always give the same bytes. */
export function toYaml(objects: readonly K8sObject[]): string {
  return sortObjects(objects)
    .map((o) => stringifyForKube(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n');
}

/** One YAML text per component (file name `<Component>.yaml`), for `manifest generate -o DIR`. */
export function componentFiles(
  components: readonly RenderedComponent[],
): Array<{ file: string; text: string }> {
  return components.map((c) => ({ file: `${c.component}.yaml`, text: toYaml(c.objects) }));
}

/** `kind/namespace/name` of an object, how mesh names objects in messages and plans. */
export function objectRef(o: { kind: string; metadata: { name?: unknown; namespace?: unknown } }): string {
  const ns = o.metadata.namespace ? `${String(o.metadata.namespace)}/` : '';
  return `${o.kind}/${ns}${String(o.metadata.name)}`;
}

/**
 * `mesh manifest generate`: the objects `mesh install` would apply, on stdout, or with `-o` into one file
 * or one file per component into a directory (see writesOneFile).
 */
export async function writeManifest(spec: InstallSpec, output: string): Promise<void> {
  const { COMPONENT_ORDER, LABEL, MANAGED_BY, renderComponents } = await import('./render.js');
  const components = renderComponents(spec);
  if (output && (await writesOneFile(output))) {
    const { writeOutput } = await import('../util/write-output.js');
    await writeOutput(output, toYaml(components.flatMap((c) => c.objects)));
  } else if (output) {
    const { lstatSync, readFileSync, unlinkSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { makeDirs } = await import('../util/dirs.js');
    const { errnoText } = await import('../util/input.js');
    // the label line of every object mesh renders: how a component file mesh wrote is told from another
    const MANAGED_BY_LINE = `${LABEL.managedBy}: ${MANAGED_BY}`;
    try {
      makeDirs(output);
      for (const f of componentFiles(components)) writeFileSync(join(output, f.file), f.text);
      // a component file of an earlier run that this manifest does not have (demo's EgressGateways.yaml
      // after --set profile=minimal) would be applied with the rest (kubectl apply -f DIR): removed when
      // mesh wrote it (its objects carry mesh's managed-by label), else named and left alone
      for (const name of COMPONENT_ORDER) {
        if (components.some((c) => c.component === name)) continue;
        const stale = join(output, `${name}.yaml`);
        const st = lstatSync(stale, { throwIfNoEntry: false });
        if (!st?.isFile()) continue;
        const ours = st.size <= MAX_COMPONENT_FILE && readFileSync(stale, 'utf8').includes(MANAGED_BY_LINE);
        if (ours) {
          unlinkSync(stale);
          warn(`Removed ${stale}: left from an earlier run, this manifest has no ${name} component`);
        } else
          warn(
            `Warning: ${stale} was not written by mesh (no ${MANAGED_BY_LINE} label) and is left as it is; this manifest has no ${name} component`,
          );
      }
    } catch (err) {
      const at = (err as NodeJS.ErrnoException).path;
      throw new MeshError(
        `cannot write the manifest into directory ${output}: ${at && at !== output ? `${at}: ` : ''}${errnoText(err)}`,
      );
    }
  } else await writeStdout(toYaml(components.flatMap((c) => c.objects)));
}

/** A component file mesh writes is a few MiB at most; a larger file of that name is not one. */
const MAX_COMPONENT_FILE = 64 * 1024 * 1024;

/**
 * Whether `-o PATH` is one file for the whole manifest, as istioctl's `-o` writes it: a path that exists
 * and is not a directory (a regular file, replaced whole; a device such as /dev/stdout), or a new path
 * named `*.yaml`/`*.yml`. Else (an existing directory, a path ending in `/`, another new path) mesh writes
 * one file per component into that directory.
 */
async function writesOneFile(path: string): Promise<boolean> {
  if (path.endsWith('/')) return false;
  const { stat } = await import('node:fs/promises');
  try {
    return !(await stat(path)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' && /\.ya?ml$/i.test(path);
  }
}
