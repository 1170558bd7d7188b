/**
 * The run of `mesh precheck` and `mesh check`: render the spec, ask the cluster (check --wait: again,
 * while a check fails), print the results, choose the exit code.
 */
import { ExitCode } from '../util/errors.js';
import { writeStdout } from '../util/output.js';
import type { InstallSpec } from '../install/spec.js';
import type { ControlPlaneOptions } from '../xds-client/control-plane.js';
import { connect, type ClusterOptions } from './connect.js';
import type { KubeRest } from './rest.js';

/** The flags of `mesh check`'s certificate and proxy sync groups, parsed. */
export interface CheckLimits {
  istioNamespace: string;
  timeoutMs: number;
  /** `--cert-warn`: CA certificates expiring within this window are warned about. */
  warnMs: number;
  /** `--stale-after`: a proxy that has not acknowledged a push for this long is reported. */
  staleAfterMs: number;
  /** `--wait`: how long to run the checks again while one fails (0: once). */
  waitMs: number;
  /** How to reach istiod about its proxies; undefined with --skip-proxies. */
  controlPlane: ControlPlaneOptions | undefined;
}

/** The flags of precheck and check, parsed. */
export interface HealthOptions extends ClusterOptions {
  format: 'text' | 'json';
  spec: InstallSpec;
  /** check only. */
  limits?: CheckLimits;
  /** precheck --force: check install --force's plan. */
  force?: boolean;
}

/** `mesh precheck` or `mesh check`: the checks on stdout (text or JSON); 79 when one fails. */
export async function runHealth(name: 'precheck' | 'check', opts: HealthOptions): Promise<number> {
  const { spec, limits, format } = opts;
  const { renderComponents } = await import('../install/render.js');
  const health = await import('./health.js');
  const components = renderComponents(spec);
  const startedAt = Date.now();
  const rest = await connect(opts);
  // a run again of check --wait: its requests end at the wait's deadline, or at once on Ctrl+C
  const run = async (within?: { deadline: number; signal?: AbortSignal }) => {
    const r = within ? rest.until(within.deadline).abortable(within.signal) : rest;
    return name === 'precheck'
      ? await health.precheck(r, components, spec.namespace, spec.revision, {
          owner: { name: spec.name, namespace: spec.namespace, revision: spec.revision },
          force: opts.force,
        })
      : [...(await health.check(r, components)), ...(await trustAndSync(r, limits!, within?.deadline))];
  };
  let results = await run();
  let interruptedExit: number | undefined;
  if (limits && limits.waitMs > 0 && results.some((r) => r.status === 'fail')) {
    const progress = await (await import('../util/progress.js')).progressReporter();
    // Ctrl+C or a TERM while waiting: the last complete run is reported, then exit 130 (143)
    const { interruptible, signalExitCode } = await import('../util/interrupt.js');
    const interrupt = interruptible('waiting for the checks to pass');
    try {
      const waited = await health.waitForChecks(run, results, limits.waitMs, progress, startedAt, {
        signal: interrupt.signal,
      });
      results = waited.results;
      if (waited.interrupted && interrupt.received) interruptedExit = signalExitCode(interrupt.received);
    } finally {
      interrupt.dispose();
    }
  }
  if (format === 'json')
    await writeStdout(JSON.stringify({ context: rest.kube.contextName, results }, null, 2));
  else {
    const { colorEnabled } = await import('../util/tty.js');
    await writeStdout(health.formatChecks(results, colorEnabled()));
  }
  return interruptedExit ?? (results.some((r) => r.status === 'fail') ? ExitCode.FINDINGS : ExitCode.OK);
}

/** The certificate and proxy sync groups of `mesh check`. */
async function trustAndSync(rest: KubeRest, limits: CheckLimits, deadline?: number) {
  const { trustChecks } = await import('../certs/ca-health.js');
  const out = await trustChecks(rest, { ...limits, now: new Date() });
  if (limits.controlPlane) {
    const { proxySyncChecks } = await import('../proxy-status/health.js');
    // within check --wait, not past the wait's deadline
    const timeoutMs =
      deadline === undefined
        ? limits.timeoutMs
        : Math.max(1, Math.min(limits.timeoutMs || Infinity, deadline - Date.now()));
    out.push(
      ...(await proxySyncChecks({ ...limits.controlPlane, timeoutMs }, limits.staleAfterMs, timeoutMs)),
    );
  }
  return out;
}
