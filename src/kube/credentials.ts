import { spawn, type ChildProcess } from 'node:child_process';
import type { User } from '@kubernetes/client-node';
import { deadline } from '../util/duration.js';
import { MeshError, describeError } from '../util/errors.js';
import type { KubeContext } from './config.js';

/**
 * Runs the step that gets the context user's credentials (mesh runs an `exec` plugin before it, see
 * execCredential; client-node refreshes an OIDC token or reads a token file in it) within the request's
 * deadline: a plugin that waits forever (a login prompt nobody sees) held every command past its
 * --timeout, and is killed there. Its failure is one line naming the context and the plugin, never what
 * the plugin printed on stdout (that is where a token would be).
 */
export async function withCredentials<T>(
  kube: KubeContext,
  limit: { timeoutMs: number; flag: string; signal?: AbortSignal },
  step: () => Promise<T>,
): Promise<T> {
  let cancel = () => {};
  let onAbort = () => {};
  // a plugin still running when the step ends (deadline passed, aborted) is killed then
  const plugin = new AbortController();
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
    return await Promise.race([execCredential(kube, plugin.signal).then(step), stopped]);
  } catch (err) {
    if (err instanceof MeshError || limit.signal?.aborted) throw err;
    throw new MeshError(`cannot get credentials for context "${kube.contextName}": ${reason(kube, err)}`, {
      hint: 'log in again (the credential plugin or token may have expired)',
    });
  } finally {
    plugin.abort();
    cancel();
    limit.signal?.removeEventListener('abort', onAbort);
  }
}

/** A kubeconfig user's `exec` (client.authentication.k8s.io). */
interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  apiVersion?: string;
}

/** Users whose credentials an exec plugin gave: the plugin, and when they expire (NaN: never). */
const issued = new WeakMap<User, { exec: ExecConfig; expires: number }>();

/**
 * Runs the context user's `exec` credential plugin as kubectl does (an ExecCredential request in
 * KUBERNETES_EXEC_INFO, not interactive: no stdin) and makes what it printed (a token, or a client
 * certificate and key) the user's credentials until they expire. client-node would run it itself, holding
 * the process where nothing can end it: a plugin given up at the deadline kept running after mesh exited.
 * Here it runs in its own process group, killed whole (its own children too) when `signal` aborts.
 */
async function execCredential(kube: KubeContext, signal: AbortSignal): Promise<void> {
  const user = kube.kc.getCurrentUser();
  const earlier = user ? issued.get(user) : undefined;
  const exec = (earlier?.exec ?? user?.exec) as ExecConfig | undefined;
  // credentials without an expiry (NaN) serve until mesh exits, as kubectl keeps them
  const fresh = earlier !== undefined && !(earlier.expires <= Date.now());
  if (!user || !exec || fresh) return;
  const status = await runPlugin(exec, signal);
  // client-node reads certificate data as base64; a plugin prints PEM
  const base64 = (pem: unknown) =>
    typeof pem === 'string' && pem !== '' ? Buffer.from(pem).toString('base64') : undefined;
  const cert = base64(status.clientCertificateData);
  const key = base64(status.clientKeyData);
  const next: User = {
    ...user,
    exec: undefined,
    ...(typeof status.token === 'string' && status.token !== '' ? { token: status.token } : {}),
    ...(cert && key ? { certData: cert, keyData: key, certFile: undefined, keyFile: undefined } : {}),
  };
  issued.set(next, { exec, expires: Date.parse(String(status.expirationTimestamp)) });
  kube.kc.users = kube.kc.users.map((u) => (u === user ? next : u));
}

/** What a plugin printed is not an ExecCredential: the message says how, never quoting it (a token). */
class NotACredential extends Error {}
const NOT_JSON = 'did not print an ExecCredential (JSON)';
const NO_STATUS = 'printed an ExecCredential without a status';

/** The plugin's ExecCredential `status`; a plugin that fails rejects with its stderr. */
function runPlugin(exec: ExecConfig, signal: AbortSignal): Promise<Record<string, unknown>> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const e of Array.isArray(exec.env) ? exec.env : [])
    if (typeof e?.name === 'string') env[e.name] = String(e.value ?? '');
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, Array.isArray(exec.args) ? exec.args : [], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: GROUPS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const kill = () => killPlugin(child);
    signal.addEventListener('abort', kill, { once: true });
    watch(child);
    child.on('error', reject); // it could not be started (no such command)
    child.on('close', (code) => {
      signal.removeEventListener('abort', kill);
      unwatch(child);
      if (code !== 0) return reject(new Error(stderr));
      let credential: { status?: unknown } | null;
      try {
        credential = JSON.parse(stdout);
      } catch {
        return reject(new NotACredential(NOT_JSON));
      }
      const status = credential?.status;
      if (typeof status !== 'object' || status === null) return reject(new NotACredential(NO_STATUS));
      resolve(status as Record<string, unknown>);
    });
  });
}

/** Plugins run in their own process group (POSIX), so that killing it ends their children too. */
const GROUPS = process.platform !== 'win32';

function killPlugin(child: ChildProcess): void {
  try {
    if (GROUPS && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The plugins running now. Out of the terminal's process group they no longer get its Ctrl+C: a signal
 * that ends mesh kills them first (and still ends mesh, unless another listener handles it).
 */
const running = new Set<ChildProcess>();
const ENDING = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onEndingSignal(sig: NodeJS.Signals): void {
  for (const child of running) killPlugin(child);
  if (process.listenerCount(sig) > 1) return;
  for (const s of ENDING) process.off(s, onEndingSignal);
  process.kill(process.pid, sig);
}

function watch(child: ChildProcess): void {
  if (running.size === 0) for (const s of ENDING) process.on(s, onEndingSignal);
  running.add(child);
}

function unwatch(child: ChildProcess): void {
  running.delete(child);
  if (running.size === 0) for (const s of ENDING) process.off(s, onEndingSignal);
}

/** `the credential plugin "gke-gcloud-auth-plugin"`, when the context's user has an exec plugin. */
function pluginName(kube: KubeContext): string | undefined {
  const user = kube.kc.getCurrentUser();
  const exec = (user && issued.get(user)?.exec) ?? user?.exec ?? user?.authProvider?.config?.exec;
  const command = exec?.command;
  return typeof command === 'string' ? `the credential plugin "${command}"` : undefined;
}

function reason(kube: KubeContext, err: unknown): string {
  const plugin = pluginName(kube);
  if (plugin) {
    if (err instanceof NotACredential) return `${plugin} ${err.message}`;
    // client-node runs an auth-provider's exec: its parse error would quote the plugin's stdout (a raw
    // token), and an ExecCredential without a status fails inside it on reading its fields
    if (err instanceof SyntaxError) return `${plugin} ${NOT_JSON}`;
    if (err instanceof TypeError) return `${plugin} ${NO_STATUS}`;
    // a failing plugin's error is its stderr, which may be empty
    const text = err instanceof Error ? err.message.trim() : '';
    if (text === '') return `${plugin} failed without a message`;
    return `${plugin} failed: ${text.split('\n')[0]}`;
  }
  return describeError(err);
}
