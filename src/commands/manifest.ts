import type { Command } from 'commander';
import { writeStdout } from '../util/output.js';
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
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      mkdirSync(opts.output, { recursive: true });
      for (const f of componentFiles(components)) writeFileSync(join(opts.output, f.file), f.text);
    } else await writeStdout(toYaml(components.flatMap((c) => c.objects)));
  });
  registerManifestDiff(manifest);
}
