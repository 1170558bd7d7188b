import { ExitCode, MeshError, describeError } from '../util/errors.js';
import { eitherSignal, interruptible, later, pause } from '../util/interrupt.js';
import { isDeadline } from '../util/duration.js';
import { warn, writeStdout } from '../util/output.js';
import { confirm } from '../util/prompt.js';
import { objectRef } from '../install/manifest.js';
import { LABEL, MANAGED_BY, type K8sObject } from '../install/render.js';
import { TAG_LABEL } from '../install/tags.js';
import { formatRevisionUsers, revisionUsers, type RevisionUsers } from '../install/revision-users.js';
import { mapBounded } from '../util/bounded.js';
import { apiError, isTransient, WaitDeadlineError, type KubeRest } from './rest.js';

/** How long the reads of a poll may still take once the wait is interrupted. */
const POLL_GRACE_MS = 1000;
import { collectionPath, objectPath, RESOURCE_TYPES, resourceType } from './resources.js';
import {
  DeleteFailed,
  DeleteInterrupted,
  deleteObjects,
  listForUninstall,
  managersOf,
  notAppliedLines,
  replacedWarning,
} from './installer.js';
import { connectGuarded, type ClusterOptions } from './connect.js';

/**
 * The cluster side of `mesh uninstall` beyond listing and deleting owned objects: who still uses the
 * revision, waiting until the deleted objects are really gone, and the run itself (runUninstall).
 */

/**
 * Namespaces and pods that still point at `revision` and lose it with the `removed` objects: the
 * `removed` workloads' own pods (and `own`'s, objects of the revision left in place) are never listed;
 * nor, when another control plane of the revision stays (one in another namespace), the namespaces its
 * injector still serves and the pods whose proxy connects to it.
 */
