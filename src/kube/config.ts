import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve as resolvePath, sep } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { load as loadYaml } from 'js-yaml';
import { ExitCode, MeshError, describeError } from '../util/errors.js';
import { applyImpersonation } from './impersonation.js';
import { redactPassword } from '../util/url.js';
import { errnoText, readFlagFile } from '../util/input.js';

export interface KubeConfigOptions {
  /** --kubeconfig: one file, used instead of $KUBECONFIG and ~/.kube/config. */
  kubeconfig?: string;
  /** --context: a context of the kubeconfig instead of its current context. */
  context?: string;
  /** -n: overrides the context's namespace. */
  namespace?: string;
  /** What the command can do without a cluster, for the hint when there is no kubeconfig (e.g. `-f works without a cluster`). */
  offline?: string;
}

/** A kubeconfig with its context resolved: the cluster to talk to and the default namespace. */
export interface KubeContext {
  kc: KubeConfig;
  contextName: string;
  /** API server URL of the context's cluster, as messages and reports show it (a password reads `xxxxx`). */
  server: string;
  /** The URL requests are made to (with a password in it, when the kubeconfig has one). */
  url: string;
  /** -n, else the context's namespace, else "default". */
  namespace: string;
  /** Where the configuration came from (file list or "in-cluster"), for messages. */
  source: string;
}

const noClusterHint = (offline: string | undefined) =>
  `pass --kubeconfig or set KUBECONFIG${offline ? `; ${offline}` : ''}`;

/**
 * Users' `tokenFile`s (kubectl's field), by user name, of the kubeconfigs read from files: client-node
 * reads only `token-file` and sent the requests of such a user without credentials.
 */
const tokenFiles = new WeakMap<KubeConfig, Map<string, string>>();

/**
 * What a cluster's exec-plugin cluster info (`provideClusterInfo`) carries that client-node does not keep
 * of a cluster read from a file.
 */
export interface ExecClusterExtras {
  /** The `extension` of its `extensions` entry named client.authentication.k8s.io/exec. */
  config?: unknown;
  disableCompression: boolean;
  /** insecure-skip-tls-verify as the kubeconfig says it (mesh sets it for a plain-HTTP server). */
  insecureSkipTLSVerify: boolean;
}

const clusterExtras = new WeakMap<KubeConfig, Map<string, ExecClusterExtras>>();

/** The exec-plugin extras of cluster `name` of a kubeconfig loaded from files (undefined otherwise). */
export function execClusterExtras(kc: KubeConfig, name: string): ExecClusterExtras | undefined {
  return clusterExtras.get(kc)?.get(name);
}

function loadFile(
  kc: KubeConfig,
  file: string,
): { tokens: Map<string, string>; clusters: Map<string, ExecClusterExtras> } {
  const fail = (why: string) =>
    new MeshError(`cannot read kubeconfig ${file}: ${why}`, { exitCode: ExitCode.DATA });
  // Read once and parsed with js-yaml, the parser client-node reads it with (so the two agree on what the
  // file says); loadFromFile would read it again.
  let text: string;
  let raw: unknown;
  try {
    text = readFlagFile(file, 'cannot read kubeconfig ');
    raw = loadYaml(text);
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw fail(describeError(err).split('\n')[0]!);
  }
  // (client-node failed on these with "Cannot read properties of undefined (reading 'clusters')")
  if (raw === null || raw === undefined) throw fail('it is empty');
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail('it is not a kubeconfig (a YAML mapping)');
  try {
    kc.loadFromString(text);
    kc.makePathsAbsolute(dirname(file)); // certificate and token files are relative to the kubeconfig
  } catch (err) {
    throw fail(describeError(err));
  }
  // An exec plugin's command given as a path (./bin/get-token) is relative to the kubeconfig it is in, as
  // kubectl resolves it; a bare name (aws) is looked up on PATH when it runs.
  const base = resolvePath(dirname(file));
  kc.users = kc.users.map((u) => {
    const command: unknown = u.exec?.command;
    return typeof command === 'string' && command.includes(sep) && !isAbsolute(command)
      ? { ...u, exec: { ...u.exec, command: join(base, command) } }
      : u;
  });
  const clusters = new Map<string, ExecClusterExtras>();
  const rawClusters = (raw as { clusters?: unknown }).clusters;
  for (const c of Array.isArray(rawClusters) ? rawClusters : []) {
    const cluster = c?.cluster;
    if (typeof c?.name !== 'string' || typeof cluster !== 'object' || !cluster || clusters.has(c.name))
      continue;
    const extensions: unknown = cluster.extensions;
    const exec = Array.isArray(extensions)
      ? extensions.find((e) => e?.name === 'client.authentication.k8s.io/exec')
      : undefined;
    clusters.set(c.name, {
      ...(exec?.extension != null ? { config: exec.extension } : {}),
      disableCompression: cluster['disable-compression'] === true,
      insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    });
  }
  const files = new Map<string, string>();
  const users = (raw as { users?: unknown }).users;
  for (const u of Array.isArray(users) ? users : []) {
    const tokenFile = u?.user?.tokenFile;
    if (typeof u?.name === 'string' && typeof tokenFile === 'string' && tokenFile !== '' && !u.user.token)
      files.set(u.name, resolvePath(dirname(file), tokenFile)); // relative to the kubeconfig, as kubectl
  }
  return { tokens: files, clusters };
}

