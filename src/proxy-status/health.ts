/**
 * `mesh check`'s proxy sync checks, from the same istiod answers `mesh proxy-status` shows: every proxy
 * connected to the control plane has acknowledged what istiod last sent it, within `staleAfterMs`.
 */
import { fail, ok, warnR, type CheckResult } from '../kube/health.js';
import { humanDuration } from '../util/age.js';
import { rowsOf, staleProxies, type ReplicaAnswer } from './status.js';
import type { ControlPlaneOptions } from '../xds-client/control-plane.js';

const GROUP = 'Proxy sync';

export function syncChecks(answers: ReplicaAnswer[], staleAfterMs: number, nowMs: number): CheckResult[] {
  const out: CheckResult[] = [];
  for (const a of answers)
    if (a.error)
      out.push(
        warnR(
          GROUP,
          a.error.message.startsWith(a.replica)
            ? `cannot ask ${a.error.message}`
            : `cannot ask ${a.replica}: ${a.error.message}`,
          'its proxies are not checked; mesh proxy-status shows the same',
        ),
      );
  const answered = answers.filter((a) => a.response);
  if (answered.length === 0) return out;
  const rows = rowsOf(answered);
  const stale = staleProxies(rows, staleAfterMs, nowMs);
  // one line per proxy and kind of problem, naming its types, oldest push first
  const byProxy = new Map<string, { rejected: string[]; unacked: string[]; sinceMs: number }>();
  for (const s of stale) {
    let p = byProxy.get(s.proxy);
    if (!p) byProxy.set(s.proxy, (p = { rejected: [], unacked: [], sinceMs: Infinity }));
    (s.status === 'ERROR' ? p.rejected : p.unacked).push(s.type);
    if (s.sinceMs) p.sinceMs = Math.min(p.sinceMs, s.sinceMs);
  }
  for (const [proxy, p] of byProxy) {
    const since = Number.isFinite(p.sinceMs) ? ` for ${humanDuration(nowMs - p.sinceMs)}` : '';
    if (p.rejected.length > 0)
      out.push(
        fail(
          GROUP,
          `${proxy} rejected istiod's ${p.rejected.join(', ')} config${since}`,
          `mesh proxy-status ${proxy} compares the configs; mesh proxy-status prints the rejection reason`,
        ),
      );
    if (p.unacked.length > 0)
      out.push(
        warnR(
          GROUP,
          `${proxy} has not acknowledged istiod's ${p.unacked.join(', ')} push${since}`,
          `mesh proxy-status ${proxy}`,
        ),
      );
  }
  const replicas = answered.map((a) => a.replica).join(', ');
  if (rows.length === 0) out.push(ok(GROUP, `no proxies are connected to ${replicas}`));
  else if (byProxy.size === 0)
    out.push(ok(GROUP, `all ${rows.length} proxies connected to ${replicas} are in sync`));
  return out;
}

/** Asks every istiod replica for its proxies' sync state; a control plane that cannot be asked is a warning. */
export async function proxySyncChecks(
  cp: ControlPlaneOptions,
  staleAfterMs: number,
  timeoutMs: number,
): Promise<CheckResult[]> {
  const { askEveryReplica } = await import('../xds-client/replicas.js');
  const { SYNCZ_TYPE } = await import('../xds-client/client.js');
  try {
    return syncChecks(await askEveryReplica(cp, SYNCZ_TYPE, [], timeoutMs), staleAfterMs, Date.now());
  } catch (err) {
    return [
      warnR(
        GROUP,
        `cannot ask istiod: ${(err as Error).message}`,
        'proxies are not checked; --xds-address reaches istiod directly, --skip-proxies leaves this out',
      ),
    ];
  }
}
