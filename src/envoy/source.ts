/**
 * Where a proxy's configuration comes from: a saved config dump (file or stdin), an Envoy admin URL, or
 * a pod reached through a Kubernetes port-forward. Commands take exactly one and read the dump through
 * the same `Source`.
 */
import { usageError } from '../util/errors.js';
import { whileWaiting } from '../util/spinner.js';
import type { AdminClient } from './admin.js';
import type { ConfigDump } from './dump.js';
import type { ProxyEndpoint, ProxyTargetOptions } from '../kube/proxy-target.js';
import { redactPassword } from '../util/url.js';

export interface DumpQuery {
  mask?: string;
  includeEds?: boolean;
}

export interface Source {
  label: string;
  /** The config dump (file contents, or fetched with the query istioctl uses for the command). */
  dump(query: DumpQuery): Promise<ConfigDump>;
  /** The admin client, for pods and admin URLs only. */
  client?: AdminClient;
  close(): Promise<void>;
}

/** How to reach a proxy (the flags every proxy command shares): a proxy target without the target. */
export type AccessOptions = Omit<ProxyTargetOptions, 'target'>;

/**
 * The text of a file, or of stdin for `-`; one clear error when it cannot be read (exit 66), and one
 * naming the line and column, after `what`, when it is not UTF-8 (exit 65: Envoy writes UTF-8, istioctl
 * refuses anything else).
 */
export async function readSourceText(file: string, what = ''): Promise<string> {
  const { readUtf8Input } = await import('../util/input.js');
  return readUtf8Input(file, `cannot read ${file}: `, what);
}

export async function fileSource(file: string): Promise<Source> {
  const { UNMARSHAL } = await import('./dump.js');
  const text = await readSourceText(file, `${UNMARSHAL}: `);
  const { ConfigDump } = await import('./dump.js');
  const dump = ConfigDump.parse(text, file === '-' ? 'stdin' : file);
  return { label: file, dump: async () => dump, close: async () => {} };
}

/** The admin endpoint of a pod (port-forward) or of an admin URL. */
export async function openEndpoint(
  target: string | undefined,
  access: AccessOptions,
): Promise<ProxyEndpoint> {
  const { openProxyEndpoint } = await import('../kube/proxy-target.js');
  return whileWaiting(
    `Connecting to ${access.adminUrl !== undefined ? redactPassword(access.adminUrl) : (target ?? 'the proxy')}`,
    openProxyEndpoint({ ...access, target }),
  );
}

export async function endpointSource(endpoint: ProxyEndpoint, timeoutMs: number): Promise<Source> {
  const { AdminClient } = await import('./admin.js');
  const client = new AdminClient({ baseUrl: endpoint.baseUrl, timeoutMs, label: endpoint.label });
  return {
    label: endpoint.label,
    client,
    dump: (q) => whileWaiting(`Reading the configuration of ${endpoint.label}`, client.configDump(q)),
    close: () => endpoint.close(),
  };
}

/** The hint, when there is no kubeconfig, of the commands that take a pod, `--file` or `--admin-url`. */
export const FILE_OR_ADMIN_URL = '--file or --admin-url work without a cluster';

/** Exactly one of pod, `--file`, `--admin-url`. */
export async function openSource(
  cmd: string,
  pod: string | undefined,
  file: string | undefined,
  access: AccessOptions,
): Promise<Source> {
  const given = [pod, file, access.adminUrl].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw usageError(`${cmd}: give a pod name or --file (exactly one)`, 'or --admin-url <url>');
  if (file !== undefined) return fileSource(file);
  return endpointSource(await openEndpoint(pod, { ...access, offline: FILE_OR_ADMIN_URL }), access.timeoutMs);
}

/** A side of rootca-compare / diff: an admin URL, an existing file (or -), or a pod reference. */
export async function openSide(arg: string, access: AccessOptions): Promise<Source> {
  if (/^https?:\/\//.test(arg))
    return endpointSource(await openEndpoint(undefined, { ...access, adminUrl: arg }), access.timeoutMs);
  const { existsSync } = await import('node:fs');
  // a pod reference never starts with `/` or `.`: such an argument is a file, even a missing one
  if (arg === '-' || existsSync(arg) || /^\.{0,2}\//.test(arg)) return fileSource(arg);
  const offline = 'a config dump file (./dump.json) or an admin URL (http://…) works without a cluster';
  return endpointSource(
    await openEndpoint(arg, { ...access, adminUrl: undefined, offline }),
    access.timeoutMs,
  );
}
