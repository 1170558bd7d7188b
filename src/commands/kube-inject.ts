import type { Command } from 'commander';
import { readNamedInput } from '../util/input.js';
import { writeOutput } from '../util/write-output.js';
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { writeStdout } from '../util/output.js';
import { addSpecOptions, specFromOptions } from '../install/inputs.js';
import type { InjectTemplate, PodInjector } from '../install/inject.js';
import { parseDuration } from '../util/duration.js';
import { lazyKubeApi } from '../kube/lazy-api.js';
import type { KubeApi as Api } from '../kube/api.js';

type Opts = Record<string, any>;

export function register(program: Command): void {
  addSpecOptions(
    program
      .command('kube-inject')
      .description(
        'Add the sidecar to workloads in a file, with the template `mesh install` installs (offline) or the injector ConfigMap of a cluster',
      )
      .requiredOption('-f, --filename <file>', 'workloads to inject (multi-document YAML; - = stdin)')
      .option('-o, --output <file>', 'write the injected workloads to this file instead of stdout')
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
    const { injectYaml } = await import('../install/inject.js');
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
    const api = lazyKubeApi(opts, parseDuration(opts.timeout, '--timeout'));
    const injected =
      opts.webhookConfig !== undefined
        ? await injectWithWebhook(opts, await api(), workloads, source)
        : await injectYaml(workloads, await localInjector(opts, api), source);
    if (opts.output === undefined) await writeStdout(injected);
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

/**
 * mesh's own injector: the injector config given, or mesh's own render, with the mesh config applied
 * (without one, the defaults mesh installs, istiod's: metrics merging on, status port 15020), and each
 * pod's `proxy.istio.io/config` over it.
 */
async function localInjector(opts: Opts, api: () => Promise<Api>): Promise<PodInjector> {
  const template = await injectTemplate(opts, api);
  const mesh = await meshConfigFrom(opts, api);
  const { meshInjector } = await import('../install/mesh-config.js');
  return meshInjector(template, mesh ?? {});
}

/** Every workload through the cluster's sidecar injector webhook (`--webhookConfig`). */
async function injectWithWebhook(opts: Opts, api: Api, workloads: string, source: string): Promise<string> {
  const { injectYaml } = await import('../install/inject.js');
  const { openInjectorWebhook } = await import('../kube/inject-webhook.js');
  const webhook = await openInjectorWebhook(api, {
    ...(typeof opts.webhookConfig === 'string' ? { config: opts.webhookConfig } : {}),
    revision: opts.revision || 'default',
  });
  try {
    return await injectYaml(workloads, webhook.inject, source);
  } finally {
    await webhook.close();
  }
}

/** ConfigMap names as istioctl derives them: `<name>-<rev>` for a revision other than `default`. */
function revisioned(name: string, revision: string | undefined): string {
  return revision && revision !== 'default' ? `${name}-${revision}` : name;
}

/** `data[key]` of a ConfigMap of the control-plane namespace, and a name for it in messages. */
async function clusterConfig(
  opts: Opts,
  api: () => Promise<Api>,
  flagValue: string,
  key: string,
): Promise<[string, string]> {
  const { readConfigMap } = await import('../kube/injector.js');
  const name = revisioned(flagValue, opts.revision);
  const cm = await readConfigMap(await api(), opts.istioNamespace, name);
  const where = `ConfigMap ${opts.istioNamespace}/${name}`;
  const text = cm.data?.[key];
  if (typeof text !== 'string')
    throw new MeshError(`${where} has no \`${key}\` key`, { exitCode: ExitCode.DATA });
  return [text, where];
}

async function injectTemplate(opts: Opts, api: () => Promise<Api>): Promise<InjectTemplate> {
  const { templateFromInjectorConfig } = await import('../install/inject.js');
  const revision = opts.revision || 'default';
  if (opts.injectConfigFile)
    return templateFromInjectorConfig(
      await readNamedInput(opts.injectConfigFile),
      opts.injectConfigFile,
      revision,
    );
  if (opts.injectConfigMapName) {
    const [text, where] = await clusterConfig(opts, api, opts.injectConfigMapName, 'config');
    return templateFromInjectorConfig(text, where, revision);
  }
  const { sidecarPatch, sidecarSettings } = await import('../install/sidecar.js');
  const { injectorClusterName, istiodName } = await import('../install/render.js');
  const spec = await specFromOptions(opts as any, await valuesFrom(opts));
  const clusterId = injectorClusterName(spec);
  return {
    spec: sidecarPatch(sidecarSettings(spec, istiodName(spec))),
    revision: spec.revision || 'default',
    // as istiod with the injector values mesh installs: they carry a cluster name that is not the default
    ...(clusterId ? { clusterId } : {}),
  };
}

/** The injector values of --valuesFile (missing or unreadable: exit 66; invalid: exit 65, naming file and line). */
async function valuesFrom(opts: Opts) {
  if (!opts.valuesFile) return undefined;
  const { parseValuesFile } = await import('../install/values-file.js');
  const text = await readNamedInput(opts.valuesFile);
  return parseValuesFile(opts.valuesFile === '-' ? '<stdin>' : opts.valuesFile, text);
}

/** The mesh config of --meshConfigFile or --meshConfigMapName; undefined without either. */
async function meshConfigFrom(opts: Opts, api: () => Promise<Api>): Promise<Record<string, any> | undefined> {
  const { parseMeshConfig } = await import('../install/mesh-config.js');
  if (opts.meshConfigFile)
    return parseMeshConfig(
      await readNamedInput(opts.meshConfigFile),
      opts.meshConfigFile === '-' ? '<stdin>' : opts.meshConfigFile,
    );
  if (opts.meshConfigMapName) {
    const [text, where] = await clusterConfig(opts, api, opts.meshConfigMapName, 'mesh');
    return parseMeshConfig(text, where);
  }
  return undefined;
}
