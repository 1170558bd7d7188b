import { Option, type Command } from 'commander';
import { ExitCode, MeshError } from '../util/errors.js';
import { parseOutputFormat, warn, writeStdout } from '../util/output.js';
import { clientVersion } from '../util/version.js';
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
    const info: Record<string, unknown> = {
      clientVersion: {
        version: clientVersion(),
        nodeVersion: process.version,
        platform: `${process.platform}/${process.arch}`,
      },
    };
    let failure: MeshError | undefined;
    if (opts.remote !== false) {
      const { meshVersions } = await import('../proxy-status/versions.js');
      try {
        const timeoutMs = parseDuration(opts.timeout, '--timeout');
        Object.assign(info, await meshVersions(controlPlaneOptions(opts, timeoutMs), timeoutMs));
      } catch (err) {
        failure = err instanceof MeshError ? err : new MeshError(String(err));
      }
    }
    if (format === 'short') {
      const { renderVersionsShort } = await import('../proxy-status/versions.js');
      await writeStdout(renderVersionsShort(info));
    } else if (format === 'json') await writeStdout(JSON.stringify(info, null, 2));
    else {
      const { stringify } = await import('yaml');
      await writeStdout(stringify(info));
    }
    for (const f of (info.failedReplicas ?? []) as Array<{ error: string }>) {
      warn(`error: ${f.error}`);
      process.exitCode = ExitCode.RUNTIME;
    }
    if (failure) {
      warn(`error: control plane: ${failure.message}`);
      if (failure.hint) warn(`hint: ${failure.hint}`);
      process.exitCode = ExitCode.RUNTIME;
    }
  });
  withControlPlaneFlags(cmd);
}
