import type { Command } from 'commander';
import { readInputText } from '../util/input.js';
import { ExitCode, MeshError, describeError, usageError } from '../util/errors.js';
import { writeStdout } from '../util/output.js';
import { addSpecOptions, specFromOptions } from '../install/inputs.js';

export function register(program: Command): void {
  addSpecOptions(
    program
      .command('kube-inject')
      .description(
        'Add the sidecar to workloads in a file, offline, with the template `mesh install` installs',
      )
      .requiredOption('-f, --filename <file>', 'workloads to inject (multi-document YAML; - = stdin)')
      .option(
        '--injectConfigFile <file>',
        'injector config to use instead of rendering one from --operatorFileName/--set (the ConfigMap or its `config` key)',
      ),
    '--operatorFileName <file>',
  ).action(async (opts: Record<string, any>) => {
    const { injectYaml, templateFromInjectorConfig } = await import('../install/inject.js');
    const read = async (f: string) => {
      try {
        return await readInputText(f);
      } catch (err) {
        throw new MeshError(describeError(err), { exitCode: ExitCode.DATA });
      }
    };
    if (opts.filename === '-' && (opts.operatorFileName as string[]).includes('-'))
      throw usageError('-f - and --operatorFileName - cannot both read stdin');
    let template;
    if (opts.injectConfigFile) {
      template = templateFromInjectorConfig(
        await read(opts.injectConfigFile),
        opts.injectConfigFile,
        opts.revision || 'default',
      );
    } else {
      const { sidecarPatch, sidecarSettings } = await import('../install/sidecar.js');
      const { istiodName } = await import('../install/render.js');
      const spec = await specFromOptions(opts as any);
      template = {
        spec: sidecarPatch(sidecarSettings(spec, istiodName(spec))),
        revision: spec.revision || 'default',
      };
    }
    const source = opts.filename === '-' ? '<stdin>' : opts.filename;
    await writeStdout(injectYaml(await read(opts.filename), template, source));
  });
}