export async function findRevisionUsers(
  rest: KubeRest,
  revision: string,
  removed: readonly K8sObject[],
  own: readonly K8sObject[] = [],
): Promise<RevisionUsers> {
  const [namespaces, pods, hooks] = await Promise.all([
    rest.call('GET', '/api/v1/namespaces'),
    rest.call('GET', '/api/v1/pods'),
    rest.call(
      'GET',
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?labelSelector=${encodeURIComponent(`istio.io/rev=${revision}`)}`,
    ),
  ]);
  type Hook = {
    metadata?: { name?: string; labels?: Record<string, string> };
    webhooks?: Array<{
      namespaceSelector?: unknown;
      objectSelector?: unknown;
      clientConfig?: { service?: { name?: string; namespace?: string } };
    }>;
  };
  const all = (hooks.items ?? []) as Hook[];
  const tags = all
    .map((h) => h.metadata?.labels?.[TAG_LABEL])
    .filter((t): t is string => typeof t === 'string');
  const deletedHooks = new Set(
    removed.filter((o) => o.kind === 'MutatingWebhookConfiguration').map((o) => String(o.metadata.name)),
  );
  const deletedServices = new Set(
    removed.filter((o) => o.kind === 'Service').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
  );
  // the injectors of the revision that stay, and whose istiod stays too
  const injectors = all
    .filter((h) => !deletedHooks.has(h.metadata?.name ?? ''))
    .flatMap((h) => h.webhooks ?? [])
    .filter((w) => {
      const svc = w.clientConfig?.service;
      return !svc || !deletedServices.has(`${svc.namespace}/${svc.name}`);
    });
  return revisionUsers({
    revision,
    tags,
    namespaces: namespaces.items ?? [],
    pods: pods.items ?? [],
    removed: [...removed, ...own],
    staying: { injectors, deletedServices },
  });
}

const SHOWN_PER_NAMESPACE = 3;

/**
 * The warning `uninstall --purge` gives before deleting the CRDs: the custom resources (users' Istio
 * configuration: VirtualServices, …) the API server deletes with them, per kind with a count and the
 * first names per namespace; '' when there are none. A user who may not list them is told it cannot
 * tell.
 */
export async function customResourcesWarning(rest: KubeRest, crds: readonly K8sObject[]): Promise<string> {
  const kinds = await mapBounded(crds, 8, async (crd) => {
    const spec = (crd.spec ?? {}) as {
      group?: string;
      names?: { plural?: string; kind?: string };
      versions?: Array<{ name?: string; served?: boolean; storage?: boolean }>;
    };
    const version = spec.versions?.find((v) => v.storage && v.served) ?? spec.versions?.find((v) => v.served);
    if (!spec.group || !spec.names?.plural || !version?.name) return { kind: '', names: [] as string[] };
    const list = await rest.call('GET', `/apis/${spec.group}/${version.name}/${spec.names.plural}`);
    const names = ((list.items ?? []) as Array<{ metadata?: { name?: string; namespace?: string } }>).map(
      (i) =>
        i.metadata?.namespace ? `${i.metadata.namespace}/${i.metadata.name}` : String(i.metadata?.name),
    );
    return { kind: spec.names.kind ?? spec.names.plural, names: names.sort() };
  }).catch(
    (err: unknown) =>
      `Warning: cannot tell which Istio configuration objects (VirtualServices, …) deleting the CRDs deletes with them: ${describeError(err)}`,
  );
  if (typeof kinds === 'string') return kinds;
  const found = kinds.filter((k) => k.names.length > 0).sort((a, b) => a.kind.localeCompare(b.kind));
  if (found.length === 0) return '';
  const total = found.reduce((n, k) => n + k.names.length, 0);
  const lines = found.map((k) => {
    const byNs = new Map<string, string[]>();
    for (const n of k.names) {
      const ns = n.includes('/') ? n.slice(0, n.indexOf('/')) : '';
      byNs.set(ns, [...(byNs.get(ns) ?? []), n]);
    }
    const shown = [...byNs.values()].flatMap((names) =>
      names.length > SHOWN_PER_NAMESPACE ? [...names.slice(0, SHOWN_PER_NAMESPACE), '…'] : names,
    );
    return `  ${k.kind} (${k.names.length}): ${shown.join(', ')}`;
  });
  return [
    `Warning: deleting the CRDs deletes ${total} Istio configuration object(s) with them, for good:`,
    ...lines,
    '  Back them up first (kubectl get <kind> -A -o yaml), or uninstall without --purge to keep the CRDs and what they hold.',
  ].join('\n');
}

/**
 * The warning `uninstall` gives about webhook configurations it leaves (not mesh's: a revision tag
 * `istioctl tag set` made, another tool's injector or validator) whose webhooks call a Service it
 * deletes: once the Service is gone, the API server fails what they select (with failurePolicy Fail it
 * refuses to create the pods, or the configuration). '' when there are none; a user who may not list
 * them is told it cannot tell.
 */
export async function orphanedWebhooksWarning(
  rest: KubeRest,
  removed: readonly K8sObject[],
): Promise<string> {
  const services = new Set(
    removed.filter((o) => o.kind === 'Service').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
  );
  if (services.size === 0) return '';
  const deleted = new Set(removed.map(objectRef));
  const lists = await Promise.all(
    (['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'] as const).map(async (kind) => {
      const l = await rest.call('GET', collectionPath(resourceType(kind)));
      return ((l.items ?? []) as K8sObject[]).map((i) => ({ ...i, kind }) as K8sObject);
    }),
  ).catch(
    (err: unknown) =>
      `Warning: cannot tell which other webhook configurations call the Services this uninstall deletes: ${describeError(err)}`,
  );
  if (typeof lists === 'string') return lists;
  const { failureEffect } = await import('./health.js');
  const lines: string[] = [];
  const tags = new Set<string>();
  for (const wh of lists.flat().sort((a, b) => objectRef(a).localeCompare(objectRef(b)))) {
    if (deleted.has(objectRef(wh))) continue;
    type Hook = {
      failurePolicy?: string;
      clientConfig?: { service?: { name?: string; namespace?: string } };
    };
    const calling = (((wh as { webhooks?: Hook[] }).webhooks ?? []) as Hook[]).filter((w) => {
      const svc = w.clientConfig?.service;
      return svc !== undefined && services.has(`${svc.namespace}/${svc.name}`);
    });
    if (calling.length === 0) continue;
    const labels = (wh.metadata.labels ?? {}) as Record<string, string>;
    const tag = labels[TAG_LABEL];
    if (tag) tags.add(tag);
    const called = [
      ...new Set(
        calling.map((w) => `${w.clientConfig!.service!.namespace}/${w.clientConfig!.service!.name}`),
      ),
    ];
    const policies = new Set(calling.map((w) => (w.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail')));
    const managers = managersOf(wh);
    const about = [
      ...(tag ? [`revision tag ${tag}`] : []),
      ...(managers.length ? [`written by ${managers.join(', ')}`] : []),
    ];
    lines.push(
      `  ${objectRef(wh)}${about.length ? ` (${about.join(', ')})` : ''} → Service ${called.join(', ')} (${failureEffect(wh, policies)})`,
    );
  }
  if (lines.length === 0) return '';
  return [
    `Warning: ${lines.length} webhook configuration(s) this uninstall leaves call a Service it deletes:`,
    ...lines,
    `  Remove ${lines.length > 1 ? 'them' : 'it'} too${tags.size ? ` (${[...tags].map((t) => `mesh tag remove ${t}`).join(', ')} for a revision tag)` : ''}, or point ${lines.length > 1 ? 'them' : 'it'} at a control plane that stays.`,
  ].join('\n');
}

const GATEWAY_COMPONENTS = new Set(['IngressGateways', 'EgressGateways']);
const LABEL_OWNER_NAMESPACE = 'install.operator.istio.io/owning-resource-namespace';

/**
 * The warning `uninstall` gives when the revision it removes has the gateways while other revisions
 * stay: a new revision takes the gateways over in place (as Istio upgrades them), so removing it removes
 * the gateways the other revisions' workloads may route through. '' when no other revision stays or the
 * revision has no gateway.
 */
export async function sharedGatewaysWarning(
  rest: KubeRest,
  revision: string,
  removed: readonly K8sObject[],
): Promise<string> {
  const label = (o: K8sObject, key: string) =>
    (o.metadata.labels as Record<string, string> | undefined)?.[key];
  const gateways = removed.filter(
    (o) => o.kind === 'Deployment' && GATEWAY_COMPONENTS.has(label(o, 'operator.istio.io/component') ?? ''),
  );
  if (gateways.length === 0) return '';
  const gone = new Set(removed.map(objectRef));
  const installs = new Set(gateways.map((g) => label(g, LABEL_OWNER_NAMESPACE) ?? ''));
  let others: string[];
  try {
    const list = await rest.call(
      'GET',
      `/apis/apps/v1/deployments?labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=mesh,operator.istio.io/component=Pilot')}`,
    );
    const istiods = ((list.items ?? []) as K8sObject[]).map(
      (d) => ({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }) as K8sObject,
    );
    others = [
      ...new Set(
        istiods
          // control planes of the same install namespace: a revision takes over only the gateways there
          .filter((d) => !gone.has(objectRef(d)) && installs.has(label(d, LABEL_OWNER_NAMESPACE) ?? ''))
          .map((d) => `${label(d, 'istio.io/rev') ?? 'default'} (${objectRef(d)})`),
      ),
    ].sort();
  } catch (err) {
    return `Warning: cannot tell whether other revisions use the gateways this removes (${gateways.map(objectRef).join(', ')}): ${describeError(err)}`;
  }
  if (others.length === 0) return '';
  return [
    `Warning: this removes the gateways, which workloads of other revisions may use (a new revision takes the gateways over in place, as Istio upgrades them, so they belong to revision ${revision}):`,
    ...gateways.map((g) => `  ${objectRef(g)}`),
    `  Staying without them: revision ${others.join(', revision ')}. Install the gateways again with the revision that should own them (mesh install -r …), or move them first.`,
  ].join('\n');
}

/** Why a deleted object is still there, or undefined when it is gone (or replaced by a new one). */
async function stillThere(rest: KubeRest, o: K8sObject): Promise<string | undefined> {
  const res = await rest.request('GET', objectPath(o));
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status >= 300) throw apiError(res, `GET ${objectRef(o)}`, true);
  const live = res.body;
  const uid = (o.metadata as { uid?: string }).uid;
  if (uid && live.metadata?.uid !== uid) return undefined;
  const finalizers: string[] = live.metadata?.finalizers ?? [];
  const why = finalizers.length > 0 ? `finalizers ${finalizers.join(', ')}` : 'no finalizers';
  return live.metadata?.deletionTimestamp ? `terminating, ${why}` : `not deleted yet, ${why}`;
}

