import { deadline } from '../util/duration.js';
import { MeshError, describeError } from '../util/errors.js';
import type { KubeContext } from './config.js';

/**
 * Runs the step that gets the context user's credentials (client-node runs an `exec` plugin, refreshes an
 * OIDC token or reads a token file in it) within the request's deadline: a plugin that waits forever (a
 * login prompt nobody sees) held every command past its --timeout. Its failure is one line naming the
 * context and the plugin, never what the plugin printed on stdout (that is where a token would be).
 */
export async function withCredentials<T>(
  kube: KubeContext,
  limit: { timeoutMs: number; flag: string; signal?: AbortSignal },
  step: () => Promise<T>,
): Promise<T> {
  let cancel = () => {};
  let onAbort = () => {};
  const stopped = new Promise<never>((_, reject) => {
    cancel = deadline(limit.timeoutMs, () =>
      reject(
        new MeshError(
          `cannot get credentials for context "${kube.contextName}": ${pluginName(kube) ?? 'the credential step'} did not finish within ${limit.timeoutMs / 1000}s`,
          { hint: `run it yourself to see what it waits for (a login?), or raise ${limit.flag}` },
        ),
      ),
    );
    onAbort = () => reject(limit.signal!.reason ?? new Error('aborted'));
    limit.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([step(), stopped]);
  } catch (err) {
    if (err instanceof MeshError || limit.signal?.aborted) throw err;
    throw new MeshError(`cannot get credentials for context "${kube.contextName}": ${reason(kube, err)}`, {
      hint: 'log in again (the credential plugin or token may have expired)',
    });
  } finally {
    cancel();
    limit.signal?.removeEventListener('abort', onAbort);
  }
}

/** `the credential plugin "gke-gcloud-auth-plugin"`, when the context's user has an exec plugin. */
function pluginName(kube: KubeContext): string | undefined {
  const user = kube.kc.getCurrentUser();
  const command = user?.exec?.command ?? user?.authProvider?.config?.exec?.command;
  return typeof command === 'string' ? `the credential plugin "${command}"` : undefined;
}

function reason(kube: KubeContext, err: unknown): string {
  const plugin = pluginName(kube);
  if (plugin) {
    // client-node parses the plugin's stdout: its parse error would quote the start of it (a raw token)
    if (err instanceof SyntaxError) return `${plugin} did not print an ExecCredential (JSON)`;
    // an ExecCredential without `status` fails inside client-node on reading its fields
    if (err instanceof TypeError) return `${plugin} printed an ExecCredential without a status`;
    // a failing plugin's error is its stderr, which may be empty
    const text = err instanceof Error ? err.message.trim() : '';
    if (text === '') return `${plugin} failed without a message`;
    return `${plugin} failed: ${text.split('\n')[0]}`;
  }
  return describeError(err);
}
