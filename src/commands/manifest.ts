import type { Command } from 'commander';
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
        'write the manifest to this file (an existing one, or a new *.yaml/*.yml), or one file per component into this directory (- for stdout)',
      ),
  ).action(async (opts: Record<string, any>) => {
    const spec = await specFromOptions(opts as any);
    const { writeManifest } = await import('../install/manifest.js');
    // `-o -` is stdout, as a Unix tool reads it (istioctl makes a directory named "-")
    await writeManifest(spec, opts.output === undefined || opts.output === '-' ? '' : String(opts.output));
  });
  registerManifestDiff(manifest);
}