/**
 * Polls until every deleted object is gone; after `timeoutMs` throws an error naming what is still
 * terminating and the finalizers that hold it. The wait ends then, its requests included (see
 * KubeRest.until), or at once when `opts.signal` aborts (see KubeRest.abortable). A transient failure
 * answer (see isTransient) is polled again, and named as the reason if the deadline comes first.
 */
export async function waitGone(
  rest: KubeRest,
  objects: readonly K8sObject[],
  opts: {
    timeoutMs: number;
    pollMs?: number;
    onWait?: (pending: string[]) => void;
    /** Aborted (reason: a MeshError): stop waiting, naming what is still there. */
    signal?: AbortSignal;
  },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  // interrupted mid-poll, the poll's reads get a moment to finish (on a server that answers, what is
  // left is then known), and a read that gets no answer is given up after it
  const r = rest.abortable(opts.signal && later(opts.signal, POLL_GRACE_MS));
  const capped = isDeadline(opts.timeoutMs) ? r.until(deadline) : r;
  let pending = [...objects];
  let left: Array<{ o: K8sObject; reason?: string }> = [];
  const stillThereError = () => {
    const shown = left.slice(0, 5).map((p) => `${objectRef(p.o)} (${p.reason})`);
    return new MeshError(
      `${left.length} deleted object(s) still there after ${opts.timeoutMs / 1000}s: ${shown.join('; ')}${left.length > shown.length ? `; and ${left.length - shown.length} more` : ''}`,
      {
        hint: 'a finalizer holds them until its controller finishes; check that controller, or wait longer with --wait',
      },
    );
  };
  /** Interrupted (polling or between polls): what is left, as far as known. */
  const interrupted = () => {
    const shown = pending.slice(0, 5).map(objectRef);
    return new MeshError(
      `${describeError(opts.signal?.reason)}: all ${objects.length} object(s) were deleted, ${pending.length} still terminating: ${shown.join(', ')}${pending.length > shown.length ? ', …' : ''}`,
    );
  };
  for (;;) {
    let late = false;
    const known = new Map(left.map((p) => [p.o, p.reason]));
    const reasons = await mapBounded(pending, 8, (o) =>
      stillThere(capped, o).catch((err: unknown) => {
        // interrupted and cut: not seen gone (those this poll saw gone are not named)
        if (opts.signal?.aborted) return known.get(o) ?? 'not seen gone yet';
        if (isTransient(err)) return err.message;
        if (!(err instanceof WaitDeadlineError)) throw err;
        late = true;
        return known.get(o) ?? err.message;
      }),
    );
    left = pending.map((o, i) => ({ o, reason: reasons[i] })).filter((p) => p.reason !== undefined);
    if (left.length === 0) return;
    pending = left.map((p) => p.o);
    if (opts.signal?.aborted) throw interrupted();
    if (late || Date.now() >= deadline) throw stillThereError();
    opts.onWait?.(pending.map(objectRef));
    await pause(Math.min(opts.pollMs ?? 500, deadline - Date.now()), opts.signal).catch(() =>
      Promise.reject(interrupted()),
    );
    if (Date.now() >= deadline) throw stillThereError();
  }
}

