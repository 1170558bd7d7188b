import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { isatty } from 'node:tty';
import type { User } from '@kubernetes/client-node';
import { deadline, pauseDeadlines } from '../util/duration.js';
import { lendTerminal } from '../util/spinner.js';
import { ExitCode, MeshError, describeError } from '../util/errors.js';
import { errnoText } from '../util/input.js';
import { execClusterExtras, type KubeContext } from './config.js';

/**
 * Runs the step that gets the context user's credentials (mesh runs an `exec` plugin before it, see
 * execCredential; client-node refreshes an OIDC token or reads a token file in it) within the request's
 * deadline: a plugin that waits forever (a login prompt nobody sees) held every command past its
 * --timeout, and is killed there. While a plugin has the terminal (an interactive login) no deadline
 * runs, as under kubectl: the user sees its prompt, and ends it with Ctrl+C. Its failure is one line naming the
 * context and the plugin, never what the plugin printed on stdout (that is where a token would be).
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
      hint:
        err instanceof PluginNotStarted
          ? err.hint
          : 'log in again (the credential plugin or token may have expired)',
    });
  } finally {
    plugin.abort();
    cancel();
    limit.signal?.removeEventListener('abort', onAbort);
  }
}

/** A kubeconfig user's `exec` (client.authentication.k8s.io), as the file gives it. */
interface ExecConfig {
  command?: unknown;
  args?: unknown;
  env?: unknown;
  apiVersion?: unknown;
  interactiveMode?: unknown;
  provideClusterInfo?: unknown;
  installHint?: unknown;
}

/** The ExecCredential versions kubectl runs plugins with (v1alpha1 is gone since Kubernetes 1.24). */
const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
const MODES = ['Never', 'IfAvailable', 'Always'];

/** How a plugin is run, from its `exec` checked as kubectl checks it. */
interface PluginRun {
  command: string;
  args: string[];
  env: Record<string, string>;
  apiVersion: string;
  interactive: boolean;
  provideClusterInfo: boolean;
  installHint?: string;
}

/**
 * The plugin run of `exec`, or a MeshError (the plugin not run) for what kubectl refuses too: a missing
 * command, apiVersion or (with v1) interactiveMode, an env entry without a name, and interactiveMode
 * Always when standard input is not a terminal. With IfAvailable (v1beta1's default), a terminal on
 * standard input is given to the plugin.
 */
function pluginRun(kube: KubeContext, exec: ExecConfig): PluginRun {
  const context = `cannot get credentials for context "${kube.contextName}"`;
  const user = kube.kc.getContextObject(kube.contextName)?.user ?? '';
  const invalid = (what: string, hint: string) =>
    new MeshError(`${context}: the exec plugin of user "${user}" ${what}`, { exitCode: ExitCode.DATA, hint });
  const { command, apiVersion } = exec;
  if (typeof command !== 'string' || command === '')
    throw invalid('has no command', 'set its command (the program that prints the credentials)');
  if (typeof apiVersion !== 'string' || apiVersion === '')
    throw invalid('has no apiVersion', `set it to ${API_VERSIONS.join(' or ')}, as the plugin expects`);
  if (!API_VERSIONS.includes(apiVersion))
    throw invalid(
      `has apiVersion "${apiVersion}", which kubectl does not run`,
      `use ${API_VERSIONS.join(' or ')}`,
    );
  const env: Record<string, string> = {};
  for (const e of Array.isArray(exec.env) ? exec.env : []) {
    if (typeof e?.name !== 'string' || e.name === '')
      throw invalid('has an env entry without a name', 'every entry of its env needs a name and a value');
    env[e.name] = String(e.value ?? '');
  }
  // v1 has no default (kubectl requires it); v1beta1 defaults to IfAvailable
  const mode =
    exec.interactiveMode ??
    (apiVersion === 'client.authentication.k8s.io/v1beta1' ? 'IfAvailable' : undefined);
  if (mode === undefined || mode === '')
    throw invalid(
      `has no interactiveMode, which ${apiVersion} requires`,
      'add interactiveMode: Never to its exec (IfAvailable or Always when it asks questions on standard input)',
    );
  if (typeof mode !== 'string' || !MODES.includes(mode))
    throw invalid(`has interactiveMode "${String(mode)}"`, `use ${MODES.join(', ')}`);
  const terminal = isatty(0);
  if (mode === 'Always' && !terminal)
    throw new MeshError(
      `${context}: the credential plugin "${command}" needs a terminal to ask its questions (interactiveMode: Always), and standard input is not one`,
      {
        hint: 'run mesh from a terminal, or log in first (run the plugin yourself) so that it has nothing to ask',
      },
    );
  const hint = typeof exec.installHint === 'string' ? exec.installHint.trim() : '';
  return {
    command,
    args: Array.isArray(exec.args) ? exec.args.map(String) : [],
    env,
    apiVersion,
    interactive: mode !== 'Never' && terminal,
    provideClusterInfo: exec.provideClusterInfo === true,
    ...(hint !== '' ? { installHint: hint } : {}),
  };
}

