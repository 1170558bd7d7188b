/**
 * `mesh authz check` past its flags: reads the config dump (-f, --admin-url or the pod's proxy), lists the
 * policies its RBAC filters enforce (check.ts) with the warnings about what could not be listed, writes
 * the table, JSON or YAML and gives the exit code.
 */
import { ExitCode, MeshError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { escapeControl } from '../render/escape.js';

/** What `mesh authz check` was asked, its flags checked: exactly one of pod, file and adminUrl is set. */
export interface AuthzCheckRequest {
  format: 'table' | 'json' | 'yaml';
  /** `<pod>[.<namespace>]` or `deployment/<name>[.<namespace>]`. */
  pod: string | undefined;
  /** -f: an Envoy config dump; - reads stdin. */
  file: string | undefined;
  adminUrl: string | undefined;
  namespace: string | undefined;
  kubeconfig: string | undefined;
  context: string | undefined;
  /** Envoy admin port in the pod. */
  adminPort: number;
  timeoutMs: number;
}

async function readDumpFile(file: string): Promise<string> {
  const { readUtf8Input } = await import('../util/input.js');
  const { UNMARSHAL } = await import('../envoy/dump.js');
  return readUtf8Input(file, `failed to get config dump from file ${file}: `, `${UNMARSHAL}: `);
}

export async function runAuthzCheck(req: AuthzCheckRequest): Promise<number> {
  const { format, pod, timeoutMs, adminPort } = req;
  const { explainIn, inputMemo, parseJsonText } = await import('../envoy/dump.js');
  const { isObj } = await import('../envoy/fields.js');
  let text: string;
  let source: string;
  if (req.file !== undefined) {
    text = await readDumpFile(req.file);
    source = req.file;
  } else {
    const { FILE_OR_ADMIN_URL, openEndpoint } = await import('../envoy/source.js');
    const { whileWaiting } = await import('../util/spinner.js');
    const { AdminClient } = await import('../envoy/admin.js');
    const endpoint = await openEndpoint(pod, {
      namespace: req.namespace,
      kubeconfig: req.kubeconfig,
      context: req.context,
      adminPort,
      timeoutMs,
      adminUrl: req.adminUrl,
      offline: FILE_OR_ADMIN_URL,
    });
    try {
      const client = new AdminClient({ baseUrl: endpoint.baseUrl, timeoutMs, label: endpoint.label });
      text = await whileWaiting(
        `Reading the configuration of ${endpoint.label}`,
        client.request('GET', 'config_dump'),
      );
    } finally {
      await endpoint.close();
    }
    source = endpoint.label;
  }
  const root = parseJsonText(text, source, 'cannot parse config dump');
  if (!isObj(root))
    throw new MeshError(`cannot parse config dump: ${source}: expected a JSON object`, {
      exitCode: ExitCode.DATA,
    });

  const { analyzeDump, renderAuthzTable } = await import('./check.js');
  // a field of the wrong type: said with the input, line and column, section and JSON path
  // (many errors of one dump are located in about one pass over it)
  const memo = inputMemo(root);
  const located = (err: unknown) => explainIn(err, root, text, source, memo);
  let result;
  try {
    result = analyzeDump(root, source);
  } catch (err) {
    throw located(err);
  }
  // a key is text from the dump: its line breaks are escaped too, so none forges a line of its own
  for (const key of result.unrecognised)
    warn(
      `warning: RBAC policy "${escapeControl(key)}" does not follow istiod's naming; listed with an empty name`,
    );
  for (const d of result.discovered)
    warn(
      `warning: RBAC filter "${escapeControl(d.filter)}" takes its config from ECDS (config_discovery), not from ` +
        `the listener: its policies are not listed (listener${d.listeners.length > 1 ? 's' : ''} ` +
        `${d.listeners.map(escapeControl).join(', ')})`,
    );
  const unreadable = result.unreadable.map((err) => (located(err) as MeshError).message);
  // istioctl prints nothing at all then; said, so that no output is not taken for "no policies"
  if (result.activeListeners === 0 && unreadable.length === 0)
    warn(
      `note: ${source} has no active listener (warming, draining and static ones are not read): nothing to list`,
    );
  if (format === 'table') {
    await writeStdout(renderAuthzTable(result));
  } else {
    // a report that lacks a part says so in itself, not only on stderr
    const report = {
      apiVersion: 'mesh/v1',
      kind: 'AuthzCheck',
      proxy: source,
      policies: result.policies,
      ...(result.discovered.length > 0 ? { ecdsFilters: result.discovered } : {}),
      ...(unreadable.length > 0 ? { unreadable } : {}),
    };
    await writeStdout(
      format === 'json'
        ? JSON.stringify(report, null, 2)
        : (await import('yaml')).stringify(report, { lineWidth: 0 }),
    );
  }
  // what could not be read is left out of the report, which is otherwise complete (as `pc all` does)
  for (const message of unreadable) warn(`Error: ${message}`);
  return unreadable.length > 0 ? ExitCode.DATA : ExitCode.OK;
}
