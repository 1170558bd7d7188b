import { MeshError } from '../util/errors.js';
import { fieldDiff, type FieldChange } from '../install/diff.js';
import { objectRef, sortObjects } from '../install/manifest.js';
import {
  collisionMessage,
  nameCollisions,
  removalPatch,
  withoutTakenNames,
  withRenderedEntries,
} from '../install/name-collisions.js';
import {
  LABEL,
  MANAGED_BY,
  type ComponentName,
  type K8sObject,
  type RenderedComponent,
} from '../install/render.js';
import {
  AnswerLostError,
  ApiError,
  apiError,
  isTransient,
  malformedAnswer,
  WaitDeadlineError,
  type KubeRest,
} from './rest.js';
import { mapBounded } from '../util/bounded.js';
import { collectionPath, objectPath, RESOURCE_TYPES } from './resources.js';
import { pause } from '../util/interrupt.js';
import { isDeadline } from '../util/duration.js';

/**
 * Putting rendered components into a cluster: the plan (server-side dry-run apply against the live
 * objects), the ordered apply with readiness waits, pruning and uninstalling. Every write is a
 * server-side apply with field manager `mesh`.
 */

export const FIELD_MANAGER = 'mesh';

export interface Owner {
  name: string;
  namespace: string;
  revision: string;
}

/** Selector of everything one install owns (all components), for pruning. */
export function ownerSelector(o: Owner): string {
  return `${LABEL.managedBy}=${MANAGED_BY},${LABEL.owner}=${o.name},${LABEL.ownerNamespace}=${o.namespace},${LABEL.revision}=${o.revision || 'default'}`;
}

/**
 * `adopt`: the object exists and mesh did not create it (no Apply entry of manager `mesh`, see
 * appliedByMesh): applying takes it over, and uninstall would then delete it with whatever the user put
 * in it. Install refuses that without `--force`.
 */
export type PlanAction = 'create' | 'change' | 'unchanged' | 'prune' | 'conflict' | 'adopt' | 'missing';

export interface PlanEntry {
  ref: string;
  component?: ComponentName;
  action: PlanAction;
  changes?: FieldChange[];
  /**
   * For conflicts: the server's message (which manager owns which field); for adopt: who wrote it; for
   * missing: what is missing and why mesh does not create it.
   */
  message?: string;
  /** A conflict on an object mesh did not create: `exists, not created by mesh (written by …)`. */
  takeOver?: string;
  /** For adopt, and a conflict on an object mesh did not create: its field managers. */
  writers?: string[];
  /** Said on the object's line: `moves from revision default to r3` (a gateway a new revision takes over). */
  note?: string;
  /** For missing: what to do about it. */
  hint?: string;
}

export interface Plan {
  entries: PlanEntry[];
  /** Objects with this install's labels that mesh did not apply and will not prune (`Kind/ns/name (written by …)`). */
  leftAlone?: string[];
}

export const planIsEmpty = (p: Plan) => p.entries.every((e) => e.action === 'unchanged');

/**
 * The entries install refuses to apply: conflicts, and (without `--force`) objects it would take over.
 * Conflicts first.
 */
export function planRefusals(p: Plan, force: boolean | undefined): PlanEntry[] {
  return [
    ...p.entries.filter((e) => e.action === 'missing'),
    ...p.entries.filter((e) => e.action === 'conflict'),
    ...(force ? [] : p.entries.filter((e) => e.action === 'adopt')),
  ];
}

const applyPath = (o: K8sObject, opts: { dryRun?: boolean; force?: boolean }) =>
  `${objectPath(o)}?fieldManager=${FIELD_MANAGER}${opts.force ? '&force=true' : ''}${opts.dryRun ? '&dryRun=All' : ''}`;

/** Server-side apply of one object; returns the object as the server stored (or would store) it. */
export function applyObject(
  rest: KubeRest,
  o: K8sObject,
  opts: { dryRun?: boolean; force?: boolean } = {},
): Promise<any> {
  return rest.call('PATCH', applyPath(o, opts), o, 'application/apply-patch+yaml');
}

/**
 * applyObject, also where a list entry another manager keeps has a name mesh gives an entry of another key
 * (see nameCollisions: a Service port renumbered with `kubectl edit`, which the server refuses as a
 * duplicate name, 422). Without `force` that is a conflict (409) naming the entry and who wrote it, as a
 * conflict on a field is. With `force` those entries are removed (a JSON patch that fails if the object
 * changed since it was read) and `o` applied again: the object as rendered, still the same object (a
 * Service keeps its clusterIP). A dry run cannot chain the two: it applies the rest of `o`, puts mesh's
 * entries in place of the others, and sends that as a dry-run patch for what the server would store.
 * `live`: the object as just read, if at hand.
 */