/**
 * The `spec.cluster` of the ExecCredential request (`provideClusterInfo: true`), with client-go's fields:
 * the CA as its bytes (base64 in JSON) whether the kubeconfig gives them or a file, and the cluster's
 * `client.authentication.k8s.io/exec` extension as `config`. Empty fields are left out, as client-go does.
 */
function clusterInfo(kube: KubeContext): Record<string, unknown> {
  const cluster = kube.kc.getCurrentCluster()!;
  const extras = execClusterExtras(kube.kc, cluster.name);
  let ca: Buffer | undefined;
  if (cluster.caData) ca = Buffer.from(cluster.caData, 'base64');
  else if (cluster.caFile)
    try {
      ca = readFileSync(cluster.caFile);
    } catch (err) {
      throw new MeshError(
        `cannot get credentials for context "${kube.contextName}": cannot read the certificate-authority ${cluster.caFile} of cluster "${cluster.name}" for its credential plugin: ${errnoText(err)}`,
        { exitCode: ExitCode.DATA },
      );
    }
  const insecure = extras ? extras.insecureSkipTLSVerify : cluster.skipTLSVerify;
  return {
    server: cluster.server,
    'tls-server-name': cluster.tlsServerName || undefined,
    'insecure-skip-tls-verify': insecure || undefined,
    'certificate-authority-data': ca && ca.length > 0 ? ca.toString('base64') : undefined,
    'proxy-url': cluster.proxyUrl || undefined,
    'disable-compression': extras?.disableCompression || undefined,
    config: extras?.config,
  };
}

/** Users whose credentials an exec plugin gave: the plugin, and when they expire (NaN: never). */
const issued = new WeakMap<User, { exec: ExecConfig; expires: number }>();

/**
 * Runs the context user's `exec` credential plugin as kubectl does (an ExecCredential request in
 * KUBERNETES_EXEC_INFO, the cluster's info when it asks for it, standard input when it may be interactive
 * and mesh has a terminal, its messages on mesh's stderr) and makes what it printed (a token, or a client
 * certificate and key) the user's credentials until they expire. client-node would run it itself, holding
 * the process where nothing can end it: a plugin given up at the deadline kept running after mesh exited.
 * Here it runs in its own process group, killed whole (its own children too) when `signal` aborts.
 * While a plugin has the terminal (an interactive login), no deadline counts the time.
 */