/** Merges `files` kubectl-style: the first file that sets a name (or current-context) wins. */
function loadFiles(files: string[]): KubeConfig {
  const kc = new KubeConfig();
  const tokens = new Map<string, string>();
  const extras = new Map<string, ExecClusterExtras>();
  for (const file of files) {
    const next = new KubeConfig();
    const { tokens: nextTokens, clusters: nextExtras } = loadFile(next, file);
    if (!kc.getCurrentContext() && next.getCurrentContext()) kc.setCurrentContext(next.getCurrentContext());
    for (const c of next.getClusters())
      if (!kc.getCluster(c.name)) {
        kc.addCluster(c);
        const extra = nextExtras.get(c.name);
        if (extra) extras.set(c.name, extra);
      }
    for (const u of next.getUsers())
      if (!kc.getUser(u.name)) {
        kc.addUser(u);
        const tokenFile = nextTokens.get(u.name);
        if (tokenFile) tokens.set(u.name, tokenFile);
      }
    for (const x of next.getContexts()) if (!kc.getContextObject(x.name)) kc.addContext(x);
  }
  tokenFiles.set(kc, tokens);
  clusterExtras.set(kc, extras);
  return kc;
}

/** The context user's token from its `tokenFile`, read as kubectl reads it (a missing file is an error). */
function applyTokenFile(kc: KubeConfig, userName: string, source: string): void {
  const file = tokenFiles.get(kc)?.get(userName);
  if (!file) return;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new MeshError(
      `cannot read the tokenFile ${file} of user "${userName}" (kubeconfig ${source}): ${errnoText(err)}`,
      { exitCode: ExitCode.DATA },
    );
  }
  kc.users = kc.users.map((u) => (u.name === userName ? { ...u, token } : u));
}

function inClusterAvailable(): boolean {
  return (
    Boolean(process.env.KUBERNETES_SERVICE_HOST) &&
    existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')
  );
}

/**
 * Loads the kubeconfig as kubectl does (--kubeconfig, else $KUBECONFIG's existing files merged, else
 * ~/.kube/config, else the in-cluster service account) and resolves the context. Every failure is one
 * clear MeshError; nothing here touches the network.
 */
export function loadKubeContext(opts: KubeConfigOptions = {}): KubeContext {
  let kc: KubeConfig;
  let source: string;
  // an empty --kubeconfig or --context (`--context "$CTX"` with CTX unset) is no flag, as for kubectl
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig))
      throw new MeshError(`kubeconfig ${opts.kubeconfig} not found`, { hint: noClusterHint(opts.offline) });
    kc = loadFiles([opts.kubeconfig]);
    source = opts.kubeconfig;
  } else {
    const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
    const files = fromEnv.length > 0 ? fromEnv.filter((f) => existsSync(f)) : [];
    const home = process.env.HOME || homedir();
    const defaultFile = join(home, '.kube', 'config');
    if (files.length > 0) {
      kc = loadFiles(files);
      source = files.join(delimiter);
    } else if (fromEnv.length === 0 && existsSync(defaultFile)) {
      kc = loadFiles([defaultFile]);
      source = defaultFile;
    } else if (inClusterAvailable()) {
      kc = new KubeConfig();
      kc.loadFromCluster();
      source = 'in-cluster service account';
    } else {
      const checked = fromEnv.length > 0 ? `KUBECONFIG=${fromEnv.join(delimiter)}` : defaultFile;
      throw new MeshError(`no kubeconfig found (looked at ${checked})`, {
        hint: noClusterHint(opts.offline),
      });
    }
  }

  return resolveContext(kc, source, opts, true);
}

