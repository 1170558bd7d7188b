import { parseDuration } from '../util/duration.js';
import { warn } from '../util/output.js';
import { ask, interactive } from '../util/prompt.js';

/** The cluster flags of the install family (`-c`, `--context`, `--timeout`), as given. */
export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  /** `--timeout`, the text of the flag: parsed as the connection is made. */
  timeout: string;
}

/** The API server of the kubeconfig's context, each call limited to `--timeout`. */
export async function connect(opts: ClusterOptions) {
  const { loadKubeContext } = await import('./config.js');
  const { KubeRest } = await import('./rest.js');
  const kube = loadKubeContext({ kubeconfig: opts.kubeconfig, context: opts.context });
  return new KubeRest(kube, parseDuration(opts.timeout, '--timeout'));
}

/**
 * Connects for a command that changes the cluster: prints the context and server it will change, and
 * (unless only planning) refuses a protected context that --context did not name.
 */
export async function connectGuarded(opts: ClusterOptions & { dryRun?: boolean }, verb: string) {
  const rest = await connect(opts);
  warn(`Context: ${rest.kube.contextName}  Server: ${rest.kube.server}`);
  if (!opts.dryRun) {
    const { guardContext } = await import('./guard.js');
    await guardContext(
      rest.kube.contextName,
      // named with --context (an empty one is no flag: the current context)
      Boolean(opts.context),
      verb,
      interactive() ? ask : undefined,
    );
  }
  return rest;
}