async function execCredential(kube: KubeContext, signal: AbortSignal): Promise<void> {
  const user = kube.kc.getCurrentUser();
  const earlier = user ? issued.get(user) : undefined;
  const exec = (earlier?.exec ?? user?.exec) as ExecConfig | undefined;
  // credentials without an expiry (NaN) serve until mesh exits, as kubectl keeps them
  const fresh = earlier !== undefined && !(earlier.expires <= Date.now());
  if (!user || !exec || fresh) return;
  const run = pluginRun(kube, exec);
  const request = {
    apiVersion: run.apiVersion,
    kind: 'ExecCredential',
    spec: { ...(run.provideClusterInfo ? { cluster: clusterInfo(kube) } : {}), interactive: run.interactive },
  };
  const resume = run.interactive ? pauseDeadlines() : () => {};
  const plugin = () => runPlugin(run, JSON.stringify(request), signal);
  let status: Record<string, unknown>;
  try {
    // a plugin writing to the terminal (its prompt) is not drawn over by a spinner
    status = await (process.stderr.isTTY ? lendTerminal(plugin) : plugin());
  } finally {
    resume();
  }
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

/**
 * How a plugin failed, in words that follow its name (`the credential plugin "x" …`): never quoting what
 * it printed on stdout (a token).
 */
class PluginError extends Error {}
/** What a plugin printed is not an ExecCredential. */
class NotACredential extends PluginError {}
const NOT_JSON = 'did not print an ExecCredential (JSON)';
const NO_STATUS = 'printed an ExecCredential without a status';
/** It could not be started (not installed); `hint` is the kubeconfig's installHint when it has one. */
class PluginNotStarted extends PluginError {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

function notStarted(run: PluginRun, err: NodeJS.ErrnoException): PluginNotStarted {
  if (err.code !== 'ENOENT')
    return new PluginNotStarted(`could not be started: ${errnoText(err)}`, 'check the command of its exec');
  // kubectl shows the kubeconfig's installHint (`brew install …`) when the command is not found
  const onPath = !run.command.includes(sep);
  return new PluginNotStarted(
    onPath ? 'was not found on PATH (is it installed?)' : 'was not found',
    run.installHint ??
      (onPath
        ? 'install it, or add the folder it is in to PATH'
        : 'check its path (a relative one is relative to the folder of its kubeconfig)'),
  );
}

/**
 * The plugin's ExecCredential `status`. What it writes on stderr (a login prompt, its error) is passed
 * on to mesh's stderr as kubectl does: a terminal is given to it as it is, else each chunk is written
 * there as it comes; stdout (machine-readable output) never gets it. A plugin that fails rejects with
 * its exit code or signal.
 */
function runPlugin(run: PluginRun, request: string, signal: AbortSignal): Promise<Record<string, unknown>> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...run.env, KUBERNETES_EXEC_INFO: request };
  return new Promise((resolve, reject) => {
    const child = spawn(run.command, run.args, {
      env,
      stdio: [run.interactive ? 'inherit' : 'ignore', 'pipe', process.stderr.isTTY ? 'inherit' : 'pipe'],
      detached: GROUPS,
    });
    let stdout = '';
    let started = true;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    const kill = () => killPlugin(child);
    signal.addEventListener('abort', kill, { once: true });
    watch(child);
    child.on('error', (err) => {
      started = false;
      reject(notStarted(run, err));
    });
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', kill);
      unwatch(child);
      if (!started) return;
      if (code !== 0)
        return reject(
          new PluginError(code === null ? `was ended by ${sig}` : `failed with exit code ${code}`),
        );
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
  const exec: ExecConfig | undefined =
    (user && issued.get(user)?.exec) ?? user?.exec ?? user?.authProvider?.config?.exec;
  const command = exec?.command;
  return typeof command === 'string' ? `the credential plugin "${command}"` : undefined;
}

function reason(kube: KubeContext, err: unknown): string {
  const plugin = pluginName(kube);
  if (plugin) {
    if (err instanceof PluginError) return `${plugin} ${err.message}`;
    // client-node runs an auth-provider's exec: its parse error would quote the plugin's stdout (a raw
    // token), and an ExecCredential without a status fails inside it on reading its fields
    if (err instanceof SyntaxError) return `${plugin} ${NOT_JSON}`;
    if (err instanceof TypeError) return `${plugin} ${NO_STATUS}`;
    // client-node's error for an auth-provider's failing exec is its stderr, which may be empty
    const text = err instanceof Error ? err.message.trim() : '';
    if (text === '') return `${plugin} failed without a message`;
    return `${plugin} failed: ${text.split('\n')[0]}`;
  }
  return describeError(err);
}