/** The flags of `mesh uninstall`, parsed. */
export interface UninstallOptions extends ClusterOptions {
  /** The revision to remove (with --purge: the one the warning about its workloads is about). */
  revision: string;
  /** The install namespace, when -f or --set describe the install; else wherever mesh installed it. */
  namespace: string | undefined;
  purge?: boolean;
  dryRun?: boolean;
  skipConfirmation?: boolean;
  /** `--wait`: how long to wait until the deleted objects are gone (0: not at all). */
  waitMs: number;
}

/**
 * `mesh uninstall`: list what mesh installed for the revision (or everything, with --purge), warn about
 * what still uses it, then (unless --dry-run) confirm, delete under the install lock and wait until the
 * objects are gone. The exit code.
 */
export async function runUninstall(opts: UninstallOptions): Promise<number> {
  const { revision, namespace, waitMs } = opts;
  const rest = await connectGuarded(opts, 'uninstall');
  // The owning-namespace label names the install an object belongs to: the namespaced objects in that
  // namespace, its cluster-scoped ones, and gateways it put into other namespaces.
  // Selected by the owner label rather than managed-by=mesh, so that an object of mesh's whose managed-by
  // label someone removed is found and named (listForUninstall), not passed over in silence.
  const ofInstall = `${LABEL.owner}${namespace ? `,${LABEL.ownerNamespace}=${namespace}` : ''}`;
  const where = namespace ? ` in ${namespace}` : '';
  const selector = opts.purge
    ? ofInstall
    : `${ofInstall},${LABEL.revision}=${revision},${LABEL.component} in (Pilot,IngressGateways,EgressGateways)`;
  const kinds = RESOURCE_TYPES.map((t) => t.kind).filter((k) => k !== 'Namespace');
  const { owned: objects, notApplied, unlabelled } = await listForUninstall(rest, selector, kinds);
  if (unlabelled.length > 0)
    warn(
      [
        ...unlabelled.map(
          (o) =>
            `Left alone: ${objectRef(o)} has mesh's fields (managedFields manager mesh) but not its managed-by label`,
        ),
        `  uninstall deletes only objects labelled ${LABEL.managedBy}=${MANAGED_BY}: label ${unlabelled.length > 1 ? 'them' : 'it'} again to have ${unlabelled.length > 1 ? 'them' : 'it'} deleted, or delete ${unlabelled.length > 1 ? 'them' : 'it'} yourself`,
      ].join('\n'),
    );
  if (notApplied.length > 0)
    warn(
      `Left alone: ${notApplied.length} object(s) carry mesh's labels but mesh never applied them:\n${notAppliedLines(
        notApplied,
      )
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );
  if (objects.length === 0) {
    warn(
      opts.purge
        ? `Nothing to remove: no objects installed by mesh${where}.`
        : `Nothing to remove: no objects of revision ${revision} installed by mesh${where}.`,
    );
    return ExitCode.OK;
  }
  // A warning, not a refusal (as istioctl's); a user who may not list every namespace and pod still gets
  // to uninstall. With --purge every revision goes; the warning is about -r (default `default`).
  const users = await findRevisionUsers(rest, revision, objects, unlabelled).then(
    (u) => formatRevisionUsers(u, revision),
    (err) =>
      `Warning: cannot tell which workloads still point at revision ${revision}: ${describeError(err)}`,
  );
  if (users) warn(users);
  if (!opts.purge) {
    const gateways = await sharedGatewaysWarning(rest, revision, objects);
    if (gateways) warn(gateways);
  }
  const orphaned = await orphanedWebhooksWarning(rest, objects);
  if (orphaned) warn(orphaned);
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length > 0) {
    const crs = await customResourcesWarning(rest, crds);
    if (crs) warn(crs);
  }
  // The `default` revision tag goes with its revision: the default revision's injector it switched off is
  // switched on again first (else istio-injection=enabled namespaces would be left without an injector).
  const { holdsDefaultTag, restoreDefaultInjector } = await import('./tags.js');
  const restoresDefault = !opts.purge && holdsDefaultTag(objects);
  if (restoresDefault)
    warn(
      `Note: the "default" revision tag goes with revision ${revision}: the default revision's injector it switched off is switched on again first`,
    );
  const refs = objects.map(objectRef);
  if (opts.dryRun) {
    await writeStdout(refs.map((r) => `- ${r}`).join('\n'));
    return ExitCode.OK;
  }
  warn(refs.map((r) => `- ${r}`).join('\n'));
  await confirm(opts, `Delete these ${objects.length} object(s) from context "${rest.kube.contextName}"?`);
  const { withInstallLock } = await import('./install-lock.js');
  // Ctrl+C or a TERM, or the lock lost to another run: no further delete (what was deleted is listed),
  // or no further waiting (what is still terminating is named), instead of dying without a word.
  const interrupt = interruptible('waiting for the install lock');
  try {
    const { deleted, replaced } = await withInstallLock(
      rest,
      `uninstall of ${opts.purge ? 'everything mesh installed' : `revision ${revision}`}${where}`,
      async (lost) => {
        // refused, it ends the uninstall before anything is deleted
        if (restoresDefault) for (const line of await restoreDefaultInjector(rest)) warn(`- ${line}`);
        interrupt.during('deleting');
        return deleteObjects(rest, objects, 8, eitherSignal(interrupt.signal, lost));
      },
      { signal: interrupt.signal },
    ).catch((err) => {
      if ((err instanceof DeleteInterrupted || err instanceof DeleteFailed) && err.deleted.length > 0)
        warn(
          `Deleted before the ${err instanceof DeleteFailed ? 'failure' : 'interruption'}:\n${err.deleted.map((o) => `- ${objectRef(o)}`).join('\n')}`,
        );
      throw err;
    });
    if (replaced.length > 0) warn(replacedWarning(replaced));
    const what = `${deleted.length} object(s)${opts.purge ? '' : ` of revision ${revision}`}`;
    if (waitMs > 0) {
      interrupt.during(`waiting until the ${deleted.length} deleted object(s) are gone`);
      const progress = await (await import('../util/progress.js')).progressReporter();
      progress.start(`Waiting for ${deleted.length} deleted object(s) to be gone`);
      try {
        await waitGone(rest, deleted, {
          timeoutMs: waitMs,
          signal: interrupt.signal,
          onWait: (pending) =>
            progress.update(
              `Waiting for ${pending.length} object(s) to be gone: ${pending.slice(0, 3).join(', ')}${pending.length > 3 ? ', …' : ''}`,
            ),
        });
      } catch (err) {
        progress.fail(
          interrupt.signal.aborted
            ? `Deleted ${what}; stopped waiting for them to be gone`
            : 'Deleted objects are still terminating',
        );
        throw err;
      }
      progress.succeed(`Removed ${what}.`);
    } else warn(`✔ Deleted ${what} (not waiting until they are gone).`);
    return ExitCode.OK;
  } finally {
    interrupt.dispose();
  }
}