/**
 * A kubeconfig held as text (the kubeconfig of a remote cluster's Secret), with its current context
 * resolved. `--as` impersonation is not applied: these are the credentials the control plane reads the
 * cluster with, not the user's.
 */
export function kubeContextFromText(text: string, source: string): KubeContext {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    throw new MeshError(`cannot read kubeconfig ${source}: ${describeError(err)}`, {
      exitCode: ExitCode.DATA,
    });
  }
  return resolveContext(kc, source, {}, false);
}

/** The context of a loaded kubeconfig (`opts.context`, else its current one), checked; see loadKubeContext. */
function resolveContext(
  kc: KubeConfig,
  source: string,
  opts: KubeConfigOptions,
  impersonate: boolean,
): KubeContext {
  const contextName = opts.context || kc.getCurrentContext();
  if (!contextName)
    throw new MeshError(`kubeconfig ${source} has no current context`, {
      hint: 'choose one with --context (see kubectl config get-contexts)',
    });
  const context = kc.getContextObject(contextName);
  if (!context) {
    const known = kc.getContexts().map((c) => c.name);
    throw new MeshError(`context "${contextName}" not found in kubeconfig ${source}`, {
      hint: known.length > 0 ? `known contexts: ${known.join(', ')}` : 'the kubeconfig defines no contexts',
    });
  }
  kc.setCurrentContext(contextName);
  if (context.user) applyTokenFile(kc, context.user, source);
  // A context whose user the kubeconfig does not define, or that names none, is one without credentials
  // for kubectl and istioctl (client-go's clientcmd merges an empty user in its place): its requests go
  // anonymously, with the cluster's TLS settings. client-node applies a cluster's certificate-authority
  // only along with a user it finds: the CA was dropped, and every request refused the server's
  // certificate. Such a context gets an empty user (named "" when the context names none: no user of a
  // kubeconfig has an empty name).
  if (!kc.getCurrentUser()) {
    const user = context.user ?? '';
    kc.users = [...kc.users, { name: user }];
    if (context.user !== user) kc.contexts = kc.contexts.map((c) => (c === context ? { ...c, user } : c));
  }
  const cluster = kc.getCluster(context.cluster);
  if (!cluster || !cluster.server)
    throw new MeshError(
      `context "${contextName}" refers to cluster "${context.cluster}", which kubeconfig ${source} does not define`,
    );
  // every request is built on this URL: one that does not parse would fail each of them as "Invalid URL"
  const server = URL.canParse(cluster.server) ? new URL(cluster.server) : undefined;
  if (!server || !/^https?:$/.test(server.protocol))
    throw new MeshError(
      `cluster "${context.cluster}" of kubeconfig ${source} has server "${cluster.server}", which is not an http(s) URL`,
      { exitCode: ExitCode.DATA, hint: 'the server is written like https://10.0.0.1:6443' },
    );
  // A plain-HTTP server (kubectl proxy's http://127.0.0.1:8001) has no TLS to verify; client-node refuses
  // it unless told to skip verification, which failed every request with a misleading credentials error.
  if (server.protocol === 'http:' && !cluster.skipTLSVerify)
    kc.clusters = kc.clusters.map((c) => (c === cluster ? { ...c, skipTLSVerify: true } : c));
  if (impersonate) applyImpersonation(kc);
  return {
    kc,
    contextName,
    server: redactPassword(cluster.server.replace(/\/+$/, '')),
    url: cluster.server.replace(/\/+$/, ''),
    namespace: opts.namespace || context.namespace || 'default',
    source,
  };
}
