import { Option, type Command } from 'commander';
import { parseOutputFormat } from '../util/output.js';
import { controlPlaneOptions, withControlPlaneFlags } from './control-plane-flags.js';
import { parseDuration } from '../util/duration.js';

export function register(program: Command): void {
  const cmd = program
    .command('version')
    .description(
      'Client version, and the control plane and data plane versions of the mesh (--remote=false: client only)',
    )
    .option('-o, --output <format>', 'output format: short|json|yaml', 'short')
    // boolean flags as every other (pflag's `--remote=false`, never the next argument as their value)
    .option(
      '--remote',
      'also ask the control plane (every istiod replica) for its and its proxies versions; =false: client only',
      true,
    )
    .addOption(new Option('--no-remote').hideHelp())
    .option(
      '-s, --short',
      "istioctl's: the short text (the default); --short=false prints everything, as -o yaml",
      true,
    )
    .addOption(new Option('--no-short').hideHelp());
  cmd.action(async (opts: Record<string, any>) => {
    let format = parseOutputFormat(opts.output, ['short', 'json', 'yaml'] as const, 'short');
    if (opts.short === false && format === 'short') format = 'yaml';
    // every flag is checked before anything is printed or asked (a bad value: 64), --remote=false or not
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    const controlPlane =
      opts.remote !== false ? { options: controlPlaneOptions(opts, timeoutMs), timeoutMs } : undefined;
    const { runVersion } = await import('../proxy-status/versions.js');
    process.exitCode = await runVersion({ format, controlPlane });
  });
  withControlPlaneFlags(cmd);
}
