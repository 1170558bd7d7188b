import type { Command } from 'commander';
import { writeStdout } from '../util/output.js';
import { describeError, MeshError } from '../util/errors.js';
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
      .option('-o, --output <dir>', 'write one file per component into this directory instead of stdout'),
  ).action(async (opts: Record<string, any>) => {
    const { renderComponents } = await import('../install/render.js');
    const { componentFiles, toYaml } = await import('../install/manifest.js');
    const components = renderComponents(await specFromOptions(opts as any));
    if (opts.output) {
      const { writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { makeDirs } = await import('../util/dirs.js');
      try {
        makeDirs(opts.output);
        for (const f of componentFiles(components)) writeFileSync(join(opts.output, f.file), f.text);
      } catch (err) {
        throw new MeshError(`cannot write the manifest into ${opts.output}: ${describeError(err)}`);
      }
    } else await writeStdout(toYaml(components.flatMap((c) => c.objects)));
  });
  registerManifestDiff(manifest);
}