async function applyOwned(
  rest: KubeRest,
  o: K8sObject,
  opts: { dryRun?: boolean; force?: boolean } = {},
  live?: any,
): Promise<any> {
  try {
    return await applyObject(rest, o, opts);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 422) throw err;
    const current = live ?? (await getObject(rest, o));
    const taken = current === undefined ? [] : nameCollisions(current, o, FIELD_MANAGER);
    if (taken.length === 0) throw err;
    if (!opts.force) throw new ApiError(409, 'Conflict', collisionMessage(taken));
    const patch = (path: string, ops: object[]) =>
      rest.call(
        'PATCH',
        `${objectPath(o)}?fieldManager=${FIELD_MANAGER}${path}`,
        ops,
        'application/json-patch+json',
      );
    if (opts.dryRun) {
      const after = withRenderedEntries(await applyObject(rest, withoutTakenNames(o, taken), opts), o, taken);
      const { managedFields: _, ...metadata } = after.metadata;
      return patch('&dryRun=All', [
        {
          op: 'replace',
          path: '/metadata',
          value: { ...metadata, resourceVersion: current.metadata.resourceVersion },
        },
        { op: 'replace', path: '/spec', value: after.spec },
      ]);
    }
    await patch('', removalPatch(current, taken));
    return applyObject(rest, o, opts);
  }
}

/**
 * An object mesh is about to apply, or waits for, is being deleted (or was deleted after mesh applied
 * it): applying again does not stop a deletion, so the hint says what to do instead of "re-run".
 */
export class ObjectDeletedError extends MeshError {
  constructor(
    /** `Kind/ns/name` */
    readonly ref: string,
    /** `is being deleted (since …; what holds it)` or `was deleted …` */
    readonly state: string,
    message: string,
    hint: string,
  ) {
    super(message, { hint });
  }
}

/** Why a live object is being deleted (`since …; what holds it`), or undefined when it is not. */
export function deletionState(live: any): string | undefined {
  const since = live?.metadata?.deletionTimestamp;
  if (!since) return undefined;
  // A Namespace waits for its content; its conditions name what is left and which finalizers hold it.
  const held = ((live.status?.conditions ?? []) as any[])
    .filter((c) => c.status === 'True' && /^Namespace(Content|Finalizers)Remaining$/.test(c.type ?? ''))
    .map((c) => String(c.message));
  const finalizers: string[] = live.metadata.finalizers ?? [];
  const why = held.length ? held : finalizers.length ? [`finalizers ${finalizers.join(', ')}`] : [];
  return [`since ${since}`, ...why].join('; ');
}

const BEING_DELETED_HINT =
  'wait until it is gone (or remove what holds it: its finalizers, or the content of a namespace), then re-run';

function beingDeleted(ref: string, why: string, nothingChanged: boolean): ObjectDeletedError {
  const state = `is being deleted (${why})`;
  return new ObjectDeletedError(
    ref,
    state,
    `${ref} ${state}: mesh cannot apply it until it is gone${nothingChanged ? '; nothing was changed' : ''}`,
    BEING_DELETED_HINT,
  );
}

/** The live object for a readiness check; an object deleted or being deleted meanwhile ends the wait. */
async function getLive(rest: KubeRest, o: K8sObject): Promise<any> {
  const res = await rest.request('GET', objectPath(o));
  if (res.status === 404) {
    // Gone with its namespace: re-running cannot put it back until the namespace is gone too.
    const ns = o.metadata.namespace;
    if (ns) {
      const nsObj = { kind: 'Namespace', metadata: { name: ns } };
      const owner = await rest.request('GET', objectPath(nsObj));
      const why = owner.status === 200 ? deletionState(owner.body) : undefined;
      if (why) throw beingDeleted(`Namespace/${ns}`, why, false);
    }
    throw new ObjectDeletedError(
      objectRef(o),
      'was deleted',
      `${objectRef(o)} was deleted by someone else after mesh applied it`,
      're-running the same command creates it again',
    );
  }
  if (res.status < 200 || res.status >= 300) throw apiError(res, `GET ${objectRef(o)}`, true);
  // read as one, an answer without metadata failed with "Cannot read properties of undefined"
  const meta = res.body.metadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    throw malformedAnswer(rest.kube, `GET ${objectRef(o)}`, 'an object without "metadata"');
  const why = deletionState(res.body);
  if (why) throw beingDeleted(objectRef(o), why, false);
  return res.body;
}

async function getObject(rest: KubeRest, o: K8sObject): Promise<any | undefined> {
  const res = await rest.request('GET', objectPath(o));
  if (res.status === 404) return undefined;
  if (res.status >= 200 && res.status < 300) return res.body;
  throw apiError(res, `GET ${objectRef(o)}`, true);
}

/**
 * Whether mesh applied this object: its managedFields hold an Apply entry of field manager `mesh`. Labels
 * alone do not tell: a user who copies one of mesh's objects (`kubectl get … -o yaml`, new name, apply)
 * copies its ownership labels too, and that copy is not mesh's to prune or delete.
 */
