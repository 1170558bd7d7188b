/**
 * `mesh version`'s remote half: every istiod replica's version and build info (from the control-plane
 * identifier of its syncz answer) and how many proxies run which Istio version (their ISTIO_VERSION).
 */
import { escapeControl } from '../render/escape.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { clientVersion } from '../util/version.js';
import { SYNCZ_TYPE } from '../xds-client/client.js';
import type { ControlPlaneOptions } from '../xds-client/control-plane.js';
import { askEveryReplica } from '../xds-client/replicas.js';
import { controlPlaneOf, rowsOf, type ReplicaAnswer } from './status.js';

export interface MeshVersions {
  /** One entry per replica that answered: istiod's own identifier ({Component, ID, Info}). */
  meshVersion: Array<Record<string, unknown>>;
  /** One entry per connected proxy (a row of `proxy-status`: a proxy connected to two replicas is two). */
  dataPlaneVersion: Array<{ ID: string; IstioVersion: string }>;
  /** Replicas that did not answer. */
  failedReplicas?: Array<{ replica: string; error: string }>;
}

export function versionsOf(answers: ReplicaAnswer[]): MeshVersions {
  const meshVersion = answers
    .filter((a) => a.response)
    .map((a) => {
      const cp = controlPlaneOf(a.response!);
      return cp.raw ?? { Component: 'istiod', ID: cp.id === 'MISSING' ? a.replica : cp.id, Info: {} };
    });
  // one per connected proxy, as `proxy-status` lists them (and istioctl counts its entries): a proxy
  // connected to two replicas counts twice, and proxies that share a node id (pods of one name in two
  // clusters, a proxy of each version during an upgrade) each count
  const dataPlaneVersion = rowsOf(answers).map((r) => ({ ID: r.name, IstioVersion: r.version }));
  const failed = answers.filter((a) => a.error).map((a) => ({ replica: a.replica, error: a.error!.message }));
  return { meshVersion, dataPlaneVersion, ...(failed.length > 0 ? { failedReplicas: failed } : {}) };
}

export async function meshVersions(cp: ControlPlaneOptions, timeoutMs: number): Promise<MeshVersions> {
  const answers = await askEveryReplica(cp, SYNCZ_TYPE, [], timeoutMs);
  if (answers.every((a) => a.error)) throw answers[0]!.error!;
  return versionsOf(answers);
}

/**
 * `1.31.0 (12 proxies), 1.30.2 (3 proxies)`. The versions come from the control plane and the proxies'
 * metadata: control characters in them are written as escapes, as `proxy-status` shows them.
 */
function counted(values: string[], unit: string, units = `${unit}s`): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([v, n]) => `${v ? escapeControl(v) : 'unknown'} (${n} ${n === 1 ? unit : units})`)
    .join(', ');
}

/** The short form: client, control plane (version and revision per replica) and data plane lines. */
export function renderVersionsShort(info: Record<string, any>): string {
  const lines = [`client version: ${info.clientVersion.version}`];
  const mv = info.meshVersion as MeshVersions['meshVersion'] | undefined;
  if (mv) {
    // Info.revision is istiod's build (git) revision, not the control plane revision: not shown here
    const cps = mv.map((m) => {
      const v = ((m.Info ?? {}) as Record<string, unknown>).version;
      return typeof v === 'string' ? v : '';
    });
    lines.push(`control plane version: ${cps.length ? counted(cps, 'replica') : 'none'}`);
    const dp = (info.dataPlaneVersion as MeshVersions['dataPlaneVersion']).map((d) => d.IstioVersion);
    lines.push(`data plane version: ${dp.length ? counted(dp, 'proxy', 'proxies') : 'none'}`);
  }
  return lines.join('\n') + '\n';
}

export interface VersionRequest {
  format: 'short' | 'json' | 'yaml';
  /** How to ask the control plane; undefined: the client only (`--remote=false`). */
  controlPlane?: { options: ControlPlaneOptions; timeoutMs: number };
}

/**
 * `mesh version`: the client's version, and with a control plane every replica's and its proxies'. The
 * client part is printed even when the control plane cannot be asked (then exit 1, the reason on stderr).
 */
export async function runVersion(req: VersionRequest): Promise<number> {
  const info: Record<string, unknown> = {
    clientVersion: {
      version: clientVersion(),
      nodeVersion: process.version,
      platform: `${process.platform}/${process.arch}`,
    },
  };
  let failure: MeshError | undefined;
  if (req.controlPlane) {
    try {
      Object.assign(info, await meshVersions(req.controlPlane.options, req.controlPlane.timeoutMs));
    } catch (err) {
      failure = err instanceof MeshError ? err : new MeshError(String(err));
    }
  }
  if (req.format === 'short') await writeStdout(renderVersionsShort(info));
  else if (req.format === 'json') await writeStdout(JSON.stringify(info, null, 2));
  else {
    const { stringify } = await import('yaml');
    await writeStdout(stringify(info));
  }
  let code: number = ExitCode.OK;
  for (const f of (info.failedReplicas ?? []) as Array<{ error: string }>) {
    warn(`error: ${f.error}`);
    code = ExitCode.RUNTIME;
  }
  if (failure) {
    warn(`error: control plane: ${failure.message}`);
    if (failure.hint) warn(`hint: ${failure.hint}`);
    code = ExitCode.RUNTIME;
  }
  return code;
}
