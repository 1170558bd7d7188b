import type { Command } from 'commander';
import { warn, writeStdout } from '../util/output.js';
import { MeshError } from '../util/errors.js';
import { addSpecOptions, specFromOptions } from '../install/inputs.js';
import { registerManifestDiff } from './install.js';

export function register(program: Command): void {
  const manifest = program
    .command('manifest')
    .description('Render (generate) or plan (diff) the control plane manifest');
  addSpecOptions(
    manifest
      .command('generate')
      .description('Print the Kubernetes objects `mesh install` would apply (offline, deterministic)')
      .option(
        '-o, --output <path>',
        'write the manifest to this file (an existing one, or a new *.yaml/*.yml), or one file per component into this directory',
      ),
  ).action(async (opts: Record<string, any>) => {
    const { renderComponents } = await import('../install/render.js');
    const { componentFiles, toYaml } = await import('../install/manifest.js');
    const components = renderComponents(await specFromOptions(opts as any));
    const output = opts.output === undefined ? '' : String(opts.output);
    if (output && (await writesOneFile(output))) {
      const { writeOutput } = await import('../util/write-output.js');
      await writeOutput(output, toYaml(components.flatMap((c) => c.objects)));
    } else if (output) {
      const { lstatSync, readFileSync, unlinkSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { makeDirs } = await import('../util/dirs.js');
      const { errnoText } = await import('../util/input.js');
      const { COMPONENT_ORDER, LABEL, MANAGED_BY } = await import('../install/render.js');
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
  });
  registerManifestDiff(manifest);
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