export function appliedByMesh(o: K8sObject): boolean {
  const fields = (o.metadata as { managedFields?: Array<{ manager?: string; operation?: string }> })
    .managedFields;
  return (fields ?? []).some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply');
}

/** Whether an object carries mesh's `app.kubernetes.io/managed-by=mesh` label. */
export function carriesMeshLabel(o: K8sObject): boolean {
  return (o.metadata.labels as Record<string, string> | undefined)?.[LABEL.managedBy] === MANAGED_BY;
}

/** Objects carrying mesh's labels: those mesh applied, and those it did not (left alone, and said so). */
export interface Labelled {
  owned: K8sObject[];
  notApplied: K8sObject[];
}

/**
 * Objects in the cluster matching `selector`, over every kind mesh manages (or `kinds`), split into those
 * mesh applied (its to prune or delete) and those that only carry its labels.
 */
export async function listOwned(
  rest: KubeRest,
  selector: string,
  kinds?: readonly string[],
): Promise<Labelled> {
  const all = await listLabelled(rest, selector, kinds);
  return { owned: all.filter(appliedByMesh), notApplied: all.filter((o) => !appliedByMesh(o)) };
}

/**
 * What uninstall finds with `selector` (which must not require the managed-by label): `owned` and
 * `notApplied` as listOwned splits them, and `unlabelled`: objects mesh applied (their managedFields say
 * so) whose `app.kubernetes.io/managed-by=mesh` label someone removed. Uninstall deletes only objects that
 * carry it (a user may have removed it to keep the object), and names those as left alone.
 */
export async function listForUninstall(
  rest: KubeRest,
  selector: string,
  kinds?: readonly string[],
): Promise<Labelled & { unlabelled: K8sObject[] }> {
  const all = await listLabelled(rest, selector, kinds);
  return {
    owned: all.filter((o) => carriesMeshLabel(o) && appliedByMesh(o)),
    notApplied: all.filter((o) => carriesMeshLabel(o) && !appliedByMesh(o)),
    unlabelled: all.filter((o) => !carriesMeshLabel(o) && appliedByMesh(o)),
  };
}

/** The field managers of an object, each once. */
export function managersOf(o: K8sObject): string[] {
  return [
    ...new Set(
      ((o.metadata as { managedFields?: Array<{ manager?: string }> }).managedFields ?? []).map(
        (f) => f.manager ?? '?',
      ),
    ),
  ];
}

/** `written by kubectl-create, …`: the field managers of an object. */
function writtenBy(o: K8sObject): string {
  const managers = managersOf(o);
  return `written by ${managers.length ? managers.join(', ') : 'an unknown manager'}`;
}

/** One line per object that carries mesh's labels but was not applied by mesh, naming who wrote it. */
export function notAppliedLines(objects: readonly K8sObject[]): string[] {
  return objects.map((o) => `${objectRef(o)} (${writtenBy(o)})`);
}

async function listLabelled(
  rest: KubeRest,
  selector: string,
  kinds?: readonly string[],
): Promise<K8sObject[]> {
  const types = RESOURCE_TYPES.filter((t) => !kinds || kinds.includes(t.kind));
  const lists = await mapBounded(types, 8, async (t) => {
    const res = await rest.request(
      'GET',
      `${collectionPath(t)}?labelSelector=${encodeURIComponent(selector)}`,
    );
    if (res.status === 404) return [];
    if (res.status < 200 || res.status >= 300) {
      throw apiError(res, `list ${t.plural}`);
    }
    return ((res.body.items ?? []) as any[]).map(
      (i) => ({ ...i, apiVersion: t.apiVersion, kind: t.kind }) as K8sObject,
    );
  });
  return sortObjects(lists.flat());
}

/** Kinds that prune considers (never CRDs: deleting them deletes users' configuration; never the Namespace). */
const PRUNABLE = RESOURCE_TYPES.map((t) => t.kind).filter(
  (k) => k !== 'CustomResourceDefinition' && k !== 'Namespace',
);

/**
 * Owned objects of this install that the new rendering no longer contains (`owned`), and objects that
 * only carry this install's labels (`notApplied`: never pruned).
 */
export async function pruneCandidates(
  rest: KubeRest,
  components: readonly RenderedComponent[],
  owner: Owner,
): Promise<Labelled> {
  const rendered = new Set(components.flatMap((c) => c.objects.map(objectRef)));
  const live = await listOwned(rest, ownerSelector(owner), PRUNABLE);
  const gone = (o: K8sObject) =>
    !rendered.has(objectRef(o)) &&
    o.metadata.labels?.['install.operator.istio.io/owning-resource-not-pruned' as never] !== 'true';
  return { owned: live.owned.filter(gone), notApplied: live.notApplied.filter(gone) };
}

/** The ownership labels of an object shared by every revision and install namespace (component Base). */
const SHARED_OWNER_LABELS = [LABEL.revision, LABEL.owner, LABEL.ownerNamespace] as const;

