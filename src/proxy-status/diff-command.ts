/**
 * `mesh proxy-status <pod>`: istiod's intended config for the proxy against the proxy's own (its Envoy
 * config dump through the admin port, `--file`, or for proxyless gRPC clients `--csds-address`).
 * Every replica is asked until one knows the proxy (istioctl stops at the first answer, empty or not).
 */
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { checkRefNamespace, isDnsSubdomain } from '../util/names.js';
import { checkHostPort, type ControlPlaneOptions } from '../xds-client/control-plane.js';
import type { ConfigSide } from './compare.js';

type Opts = Record<string, any>;

/**
 * `<pod>.<ns>` as istiod names the proxy: the argument's namespace, else -n, else the context's. A name
 * no pod can have is a usage error here, not a question to every istiod replica.
 */
async function proxyId(pod: string, opts: Opts): Promise<string> {
  if (pod.includes('/')) throw usageError(`"${pod}": give a pod name (<pod>[.<namespace>])`);
  const dot = pod.lastIndexOf('.');
  const name = dot >= 0 ? pod.slice(0, dot) : pod;
  if (!isDnsSubdomain(name))
    throw usageError(
      `invalid pod name "${name}" in "${pod}"`,
      'a pod name is lower-case letters, digits, "-" and "."; <pod>.<namespace> splits at the last dot',
    );
  if (dot >= 0) {
    checkRefNamespace(pod.slice(dot + 1), pod);
    return pod;
  }
  let ns: string | undefined = opts.namespace;
  if (ns === undefined && opts.xdsAddress === undefined) {
    const { loadKubeContext } = await import('../kube/config.js');
    ns = loadKubeContext({ kubeconfig: opts.kubeconfig, context: opts.context }).namespace;
  }
  return `${pod}.${ns ?? 'default'}`;
}

async function proxySide(id: string, opts: Opts, timeoutMs: number): Promise<ConfigSide> {
  const { readSide, csdsSide } = await import('./compare.js');
  const { ConfigDump } = await import('../envoy/dump.js');
  if (opts.file !== undefined) {
    const { readUtf8Input } = await import('../util/input.js');
    const { UNMARSHAL } = await import('../envoy/dump.js');
    const text = await readUtf8Input(opts.file, `cannot read ${opts.file}: `, `${UNMARSHAL}: `);
    const source = opts.file === '-' ? 'stdin' : opts.file;
    return readSide(ConfigDump.parse(text, source), source);
  }
  if (opts.csdsAddress !== undefined) {
    const { fetchClientStatus } = await import('../xds-client/client.js');
    const endpoint = `CSDS ${opts.csdsAddress}`;
    const configs = await fetchClientStatus(
      { address: opts.csdsAddress, name: endpoint, security: { mode: 'plaintext' } },
      { timeoutMs },
    );
    const { dump, warning } = csdsSide(configs, id, endpoint);
    if (warning) warn(`warning: ${warning}`);
    return { dump, problems: [] };
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
    const dump = await new AdminClient({ baseUrl: ep.baseUrl, timeoutMs, label: ep.label }).configDump();
    return readSide(dump, `${ep.label} /config_dump`);
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
  if (opts.csdsAddress !== undefined) checkHostPort('--csds-address', opts.csdsAddress, '10.0.0.7:15000');
  const id = await proxyId(pod, opts);
  const { withEveryReplica } = await import('../xds-client/replicas.js');
  const { CONFIG_DUMP_TYPE, SYNCZ_TYPE } = await import('../xds-client/client.js');
  const { answers, found, syncz } = await withEveryReplica(cp, timeoutMs, async (ask) => {
    const answers = await ask(CONFIG_DUMP_TYPE, [id]);
    const found = answers.find((a) => ((a.response?.resources as unknown[] | undefined) ?? []).length > 0);
    // istiod answers for the first of its connections with that node id: the proxies connected to the
    // replica say whether there are several
    const syncz = found ? (await ask(SYNCZ_TYPE, [], [found.replica]))[0] : undefined;
    return { answers, found, syncz };
  });
  for (const a of answers) if (a.error) warn(`error: ${a.error.message}`);
  if (!found) {
    throw new MeshError(`no control-plane replica has config for proxy ${id} (asked ${answers.length})`, {
      hint: 'is the proxy connected? `mesh proxy-status` lists the proxies each replica knows',
    });
  }
  const { istiodSide, compareConfigs, renderComparison, unreadableParts } = await import('./compare.js');
  const { renderDiffText } = await import('../envoy/diff.js');
  const intended = istiodSide(found.response!.resources as unknown[], `istiod ${found.replica}`);
  const actual = await proxySide(id, opts, timeoutMs);
  const d = compareConfigs(intended, actual, { a: `istiod ${found.replica}`, b: `proxy ${id}` });
  await writeStdout(renderComparison(d, renderDiffText));
  // what could not be read was left out of the comparison: named, exit 65 unless a difference was found
  const unreadable = unreadableParts(intended, actual, d);
  for (const line of unreadable) warn(`error: ${line}`);
  const { sharedNodeIds } = await import('./status.js');
  const shared = sharedNodeIds(syncz?.response).get(id);
  if (syncz?.error)
    warn(`warning: cannot tell whether other proxies share node id ${id}: ${syncz.error.message}`);
  if (shared)
    warn(
      `error: istiod ${found.replica}: ${shared} connected proxies share node id ${id}: its config above is one of theirs, not necessarily this pod's`,
    );
  // a difference (79), then an answer that may be another proxy's (1), then what could not be read (65)
  if (!d.same) return ExitCode.FINDINGS;
  if (shared) return ExitCode.RUNTIME;
  return unreadable.length > 0 ? ExitCode.DATA : ExitCode.OK;
}
