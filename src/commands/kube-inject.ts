import type { Command } from 'commander';
import { readNamedInput } from '../util/input.js';
import { writeOutput } from '../util/write-output.js';
import { usageError } from '../util/errors.js';
import { writeStdout } from '../util/output.js';
import { addSpecOptions } from '../install/inputs.js';
import { parseDuration } from '../util/duration.js';

type Opts = Record<string, any>;

export function register(program: Command): void {
  addSpecOptions(
    program
      .command('kube-inject')
      .description(
        'Add the sidecar to workloads in a file, with the template `mesh install` installs (offline) or the injector ConfigMap of a cluster',
      )
      .requiredOption('-f, --filename <file>', 'workloads to inject (multi-document YAML; - = stdin)')
      .option(
        '-o, --output <file>',
        'write the injected workloads to this file instead of stdout (-: stdout)',
      )
      .option(
        '--injectConfigFile <file>',
        'injector config to use instead of rendering one from --operatorFileName/--set (the ConfigMap or its `config` key)',
      )
      .option(
        '--injectConfigMapName <name>',
        'read the injector ConfigMap from the cluster (e.g. istio-sidecar-injector; -<rev> is added with --revision)',
      )
      .option(
        '--valuesFile <file>',
        "injector values for the rendered template (the injector ConfigMap's `values` key, or that ConfigMap)",
      )
      .option(
        '--meshConfigFile <file>',
        'mesh config to apply to the sidecar (the config, or ConfigMap `istio`)',
      )
      .option(
        '--meshConfigMapName <name>',
        'read the mesh config ConfigMap from the cluster (e.g. istio; -<rev> is added with --revision)',
      )
      .option(
        '--webhookConfig [name]',
        "inject with the cluster's sidecar injector webhook, as istioctl does: this MutatingWebhookConfiguration, or without a name the one labelled istio.io/rev=<revision>",
      )
      .option(
        '-i, --istioNamespace <ns>',
        'namespace of the control plane (with the ConfigMap flags)',
        'istio-system',
      )
      .option('-c, --kubeconfig <file>', 'kubeconfig file')
      .option('--context <name>', 'kubeconfig context')
      .option('--timeout <duration>', 'timeout for each Kubernetes API call (0: none)', '30s'),
    '--operatorFileName <file>',
  ).action(async (opts: Opts) => {
    const { kubeInject } = await import('../install/inject.js');
    if (opts.injectConfigFile && opts.injectConfigMapName)
      throw usageError('--injectConfigFile and --injectConfigMapName cannot be used together');
    if (opts.meshConfigFile && opts.meshConfigMapName)
      throw usageError('--meshConfigFile and --meshConfigMapName cannot be used together');
    if (opts.valuesFile && (opts.injectConfigFile || opts.injectConfigMapName))
      throw usageError(
        `--valuesFile fills in the template mesh renders; it cannot change the already rendered template of ${opts.injectConfigFile ? '--injectConfigFile' : '--injectConfigMapName'}`,
        'drop one of them: mesh renders its template from --operatorFileName, --valuesFile and --set',
      );
    const stdinUsers = [
      opts.filename,
      opts.injectConfigFile,
      opts.meshConfigFile,
      opts.valuesFile,
      ...opts.operatorFileName,
    ];
    if (stdinUsers.filter((f) => f === '-').length > 1)
      throw usageError(
        'only one of -f, --operatorFileName, --injectConfigFile, --valuesFile and --meshConfigFile can read stdin',
      );
    if (opts.webhookConfig !== undefined) {
      const local = Object.entries(LOCAL_CONFIG_FLAGS).filter(([k]) => isGiven(opts[k]));
      if (local.length > 0)
        throw usageError(
          `--webhookConfig asks the cluster's injector, which has its own template, values and mesh config: drop ${local.map(([, flag]) => flag).join(', ')}`,
        );
    }
    const source = opts.filename === '-' ? '<stdin>' : opts.filename;
    const workloads = await readNamedInput(opts.filename);
    const injected = await kubeInject(
      {
        webhook:
          opts.webhookConfig === undefined
            ? undefined
            : typeof opts.webhookConfig === 'string'
              ? { config: opts.webhookConfig }
              : {},
        revision: opts.revision,
        injectConfigFile: opts.injectConfigFile,
        injectConfigMapName: opts.injectConfigMapName,
        valuesFile: opts.valuesFile,
        meshConfigFile: opts.meshConfigFile,
        meshConfigMapName: opts.meshConfigMapName,
        operatorFileName: opts.operatorFileName,
        set: opts.set,
        istioNamespace: opts.istioNamespace,
        kubeconfig: opts.kubeconfig,
        context: opts.context,
        timeoutMs: parseDuration(opts.timeout, '--timeout'),
      },
      workloads,
      source,
    );
    // `-o -` is stdout, as a Unix tool reads it (istioctl writes a file named "-")
    if (opts.output === undefined || opts.output === '-') await writeStdout(injected);
    else await writeOutput(opts.output, injected);
  });
}

/** What decides the injection when mesh injects itself (each refused with --webhookConfig). */
const LOCAL_CONFIG_FLAGS: Record<string, string> = {
  injectConfigFile: '--injectConfigFile',
  injectConfigMapName: '--injectConfigMapName',
  valuesFile: '--valuesFile',
  meshConfigFile: '--meshConfigFile',
  meshConfigMapName: '--meshConfigMapName',
  operatorFileName: '--operatorFileName',
  set: '--set',
};

const isGiven = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined);