/**
 * Component Base (the CRDs, the reader ServiceAccount, …) is shared by every revision and every control
 * plane: once mesh applied it, a plan for another revision or namespace leaves its ownership labels as
 * they are (`istio.io/rev`, `owning-resource[-namespace]`), so that two revisions do not flip them on
 * each run and a re-run with the same inputs has nothing to change. The rendered object is changed in
 * place, so that the apply sends what the plan showed.
 */
function keepSharedOwner(o: K8sObject, live: any): void {
  const liveLabels = (live?.metadata?.labels ?? {}) as Record<string, unknown>;
  const labels = (o.metadata.labels ?? {}) as Record<string, unknown>;
  for (const key of SHARED_OWNER_LABELS)
    if (typeof liveLabels[key] === 'string' && key in labels) labels[key] = liveLabels[key];
}

/** `moves from revision default to r3`: a live object of mesh's that this rendering gives another revision. */
function revisionMove(o: K8sObject, live: any): string | undefined {
  const from: unknown = live?.metadata?.labels?.[LABEL.revision];
  const to = (o.metadata.labels as Record<string, unknown> | undefined)?.[LABEL.revision];
  return typeof from === 'string' && typeof to === 'string' && from !== to
    ? `moves from revision ${from} to ${to}`
    : undefined;
}

/**
 * The namespaces rendered objects go into that do not exist and that the rendering does not create (a
 * gateway's `namespace`): mesh creates only the install namespace, as istioctl, whose install then fails
 * halfway with `namespaces "…" not found`. One `missing` entry each, refused whatever `--force` says.
 */
