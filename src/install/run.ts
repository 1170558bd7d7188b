/** The cluster side of `mesh install`, `upgrade` and `manifest diff`. */
import { ExitCode, MeshError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { confirm } from '../util/prompt.js';
import { connectGuarded, type ClusterOptions } from '../kube/connect.js';
import type { KubeRest } from '../kube/rest.js';
import type { RenderedComponent } from './render.js';
import type { InstallSpec } from './spec.js';

/** The flags of install, upgrade and manifest diff, parsed. */
export interface InstallOptions extends ClusterOptions {
  spec: InstallSpec;
  /** `--readiness-timeout`: how long to wait for each component to become ready. */
  readinessTimeoutMs: number;
  /** `--concurrency`: objects applied at the same time. */
  concurrency: number;
  force?: boolean;
  dryRun?: boolean;
  verify?: boolean;
  skipConfirmation?: boolean;
}

/** The version label of the control plane of this revision in the cluster, if one is installed. */
async function installedVersion(
  rest: KubeRest,
  namespace: string,
  revision: string,
): Promise<string | undefined> {
  const name = revision ? `istiod-${revision}` : 'istiod';
  const res = await rest.request('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
  return res.status === 200 ? res.body.metadata?.labels?.['operator.istio.io/version'] : undefined;
}

/**
 * `mesh install`, `upgrade` and `manifest diff`: render, plan against the cluster, then (unless only
 * planning) confirm, apply under the install lock, wait until ready and, with --verify, check. The exit code.
 */
export async function runInstall(
  opts: InstallOptions,
  verb: 'install' | 'upgrade' | 'diff',
): Promise<number> {
  const { spec, concurrency, readinessTimeoutMs } = opts;
  const { renderComponents } = await import('./render.js');
  const { applyComponents, computePlan, planIsEmpty, planRefusals, replacedWarning, InstallError } =
    await import('../kube/installer.js');
  const { formatPlan } = await import('./plan-format.js');
  const components = renderComponents(spec);
  const rest = await connectGuarded(opts, verb);
  const owner = { name: spec.name, namespace: spec.namespace, revision: spec.revision };
  const from = await installedVersion(rest, spec.namespace, spec.revision);
  if (from && from !== spec.tag)
    warn(`Control plane${spec.revision ? ` revision ${spec.revision}` : ''}: ${from} → ${spec.tag}`);
  else if (!from && verb === 'upgrade')
    warn(
      `No control plane${spec.revision ? ` of revision ${spec.revision}` : ''} found in ${spec.namespace}: upgrade installs ${spec.tag}`,
    );
  const plan = await computePlan(rest, components, owner, { force: opts.force, concurrency });
  // The default revision while a `default` revision tag exists: its injector would be switched on next to
  // the tag's (or conflicts with the tag's switching it off).
  const injector = components
    .flatMap((c) => c.objects)
    .find((o) => o.kind === 'MutatingWebhookConfiguration');
  if (injector) {
    const { defaultTagWarning } = await import('../kube/tags.js');
    const tagWarning = await defaultTagWarning(rest, spec.revision, String(injector.metadata.name));
    if (tagWarning) warn(tagWarning);
  }
  // A revision named as an existing revision tag: two injectors for the same pods (--force or not).
  const { revisionNamedAsTag } = await import('../kube/tags.js');
  const tagClash = verb === 'diff' ? undefined : await revisionNamedAsTag(rest, spec.revision);
  // Conflicts, and objects mesh did not create (without --force): install would refuse the plan.
  const refused = planRefusals(plan, opts.force);
  if (opts.dryRun) {
    await writeStdout(formatPlan(plan));
    if (verb === 'diff') return planIsEmpty(plan) ? ExitCode.OK : ExitCode.FINDINGS;
    // (istioctl: "Control plane health check is not applicable in dry-run mode")
    if (opts.verify) warn('note: --verify is not applicable with --dry-run: nothing was installed to check');
    if (tagClash) warn(`install would refuse: ${tagClash.message}\nHint: ${tagClash.hint}`);
    return refused.length > 0 || tagClash ? ExitCode.FINDINGS : ExitCode.OK;
  }
  warn(formatPlan(plan));
  if (tagClash) throw new MeshError(`${tagClash.message}; nothing was changed`, { hint: tagClash.hint });
  const first = refused[0];
  if (first?.action === 'missing')
    throw new MeshError(
      `${first.ref} ${first.message}${refused.length > 1 ? ` (and ${refused.length - 1} more refusal(s) in the plan)` : ''}; nothing was changed`,
      { hint: first.hint },
    );
  if (first?.action === 'conflict')
    throw new MeshError(
      `${first.ref}: ${first.takeOver ? `${first.takeOver}; ` : ''}conflict: ${first.message}`,
      {
        hint: first.takeOver
          ? 'mesh takes over only objects it created: re-run with --force to take it over whole (its fields too), and uninstall then deletes it (nothing was changed)'
          : 're-run with --force to take over the fields (nothing was changed)',
      },
    );
  if (first)
    throw new MeshError(
      `${first.ref}: ${first.message}${refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''}`,
      {
        hint: 'mesh takes over only objects it created: re-run with --force to take it over, and uninstall then deletes it (nothing was changed)',
      },
    );
  const { withInstallLock } = await import('../kube/install-lock.js');
  const what = `${verb} of revision ${spec.revision || 'default'} in ${spec.namespace}`;
  if (planIsEmpty(plan)) {
    // Nothing to write, but a run holding the lock (an uninstall deleting, say) is changing what the plan
    // read: reported as when there is something to change.
    await withInstallLock(rest, what, async () => undefined);
    warn('Nothing to change: the cluster already matches.');
    return opts.verify ? verifyInstall(rest, components) : ExitCode.OK;
  }
  await confirm(opts, `Apply this plan to context "${rest.kube.contextName}"?`);
  const progress = await (await import('../util/progress.js')).progressReporter();
  // Ctrl+C or a TERM while applying, or the lock lost to another run: no further write, then the usual
  // report of what was applied (and the lock released) instead of dying silently halfway.
  const { eitherSignal, interruptible } = await import('../util/interrupt.js');
  const interrupt = interruptible('waiting for the install lock');
  let signal = interrupt.signal;
  const result = await withInstallLock(
    rest,
    what,
    (lost) => {
      signal = eitherSignal(interrupt.signal, lost);
      interrupt.during('applying');
      return applyComponents(rest, components, owner, {
        signal,
        during: interrupt.during,
        force: opts.force,
        concurrency,
        readinessTimeoutMs,
        progress,
      });
    },
    { signal: interrupt.signal },
  )
    .catch((err) => {
      if (err instanceof InstallError) {
        const list = (refs: string[]) => refs.map((r) => `- ${r}`).join('\n');
        if (err.applied.length > 0) warn(`Applied before the failure:\n${list(err.applied)}`);
        if (err.pruned.length > 0)
          warn(`Pruned before the ${signal.aborted ? 'interruption' : 'failure'}:\n${list(err.pruned)}`);
      }
      throw err;
    })
    .finally(() => interrupt.dispose());
  if (result.replaced.length > 0) warn(replacedWarning(result.replaced));
  warn(
    `✔ ${verb === 'upgrade' ? 'Upgraded' : 'Installed'} ${spec.tag}${spec.revision ? ` (revision ${spec.revision})` : ''} in ${spec.namespace}: ` +
      `${result.applied.length} object(s) applied${result.pruned.length ? `, ${result.pruned.length} pruned` : ''}.`,
  );
  return opts.verify ? verifyInstall(rest, components) : ExitCode.OK;
}

/** `--verify`: check's control-plane group (workloads, webhooks, CRDs) on stdout; 79 when one fails. */
async function verifyInstall(rest: KubeRest, components: readonly RenderedComponent[]): Promise<number> {
  const health = await import('../kube/health.js');
  const { colorEnabled } = await import('../util/tty.js');
  const results = await health.check(rest, components);
  await writeStdout(health.formatChecks(results, colorEnabled()));
  return results.some((r) => r.status === 'fail') ? ExitCode.FINDINGS : ExitCode.OK;
}
