/**
 * `mesh proxy-status <pod>`: istiod's intended config for the proxy against the proxy's own (its Envoy
 * config dump through the admin port, `--file`, or for proxyless gRPC clients `--csds-address`).
 * Every replica is asked until one knows the proxy (istioctl stops at the first answer, empty or not).
 */
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import type { ControlPlaneOptions } from '../xds-client/control-plane.js';
import type { ConfigDump } from '../envoy/dump.js';

type Opts = Record<string, any>;

/** `<pod>.<ns>` as istiod names the proxy: the argument's namespace, else -n, else the context's. */
async function proxyId(pod: string, opts: Opts): Promise<string> {
  if (pod.includes('/')) throw usageError(`"${pod}": give a pod name (<pod>[.<namespace>])`);
  const dot = pod.lastIndexOf('.');
  if (dot > 0) return pod;
  let ns: string | undefined = opts.namespace;
  if (ns === undefined && opts.xdsAddress === undefined) {
    const { loadKubeContext } = await import('../kube/config.js');
    ns = loadKubeContext({ kubeconfig: opts.kubeconfig, context: opts.context }).namespace;
  }
  return `${pod}.${ns ?? 'default'}`;
}

async function proxySide(id: string, opts: Opts, timeoutMs: number): Promise<ConfigDump> {
  const { dynamicConfig, csdsDump } = await import('./compare.js');
  if (opts.file !== undefined) {
    const { readNamedInput } = await import('../util/input.js');
    const { ConfigDump } = await import('../envoy/dump.js');
    const text = await readNamedInput(opts.file, `cannot read ${opts.file}: `);
    return dynamicConfig(ConfigDump.parse(text, opts.file === '-' ? 'stdin' : opts.file));
  }
  if (opts.csdsAddress !== undefined) {
    const { fetchClientStatus } = await import('../xds-client/client.js');
    const configs = await fetchClientStatus(
      { address: opts.csdsAddress, name: `CSDS ${opts.csdsAddress}`, security: { mode: 'plaintext' } },
      { timeoutMs },
    );
    if (configs.length === 0) throw new MeshError(`CSDS ${opts.csdsAddress} reported no xDS client`);
    return csdsDump(configs[0] as Record<string, unknown>);
  }
  const { openProxyEndpoint } = await import('../kube/proxy-target.js');
  const { AdminClient } = await import('../envoy/admin.js');
  const ep = await openProxyEndpoint({
    target: id,
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    adminPort: opts.proxyAdminPort,
    timeoutMs,
  });
  try {
    return dynamicConfig(
      await new AdminClient({ baseUrl: ep.baseUrl, timeoutMs, label: ep.label }).configDump(),
    );
  } finally {
    await ep.close();
  }
}

export async function runProxyDiff(
  pod: string | undefined,
  opts: Opts,
  cp: ControlPlaneOptions,
  timeoutMs: number,
): Promise<number> {
  if (pod === undefined)
    throw usageError('proxy-status --file needs a pod name: mesh proxy-status <pod> --file dump.json');
  if (opts.output !== 'table' && opts.output !== 'short')
    throw usageError(`output format "${opts.output}" not supported with a pod argument`);
  const id = await proxyId(pod, opts);
  const { askEveryReplica } = await import('../xds-client/replicas.js');
  const { CONFIG_DUMP_TYPE } = await import('../xds-client/client.js');
  const answers = await askEveryReplica(cp, CONFIG_DUMP_TYPE, [id], timeoutMs);
  const found = answers.find((a) => ((a.response?.resources as unknown[] | undefined) ?? []).length > 0);
  for (const a of answers) if (a.error) warn(`error: ${a.error.message}`);
  if (!found) {
    throw new MeshError(`no control-plane replica has config for proxy ${id} (asked ${answers.length})`, {
      hint: 'is the proxy connected? `mesh proxy-status` lists the proxies each replica knows',
    });
  }
  const { istiodDump, compareConfigs, renderComparison } = await import('./compare.js');
  const { renderDiffText } = await import('../envoy/diff.js');
  const intended = istiodDump(found.response!.resources as unknown[]);
  const actual = await proxySide(id, opts, timeoutMs);
  const d = compareConfigs(intended, actual, { a: `istiod ${found.replica}`, b: `proxy ${id}` });
  await writeStdout(renderComparison(d, renderDiffText));
  return d.same ? ExitCode.OK : ExitCode.FINDINGS;
}