async function missingNamespaces(
  rest: KubeRest,
  items: ReadonlyArray<{ o: K8sObject; component: ComponentName }>,
): Promise<PlanEntry[]> {
  const rendered = new Set(items.filter((i) => i.o.kind === 'Namespace').map((i) => i.o.metadata.name));
  const used = new Map<string, Set<string>>();
  for (const { o } of items) {
    const ns = o.metadata.namespace;
    if (typeof ns !== 'string' || rendered.has(ns)) continue;
    const refs = used.get(ns) ?? new Set<string>();
    refs.add(objectRef(o));
    used.set(ns, refs);
  }
  const entries = await mapBounded([...used], 8, async ([ns, refs]): Promise<PlanEntry | undefined> => {
    const ref = `Namespace/${ns}`;
    const live = await getObject(rest, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    if (live !== undefined) {
      const deleting = deletionState(live);
      if (deleting) throw beingDeleted(ref, deleting, true);
      return undefined;
    }
    const first = [...refs][0]!;
    return {
      ref,
      action: 'missing',
      message: `does not exist, and mesh creates only the install namespace (${refs.size} object(s) go into it: ${first}${refs.size > 1 ? ', …' : ''})`,
      hint: `create it first (kubectl create namespace ${ns}), or set the gateway's namespace to one that exists, then re-run`,
    };
  });
  return entries.filter((e): e is PlanEntry => e !== undefined);
}

/**
 * The plan: for each rendered object, whether applying it creates it, changes it (the changed fields, from
 * a server-side dry-run apply compared with the live object), leaves it as it is, or conflicts with
 * another field manager; plus the owned objects that would be pruned, and the namespaces objects go
 * into that do not exist (see missingNamespaces). Shared objects keep their owner (see keepSharedOwner).
 */
export async function computePlan(
  rest: KubeRest,
  components: readonly RenderedComponent[],
  owner: Owner,
  opts: { force?: boolean; concurrency?: number } = {},
): Promise<Plan> {
  const items = components.flatMap((c) => sortObjects(c.objects).map((o) => ({ o, component: c.component })));
  const missing = await missingNamespaces(rest, items);
  const entries = await mapBounded(
    items,
    opts.concurrency ?? 8,
    async ({ o, component }): Promise<PlanEntry> => {
      const ref = objectRef(o);
      const live = await getObject(rest, o);
      if (live === undefined) return { ref, component, action: 'create' };
      const deleting = deletionState(live);
      if (deleting) throw beingDeleted(ref, deleting, true);
      // Ownership is the same test prune and uninstall use (an Apply entry of manager `mesh`), not the
      // labels: labels are copied with an object, and an object mesh applied once (even taken over with
      // --force) keeps that entry. The Namespace is exempt: it is often made before installing, and
      // neither prune nor uninstall ever deletes it.
      const mine = appliedByMesh(live);
      const adopt = o.kind !== 'Namespace' && !mine;
      if (mine && component === 'Base') keepSharedOwner(o, live);
      const note = mine ? revisionMove(o, live) : undefined;
      const takeOver = adopt ? `exists, not created by mesh (${writtenBy(live)})` : undefined;
      const writers = adopt ? { writers: managersOf(live) } : {};
      try {
        const after = await applyOwned(rest, o, { dryRun: true, force: opts.force }, live);
        const changes = fieldDiff(live, after);
        return {
          ref,
          component,
          action: adopt ? 'adopt' : changes.length > 0 ? 'change' : 'unchanged',
          ...(changes.length ? { changes } : {}),
          ...(takeOver ? { message: takeOver } : {}),
          ...writers,
          ...(note && changes.length ? { note } : {}),
        };
      } catch (err) {
        // A conflict on an object mesh did not create says that too: --force would take it over whole.
        if (err instanceof ApiError && err.status === 409)
          return {
            ref,
            component,
            action: 'conflict',
            message: err.message,
            ...(takeOver ? { takeOver } : {}),
            ...writers,
          };
        throw withObject(err, ref);
      }
    },
  );
  const prune = await pruneCandidates(rest, components, owner);
  return {
    entries: [
      ...missing,
      ...entries,
      ...prune.owned.map((o) => ({ ref: objectRef(o), action: 'prune' as const })),
    ],
    ...(prune.notApplied.length ? { leftAlone: notAppliedLines(prune.notApplied) } : {}),
  };
}

/** An error from the server (or a lost answer) about one object, reworded to name the object first. */
export function withObject(err: unknown, ref: string): unknown {
  if (err instanceof ApiError) return new ApiError(err.status, err.reason, `${ref}: ${err.message}`);
  if (err instanceof AnswerLostError)
    return new AnswerLostError(`${ref}: ${err.message}`, { hint: err.hint, cause: err.cause });
  return err;
}

/** `; A, B may have been applied (the answer was lost)`, or '' when no answer was lost. */
const lostNote = (refs: readonly string[], verb: string) =>
  refs.length ? `; ${refs.join(', ')} may have been ${verb} (the answer was lost)` : '';

export interface Progress {
  /** A new step starts (e.g. "Applying Pilot (12 objects)"). */
  start(text: string): void;
  /** What the current step is waiting for now. */
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
}

export interface ApplyOptions {
  /** Aborted (with a MeshError as reason) when the user interrupts: no further write, no further wait. */
  signal?: AbortSignal;
  /** Told what the install does next (`pruning`), for the message of an interruption. */
  during?: (what: string) => void;
  force?: boolean;
  concurrency: number;
  readinessTimeoutMs: number;
  pollMs?: number;
  progress: Progress;
}

/** Thrown when an install stops halfway: what failed, and what had been applied before. */
export class InstallError extends MeshError {
  constructor(
    message: string,
    readonly applied: string[],
    hint: string,
    /** `Kind/ns/name` of the objects pruned before an interruption. */
    readonly pruned: string[] = [],
  ) {
    super(message, { hint });
  }
}

/**
 * Applies the components in dependency order: CRDs and the Namespace first (waiting until the CRDs are
 * Established), the rest of Base, then each later component, waiting after each until its workloads are
 * ready. Objects within a step are applied concurrently (bounded). Then prunes. Returns the refs applied,
 * pruned, and left alone because a new object took a pruned one's name (see deleteObjects).
 */
export async function applyComponents(
  rest: KubeRest,
  components: readonly RenderedComponent[],
  owner: Owner,
  opts: ApplyOptions,
): Promise<{ applied: string[]; pruned: string[]; replaced: string[] }> {
  // Ctrl+C ends the requests in flight too: one that gets no answer no longer holds the run
  const r = rest.abortable(opts.signal);
  const applied: string[] = [];
  /** Objects whose apply was sent but whose answer was lost: they may have been applied. */
  const lost: string[] = [];
  const steps: AppliedStep[] = [];
  const step = async (label: string, objects: K8sObject[]) => {
    if (objects.length === 0) return;
    const started = Date.now();
    const done: AppliedStep = { label, total: objects.length, applied: 0, ready: false };
    steps.push(done);
    opts.progress.start(`${label}: applying ${objects.length} object(s)`);
    try {
      await mapBounded(sortObjects(objects), opts.concurrency, async (o) => {
        opts.signal?.throwIfAborted();
        try {
          await applyOwned(r, o, { force: opts.force });
        } catch (err) {
          if (err instanceof AnswerLostError) lost.push(objectRef(o));
          // interrupted, the interruption is the error (an apply it cut short is among the lost ones)
          throw opts.signal?.aborted ? (opts.signal.reason as unknown) : withObject(err, objectRef(o));
        }
        applied.push(objectRef(o));
        done.applied++;
      });
      await waitReady(r, objects, opts, (what) => opts.progress.update(`${label}: waiting for ${what}`));
      done.ready = true;
    } catch (err) {
      opts.progress.fail(`${label}: failed`);
      throw halfway(err, applied, steps, lost);
    }
    opts.progress.succeed(`${label}: ${objects.length} object(s) applied and ready (${elapsed(started)})`);
  };
  for (const c of components) {
    if (c.component === 'Base') {
      const first = c.objects.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace');
      await step('CRDs and namespace', first);
      await step(
        c.component,
        c.objects.filter((o) => !first.includes(o)),
      );
    } else await step(c.component, c.objects);
  }
  let pruned: string[] = [];
  let replaced: string[] = [];
  let pruning = false;
  try {
    opts.signal?.throwIfAborted();
    const candidates = (await pruneCandidates(r, components, owner)).owned;
    if (candidates.length > 0) {
      pruning = true;
      opts.during?.('pruning');
      opts.progress.start(`pruning ${candidates.length} object(s) no longer rendered`);
      const result = await deleteObjects(r, candidates, opts.concurrency, opts.signal);
      pruned = result.deleted.map(objectRef);
      opts.progress.succeed(`pruned ${pruned.length} object(s)`);
      replaced = result.replaced;
    }
  } catch (err) {
    if (pruning) opts.progress.fail('pruning: failed');
    throw halfway(err, applied, steps, lost);
  }
  return { applied, pruned, replaced };
}

/** One step of an install as far as it got: how many of its objects were applied, whether they became ready. */
export interface AppliedStep {
  label: string;
  total: number;
  applied: number;
  ready: boolean;
}

/**
 * What an install had applied when it stopped, by step: `Base 9/9 ready, Pilot 5/7 applied`, or
 * `nothing was applied`.
 */
export function appliedSummary(steps: readonly AppliedStep[]): string {
  const started = steps.filter((s) => s.applied > 0);
  if (started.length === 0) return 'nothing was applied';
  const count = started.reduce((n, s) => n + s.applied, 0);
  return `already applied ${count} object(s): ${started
    .map((s) => `${s.label} ${s.applied}/${s.total}${s.ready ? ' ready' : ' applied'}`)
    .join(', ')}`;
}

/**
 * The InstallError of an install stopped by `err`: what was applied (and, listed with them, what may have
 * been: `lost`, applies whose answer was lost), and a hint that fits the error.
 */
function halfway(
  err: unknown,
  applied: readonly string[],
  steps: readonly AppliedStep[],
  lost: readonly string[],
): unknown {
  if (err instanceof InstallError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const status = err instanceof ApiError ? err.status : 0;
  const maybe = (refs: readonly string[], verb: string) =>
    refs.map((ref) => `${ref} (may have been ${verb}: the answer was lost)`);
  return new InstallError(
    `${message} (${appliedSummary(steps)}${lostNote(lost, 'applied')})`,
    [...applied, ...maybe(lost, 'applied')],
    err instanceof ObjectDeletedError && err.hint
      ? err.hint
      : status === 409
        ? 'another field manager owns these fields: re-run with --force to take them over'
        : status === 422 || status === 400
          ? 'the API server rejects the object as mesh rendered it, and re-running sends the same: change the input that sets the field it names (-f, --set), then re-run'
          : status === 404
            ? notFoundHint(message)
            : 're-running the same command completes the install (applying is idempotent)',
    err instanceof DeleteStopped
      ? [...err.deleted.map(objectRef), ...maybe(err.lost.map(objectRef), 'deleted')]
      : [],
  );
}

/**
 * The hint for a 404 halfway (`namespaces "gw" not found`: its namespace deleted since the plan): the same
 * command re-run fails the same way until what is missing is there again.
 */
function notFoundHint(message: string): string {
  const ns = /namespaces "([^"]+)" not found/.exec(message)?.[1];
  return ns
    ? `namespace ${ns} does not exist (any more): re-running fails the same way until it does; create it (kubectl create namespace ${ns}), then re-run`
    : 'something the object needs is not there: re-running fails the same way until it is; see the message';
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

/** What a delete did: the objects deleted (or already gone), and those replaced since they were listed. */
export interface Deleted {
  deleted: K8sObject[];
  /** `Kind/ns/name` of objects whose name now belongs to a new object (another UID): left alone. */
  replaced: string[];
}

/** Deleting stopped before the end: what was deleted, and what may have been (deletes whose answer was lost). */
abstract class DeleteStopped extends MeshError {
  constructor(
    message: string,
    hint: string,
    /** The objects deleted (or already gone) before it stopped, in the order they were listed. */
    readonly deleted: readonly K8sObject[],
    /** The objects whose DELETE was sent but whose answer was lost: they may have been deleted. */
    readonly lost: readonly K8sObject[],
  ) {
    super(message, { hint });
  }
}

/** `12 of 22 object(s) deleted; ConfigMap/ns/x may have been deleted (the answer was lost); the others are still there` */
function deletedSoFar(deleted: readonly K8sObject[], lost: readonly K8sObject[], total: number): string {
  const others = deleted.length + lost.length < total ? '; the others are still there' : '';
  return `${deleted.length} of ${total} object(s) deleted${lostNote(lost.map(objectRef), 'deleted')}${others}`;
}

/** Deleting stopped by the user (Ctrl+C): the abort's reason, with what was deleted before it. */
export class DeleteInterrupted extends DeleteStopped {
  constructor(reason: MeshError, deleted: readonly K8sObject[], lost: readonly K8sObject[], total: number) {
    super(
      `${reason.message} (${deletedSoFar(deleted, lost, total)})`,
      're-running uninstall deletes the rest',
      deleted,
      lost,
    );
  }
}

/** Deleting stopped at a delete that failed (refused, or the server gone): its error, with what was deleted before. */
export class DeleteFailed extends DeleteStopped {
  constructor(err: MeshError, deleted: readonly K8sObject[], lost: readonly K8sObject[], total: number) {
    super(
      `${err.message} (${deleted.length + lost.length > 0 ? deletedSoFar(deleted, lost, total) : 'nothing was deleted'})`,
      err.hint ?? 're-running uninstall deletes the rest',
      deleted,
      lost,
    );
  }
}

/**
 * Deletes one object: `deleted` (or already gone), or `replaced` when its name now belongs to another
 * object. The DELETE carries the listed object's UID as a precondition, and the server refuses it with a
 * 409 once the object was deleted and created again; but a 409 is any conflict (a webhook's, a proxy's),
 * and was reported as "replaced" while the same object stayed: the live object's UID tells.
 */
async function deleteOne(rest: KubeRest, o: K8sObject): Promise<'deleted' | 'replaced'> {
  const ref = objectRef(o);
  const uid = (o.metadata as { uid?: string }).uid;
  const res = await rest
    .request('DELETE', objectPath(o), {
      propagationPolicy: 'Background',
      ...(uid ? { preconditions: { uid } } : {}),
    })
    .catch((err: unknown) => Promise.reject(withObject(err, ref)));
  if (res.status === 404 || (res.status >= 200 && res.status < 300)) return 'deleted';
  if (res.status === 409 && uid) {
    const live = await getObject(rest, o);
    if (live === undefined) return 'deleted';
    const liveUid: unknown = live.metadata?.uid;
    if (typeof liveUid === 'string' && liveUid !== uid) return 'replaced';
    // the same object, being deleted all the same (by someone else, or by an earlier run)
    if (liveUid === uid && live.metadata?.deletionTimestamp) return 'deleted';
  }
  throw withObject(apiError(res, 'DELETE'), ref);
}

/**
 * Deletes objects (background propagation; already gone is fine). An object deleted and created again
 * under the same name since it was listed (between the plan or list and a confirmation, say) is not the
 * one the user agreed to delete: it is reported as replaced, and left alone (see deleteOne).
 */
export async function deleteObjects(
  rest: KubeRest,
  objects: readonly K8sObject[],
  concurrency: number,
  /**
   * Aborted (reason: a MeshError): no further delete; the ones in flight get a moment to be answered
   * (see KubeRest.abortable), then DeleteInterrupted.
   */
  signal?: AbortSignal,
): Promise<Deleted> {
  const r = rest.abortable(signal);
  const done = new Set<K8sObject>();
  const lost = new Set<K8sObject>();
  const replaced: string[] = [];
  let failure: unknown;
  await mapBounded(objects, concurrency, async (o) => {
    if (signal?.aborted || failure !== undefined) return;
    try {
      if ((await deleteOne(r, o)) === 'replaced') replaced.push(objectRef(o));
      else done.add(o);
    } catch (err) {
      if (err instanceof AnswerLostError) lost.add(o);
      // no further delete; the ones in flight finish, so that what was deleted is known (interrupted, a
      // delete cut short is no failure of its own: it is among the lost ones, or still there)
      if (!signal?.aborted) failure ??= err;
    }
  });
  const deleted = objects.filter((o) => done.has(o));
  const maybe = objects.filter((o) => lost.has(o));
  if (failure !== undefined)
    throw failure instanceof MeshError ? new DeleteFailed(failure, deleted, maybe, objects.length) : failure;
  if (signal?.aborted)
    throw new DeleteInterrupted(signal.reason as MeshError, deleted, maybe, objects.length);
  return { deleted, replaced };
}

/** The warning for objects a delete left alone because a new object now has their name. */
export function replacedWarning(replaced: readonly string[]): string {
  return `Left alone: ${replaced.length} object(s) were replaced by a new object of the same name since mesh listed them (not the object that was to be deleted):\n${replaced.map((r) => `  ${r}`).join('\n')}`;
}

/**
 * Why an object is not ready yet, or undefined when it is. An object deleted or being deleted throws an
 * ObjectDeletedError: it will not become ready by waiting.
 */
export async function notReadyReason(rest: KubeRest, o: K8sObject): Promise<string | undefined> {
  if (o.kind === 'CustomResourceDefinition') {
    const live = await getLive(rest, o);
    const c = (live.status?.conditions ?? []).find((x: any) => x.type === 'Established');
    return c?.status === 'True' ? undefined : (c?.message ?? 'not Established yet');
  }
  if (o.kind === 'Namespace') {
    const live = await getLive(rest, o);
    return live.status?.phase === 'Active' ? undefined : `phase ${live.status?.phase ?? 'unknown'}`;
  }
  if (o.kind === 'Deployment') {
    const live = await getLive(rest, o);
    const want = live.spec?.replicas ?? 1;
    const st = live.status ?? {};
    // As `kubectl rollout status`: the rollout is done only when no replica of an older template is
    // left. Mid-rollout the old pod keeps ready and available at `want` while the new one may never start.
    if (
      (st.observedGeneration ?? 0) >= live.metadata.generation &&
      (st.updatedReplicas ?? 0) >= want &&
      (st.replicas ?? 0) <= (st.updatedReplicas ?? 0) &&
      (st.readyReplicas ?? 0) >= want &&
      (st.availableReplicas ?? 0) >= want
    )
      return undefined;
    return deploymentReason(rest, live, want);
  }
  return undefined;
}

async function deploymentReason(rest: KubeRest, d: any, want: number): Promise<string> {
  const st = d.status ?? {};
  const parts = [`${st.readyReplicas ?? 0}/${want} replicas ready`];
  const old = (st.replicas ?? 0) - (st.updatedReplicas ?? 0);
  if (old > 0)
    parts.push(`${st.updatedReplicas ?? 0}/${want} updated, ${old} old replica(s) not replaced yet`);
  for (const c of st.conditions ?? [])
    if (c.status !== 'True' || c.reason === 'ProgressDeadlineExceeded')
      parts.push(`${c.type}: ${c.reason ?? ''} ${c.message ?? ''}`.trim());
  const selector = Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await rest.request(
    'GET',
    `/api/v1/namespaces/${d.metadata.namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  const items: unknown = pods.body?.items;
  const newest = (Array.isArray(items) ? (items as any[]) : []).sort((a, b) =>
    String(b?.metadata?.creationTimestamp).localeCompare(String(a?.metadata?.creationTimestamp)),
  )[0];
  if (newest) {
    const waiting = (newest.status?.containerStatuses ?? []).map((c: any) => c.state?.waiting).find(Boolean);
    const cond = (newest.status?.conditions ?? []).find((c: any) => c.status === 'False' && c.message);
    if (waiting)
      parts.push(
        `pod ${newest.metadata?.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`,
      );
    else if (cond) parts.push(`pod ${newest.metadata?.name}: ${cond.type}=False: ${cond.message}`);
    else parts.push(`pod ${newest.metadata?.name}: phase ${newest.status?.phase ?? 'unknown'}`);
  } else if (pods.status === 200) parts.push('no pods yet');
  return parts.join('; ');
}

/**
 * Polls until every object that has a readiness rule is ready; a timeout names the object and the reason.
 * The wait ends at its deadline, its requests included (see KubeRest.until), or at once when `opts.signal`
 * aborts (see KubeRest.abortable). A transient failure answer (a 503 of an API server restarting, see
 * isTransient) is no reason to stop: as `kubectl rollout status`, the wait polls again, and names it
 * as the reason if the deadline comes first.
 */
export async function waitReady(
  rest: KubeRest,
  objects: readonly K8sObject[],
  opts: ApplyOptions,
  onWait: (what: string) => void,
): Promise<void> {
  const watched = objects.filter((o) =>
    ['CustomResourceDefinition', 'Namespace', 'Deployment'].includes(o.kind),
  );
  if (watched.length === 0) return;
  const deadline = Date.now() + opts.readinessTimeoutMs;
  const r = rest.abortable(opts.signal);
  const capped = isDeadline(opts.readinessTimeoutMs) ? r.until(deadline) : r;
  const notReady = (pending: ReadonlyArray<{ ref: string; reason?: string }>) =>
    new MeshError(
      `${pending[0]!.ref} is not ready after ${opts.readinessTimeoutMs / 1000}s: ${pending[0]!.reason}${pending.length > 1 ? ` (and ${pending.length - 1} more not ready)` : ''}`,
    );
  /** Why each object was not ready at the last poll: the reason to name when a request is cut at the deadline. */
  let known = new Map<string, string>();
  for (;;) {
    opts.signal?.throwIfAborted();
    let late = false;
    const reasons = await mapBounded(watched, opts.concurrency, (o) =>
      notReadyReason(capped, o).catch((err: unknown) => {
        if (isTransient(err)) return err.message;
        if (!(err instanceof WaitDeadlineError)) throw err;
        late = true;
        return known.get(objectRef(o)) ?? err.message;
      }),
    );
    const pending = watched
      .map((o, i) => ({ ref: objectRef(o), reason: reasons[i] }))
      .filter((p) => p.reason !== undefined);
    if (pending.length === 0) return;
    if (late || Date.now() >= deadline) throw notReady(pending);
    known = new Map(pending.map((p) => [p.ref, p.reason!]));
    const first = pending[0]!;
    onWait(`${first.ref} (${first.reason})${pending.length > 1 ? ` and ${pending.length - 1} more` : ''}`);
    await pause(Math.min(opts.pollMs ?? 1000, deadline - Date.now()), opts.signal);
    if (Date.now() >= deadline) throw notReady(pending);
  }
}
