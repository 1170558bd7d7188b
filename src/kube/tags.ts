/**
 * The cluster side of `mesh tag`: reading the injector webhooks, tag Services and namespaces, and writing
 * (server-side apply, field manager `mesh`, so that uninstall of the revision removes them) or deleting a
 * tag's objects.
 */
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { confirm } from '../util/prompt.js';
import { objectRef } from '../install/manifest.js';
import { LABEL, type K8sObject } from '../install/render.js';
import {
  DEFAULT_TAG,
  DEFAULT_VALIDATOR,
  controlPlaneNamespace,
  deactivatedByMesh,
  deactivation,
  defaultTagInstallNotice,
  formatTagData,
  formatTagTable,
  injectorEndpoint,
  isDeactivated,
  reactivation,
  revisionInjectors,
  revisionOf,
  TAG_LABEL,
  tagObjects,
  tagOf,
  tagRows,
  tagServiceName,
  tagWebhookName,
  tagYaml,
  type Meta,
  type TagInput,
  type Webhook,
} from '../install/tags.js';
import { applyObject } from './installer.js';
import { connect, connectGuarded, type ClusterOptions } from './connect.js';
import { ApiError, apiError, type KubeRest } from './rest.js';
import { objectPath } from './resources.js';

const ADMISSION = '/apis/admissionregistration.k8s.io/v1';
/** The field manager of the requirement that switches the default revision's injector off. */
export const DEACTIVATION_MANAGER = 'mesh-tag';

const q = (selector: string) => `labelSelector=${encodeURIComponent(selector)}`;

async function list<T = Meta>(rest: KubeRest, path: string, what: string): Promise<T[]> {
  const res = await rest.request('GET', path);
  if (res.status < 200 || res.status >= 300) throw apiError(res, `list ${what}`, true);
  return (res.body.items ?? []) as T[];
}

const mutating = (rest: KubeRest, selector: string) =>
  list<Webhook>(
    rest,
    `${ADMISSION}/mutatingwebhookconfigurations?${q(selector)}`,
    'MutatingWebhookConfigurations',
  );
const validating = (rest: KubeRest, selector: string) =>
  list<Webhook>(
    rest,
    `${ADMISSION}/validatingwebhookconfigurations?${q(selector)}`,
    'ValidatingWebhookConfigurations',
  );
const services = (rest: KubeRest, ns: string, selector: string) =>
  list(rest, `/api/v1/namespaces/${encodeURIComponent(ns)}/services?${q(selector)}`, `Services in ${ns}`);
/** Services in every namespace: a tag's Service is in its revision's control plane namespace, whichever. */
const allServices = (rest: KubeRest, selector: string) =>
  list(rest, `/api/v1/services?${q(selector)}`, 'Services');

/** Names of the namespaces labelled `istio.io/rev=<tag>` (list order). */
export async function namespacesUsing(rest: KubeRest, tag: string): Promise<string[]> {
  const items = await list(rest, `/api/v1/namespaces?${q(`${LABEL.revision}=${tag}`)}`, 'namespaces');
  return items.map((n) => n.metadata?.name ?? '');
}

/** Namespaces whose new pods the `default` tag takes (`istio-injection=enabled`). */
export async function injectionEnabled(rest: KubeRest): Promise<string[]> {
  const items = await list(rest, `/api/v1/namespaces?${q('istio-injection=enabled')}`, 'namespaces');
  return items.map((n) => n.metadata?.name ?? '');
}

/** What `tag list` reads: injector webhooks and revision Services labelled `istio.io/rev`, and namespaces. */
export async function readTagState(rest: KubeRest, istioNamespace: string) {
  const [webhooks, svcs, namespaces] = await Promise.all([
    mutating(rest, LABEL.revision),
    services(rest, istioNamespace, LABEL.revision),
    list(rest, '/api/v1/namespaces', 'namespaces'),
  ]);
  return { webhooks, services: svcs, namespaces };
}

/** A group of namespaces whose new pods change injector, and what injected them until now (undefined: none did). */
export interface NamespaceMove {
  namespaces: string[];
  from?: string;
}

export interface TagPlan {
  objects: K8sObject[];
  /** The control plane namespace the tag belongs to: the revision's (its injector's), or `-i`. */
  istioNamespace: string;
  /** The tag's current revision(s), when it exists. */
  current: string[];
  /** Namespaces whose new pods change injector when the plan is applied. */
  moves: NamespaceMove[];
  /** Every default-revision injector still switched on: a `default` tag switches them off. */
  deactivate: Webhook[];
  /** The tag's configurations and Services under another name or in another namespace: replaced, deleted. */
  stale: K8sObject[];
  /** What set leaves alone, and why. */
  notes: string[];
}

const withKind = (o: Meta, apiVersion: string, kind: string) =>
  ({ ...o, apiVersion, kind }) as unknown as K8sObject;
const asMwc = (o: Meta) => withKind(o, 'admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration');
const asVwc = (o: Meta) => withKind(o, 'admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration');
const asService = (o: Meta) => withKind(o, 'v1', 'Service');
const mwcRef = (o: Meta) => `MutatingWebhookConfiguration/${o.metadata?.name}`;

/** Whom a configuration that is not a tag's belongs to, for messages. */
function ownerText(o: Meta): string {
  const labels = o.metadata?.labels ?? {};
  const tag = tagOf(o);
  if (tag !== undefined) return `it is tag "${tag}"'s`;
  const rev = revisionOf(o);
  if (rev !== undefined)
    return `it belongs to revision ${rev}${labels[LABEL.managedBy] === 'mesh' ? ' (mesh install)' : ''}, not to a tag`;
  return `it is not labelled ${TAG_LABEL}`;
}

/**
 * Everything `tag set` and `tag generate` check and render: the revision is installed (one injector
 * configuration of its own, in `-i`'s namespace when given), the tag is not a revision's name, and (for
 * set, without overwrite) the tag does not point at another revision already. The control plane
 * namespace is the revision's (the Service its injector calls, else its owning-resource-namespace
 * label): an `-i` naming another one is refused.
 */
export async function planTag(
  rest: KubeRest,
  opts: {
    tag: string;
    revision: string;
    /** `-i`, when given. */
    istioNamespace?: string | undefined;
    webhookName?: string | undefined;
    overwrite: boolean;
    generate: boolean;
  },
): Promise<TagPlan> {
  const { tag, revision } = opts;
  const sel = `${TAG_LABEL}=${tag}`;
  const none = Promise.resolve([] as Webhook[]);
  const [injectors, tagHooks, tagServices, tagValidators, validators] = await Promise.all([
    mutating(rest, LABEL.revision),
    mutating(rest, sel),
    allServices(rest, sel),
    tag === DEFAULT_TAG ? validating(rest, sel) : none,
    tag === DEFAULT_TAG ? validating(rest, '') : none,
  ]);
  if (tag !== DEFAULT_TAG) {
    const clash = revisionInjectors(injectors, tag);
    if (clash.length > 0)
      throw new MeshError(
        `cannot create revision tag "${tag}": revision ${tag} is installed (MutatingWebhookConfiguration/${clash[0]!.metadata?.name})`,
        {
          hint:
            'a tag and a revision cannot share a name: namespaces labelled istio.io/rev=' +
            tag +
            ' already use that revision',
        },
      );
  }
  const own = revisionInjectors(injectors, revision);
  if (own.length === 0)
    throw new MeshError(
      `revision "${revision}" is not installed: no MutatingWebhookConfiguration labelled ${LABEL.revision}=${revision} (without ${TAG_LABEL})`,
      {
        hint: `install it first (mesh install -r ${revision}), or name an installed revision: mesh tag list`,
      },
    );
  const where = (w: Webhook) => `${mwcRef(w)} in ${controlPlaneNamespace(w) ?? '?'}`;
  let candidates = own;
  if (own.length > 1 && opts.istioNamespace !== undefined) {
    candidates = own.filter((w) => controlPlaneNamespace(w) === opts.istioNamespace);
    if (candidates.length === 0)
      throw usageError(
        `revision "${revision}" has no injector configuration in -i ${opts.istioNamespace}: ${own.map(where).join(', ')}`,
        'give -i one of their namespaces',
      );
  }
  if (candidates.length > 1)
    throw new MeshError(
      `revision "${revision}" has ${candidates.length} injector configurations (${candidates.map(where).join(', ')}): mesh cannot tell which one the tag should call`,
      { hint: 'name its control plane namespace with -i' },
    );
  const injector = candidates[0]!;
  const endpoint = injectorEndpoint(injector);
  if (!endpoint || (!endpoint.service && endpoint.url === undefined))
    throw new MeshError(
      `MutatingWebhookConfiguration/${injector.metadata?.name} has no *sidecar-injector.istio.io webhook with a client config: it is not revision ${revision}'s injector`,
    );
  const derived = controlPlaneNamespace(injector);
  if (opts.istioNamespace !== undefined && derived !== undefined && derived !== opts.istioNamespace)
    throw usageError(
      `-i/--istioNamespace ${opts.istioNamespace} is not revision ${revision}'s control plane namespace: its injector ${mwcRef(injector)} belongs to ${derived}`,
      `leave -i out (the tag goes to ${derived}), or give -i ${derived}`,
    );
  const istioNamespace = opts.istioNamespace ?? derived ?? 'istio-system';
  const webhookName = opts.webhookName || tagWebhookName(tag, istioNamespace);
  if (!opts.generate) {
    // never take over a configuration that is not this tag's (a revision's own injector, another tag's)
    const res = await rest.request(
      'GET',
      `${ADMISSION}/mutatingwebhookconfigurations/${encodeURIComponent(webhookName)}`,
    );
    if (res.status >= 200 && res.status < 300 && tagOf(res.body as Meta) !== tag)
      throw new MeshError(
        `MutatingWebhookConfiguration/${webhookName} exists and is not revision tag "${tag}"'s (${ownerText(res.body as Meta)}): mesh does not take it over`,
        {
          hint: `nothing was changed; ${opts.webhookName ? 'choose another --webhook-name' : 'give the tag another --webhook-name'}`,
        },
      );
    if (res.status !== 404 && (res.status < 200 || res.status >= 300))
      throw apiError(res, `GET MutatingWebhookConfiguration/${webhookName}`, true);
  }
  const current = [...new Set([...tagHooks, ...tagServices].map(revisionOf).filter((r): r is string => !!r))];
  const elsewhere = current.filter((r) => r !== revision);
  if (elsewhere.length > 0 && !opts.overwrite && !opts.generate)
    throw new MeshError(
      `revision tag "${tag}" already exists and points at revision ${elsewhere.join(', ')} (${[...tagHooks, ...tagServices].map((o) => refOf(o)).join(', ')})`,
      { hint: `to move it to revision ${revision}, add --overwrite` },
    );
  const existingValidator = validators.find((v) => v.metadata?.name === DEFAULT_VALIDATOR);
  const input: TagInput = {
    tag,
    revision,
    istioNamespace,
    endpoint,
    webhookName,
    ...(existingValidator
      ? {
          validatorFailurePolicy: (existingValidator.webhooks ?? []).some((w) => w.failurePolicy === 'Fail')
            ? 'Fail'
            : undefined,
        }
      : {}),
  };
  let objects = tagObjects(input);
  const plan: TagPlan = {
    objects,
    istioNamespace,
    current,
    moves: [],
    deactivate: [],
    stale: [],
    notes: [],
  };
  if (opts.generate) return plan;
  if (existingValidator && tagOf(existingValidator) === undefined) {
    // an install's own default validator (Base, values.defaultRevision) is left to that install
    objects = objects.filter((o) => o.kind !== 'ValidatingWebhookConfiguration');
    const cc = (existingValidator.webhooks?.[0]?.clientConfig ?? {}) as {
      service?: { name?: string; namespace?: string };
      url?: string;
    };
    const to = cc.service ? `Service ${cc.service.namespace}/${cc.service.name}` : (cc.url ?? '?');
    plan.notes.push(
      `ValidatingWebhookConfiguration/${DEFAULT_VALIDATOR} is left as it is: ${ownerText(existingValidator)}; config without ${LABEL.revision} stays validated by ${to}`,
    );
  }
  plan.objects = objects;
  // the tag's configurations and Services under another name or namespace: replaced, never left beside
  plan.stale = [
    ...tagHooks.filter((w) => w.metadata?.name !== webhookName).map(asMwc),
    ...tagValidators.filter((v) => v.metadata?.name !== DEFAULT_VALIDATOR).map(asVwc),
    ...tagServices
      .filter((s) => s.metadata?.namespace !== istioNamespace || s.metadata?.name !== tagServiceName(tag))
      .map(asService),
  ];
  // Whose new pods get another injector: namespaces on the tag when it moves; for `default`, also the
  // istio-injection=enabled namespaces, and when it is new those the default revision's injector served.
  const taken = new Set<string>();
  const add = (namespaces: readonly string[], from?: string) => {
    const fresh = namespaces.filter((n) => !taken.has(n));
    fresh.forEach((n) => taken.add(n));
    if (fresh.length > 0) plan.moves.push({ namespaces: fresh, ...(from !== undefined ? { from } : {}) });
  };
  if (elsewhere.length > 0) add(await namespacesUsing(rest, tag), elsewhere.join(', '));
  if (tag === DEFAULT_TAG) {
    plan.deactivate = revisionInjectors(injectors, 'default').filter((w) => !isDeactivated(w));
    const enabled = await injectionEnabled(rest);
    if (elsewhere.length > 0) add(enabled, elsewhere.join(', '));
    else if (current.length === 0) {
      const served = [...enabled, ...(await namespacesUsing(rest, DEFAULT_TAG))];
      if (plan.deactivate.length === 0) add(served);
      else if (revision !== 'default') add(served, 'the default revision');
    }
  }
  return plan;
}

const refOf = (o: Meta & { kind?: string }) =>
  `${o.kind ?? (o.metadata?.namespace ? 'Service' : 'MutatingWebhookConfiguration')}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Deletes an object with its UID as a precondition (one replaced meanwhile is left alone); false when gone. */
async function deleteOne(rest: KubeRest, o: K8sObject): Promise<boolean> {
  const uid = (o.metadata as { uid?: string }).uid;
  const res = await rest.request(
    'DELETE',
    objectPath(o),
    uid ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } } : undefined,
  );
  if (res.status === 404 || res.status === 409) return false;
  if (res.status < 200 || res.status >= 300) throw apiError(res, 'DELETE');
  return true;
}

const applyDeactivation = (rest: KubeRest, body: K8sObject) =>
  rest.call(
    'PATCH',
    `${objectPath(body)}?fieldManager=${DEACTIVATION_MANAGER}&force=true`,
    body,
    'application/apply-patch+yaml',
  );

const doneHint = (done: readonly string[]) =>
  done.length > 0 ? `already done: ${done.join('; ')}` : 'nothing was changed';

/**
 * Applies a tag's objects (taking over the fields of an earlier istioctl or mesh tag), switches every
 * default-revision injector still on off (a `default` tag), then deletes the tag's stale objects (under
 * another name or namespace). A failure names what was already done.
 */
export async function applyTag(rest: KubeRest, plan: TagPlan): Promise<string[]> {
  const done: string[] = [];
  for (const o of plan.objects) {
    await applyObject(rest, o, { force: true }).catch((err: unknown) => {
      throw new MeshError(`${objectRef(o)}: ${message(err)}`, { hint: doneHint(done) });
    });
    done.push(objectRef(o));
  }
  for (const w of plan.deactivate) {
    const body = deactivation(w);
    await applyDeactivation(rest, body).catch((err: unknown) => {
      throw new MeshError(
        `${objectRef(body)}: cannot switch the default revision's injector off: ${message(err)}`,
        { hint: doneHint(done) },
      );
    });
    done.push(`${objectRef(body)} (default revision's injector switched off)`);
  }
  for (const o of plan.stale) {
    const gone = await deleteOne(rest, o).catch((err: unknown) => {
      throw new MeshError(`${objectRef(o)}: ${message(err)}`, { hint: doneHint(done) });
    });
    if (gone) done.push(`${objectRef(o)} (the tag's earlier object: deleted)`);
  }
  return done;
}

export interface TagObjects {
  webhooks: Webhook[];
  validators: Webhook[];
  services: Meta[];
}

/** The objects of a tag, whoever made them (istioctl's or mesh's): Services in every namespace. */
export async function findTag(rest: KubeRest, tag: string): Promise<TagObjects> {
  const sel = `${TAG_LABEL}=${tag}`;
  const [webhooks, validators, svcs] = await Promise.all([
    mutating(rest, sel),
    validating(rest, sel),
    allServices(rest, sel),
  ]);
  return { webhooks, validators, services: svcs };
}

export function tagObjectsFound(t: TagObjects): K8sObject[] {
  return [...t.webhooks.map(asMwc), ...t.validators.map(asVwc), ...t.services.map(asService)];
}

/** The default revision's own injector configurations (any namespace's), switched on or off. */
export async function defaultInjectors(rest: KubeRest): Promise<Webhook[]> {
  return revisionInjectors(await mutating(rest, `${LABEL.revision}=default`), 'default');
}

/**
 * Switches back on every default-revision injector that a `default` tag switched off (mesh's
 * deactivation: the selectors it kept); istioctl's deactivation (no kept selectors) is left. Returns what
 * it switched on; a failure names what it already did.
 */
export async function restoreDefaultInjector(rest: KubeRest): Promise<string[]> {
  const done: string[] = [];
  for (const w of await defaultInjectors(rest)) {
    const body = reactivation(w);
    if (!body) continue;
    await applyDeactivation(rest, body).catch((err: unknown) => {
      throw new MeshError(
        `${objectRef(body)}: cannot switch the default revision's injector on again: ${message(err)}`,
        { hint: doneHint(done) },
      );
    });
    done.push(`${objectRef(body)} (default revision's injector switched on again)`);
  }
  return done;
}

/** Whether `objects` (what uninstall deletes) hold the `default` tag's injector configuration. */
export const holdsDefaultTag = (objects: readonly K8sObject[]): boolean =>
  objects.some((o) => o.kind === 'MutatingWebhookConfiguration' && tagOf(o as Meta) === DEFAULT_TAG);

/**
 * Install's warning (undefined when none) before it applies the default revision (`revision` '' or
 * 'default') while a `default` tag exists: its injector (`injectorName`, as rendered) would be switched on
 * next to the tag, or conflicts with the tag's deactivation.
 */
export async function defaultTagWarning(
  rest: KubeRest,
  revision: string,
  injectorName = 'istio-sidecar-injector',
): Promise<string | undefined> {
  if ((revision || 'default') !== 'default') return undefined;
  const tags = await mutating(rest, `${TAG_LABEL}=${DEFAULT_TAG}`);
  if (tags.length === 0) return undefined;
  const injector = (await defaultInjectors(rest)).find((w) => w.metadata?.name === injectorName);
  const n = defaultTagInstallNotice(tags[0]!, injector);
  return `Warning: ${n.message}\n  ${n.hint}`;
}

/**
 * Why installing `revision` would be refused because a revision tag of that name exists (`tag set`
 * refuses the reverse): the tag's injector already takes namespaces and pods labelled
 * `istio.io/rev=<revision>`, and the revision's own would inject them again. undefined when there is no
 * such tag (or for the default revision, whose `default` tag is defaultTagWarning's).
 */
export async function revisionNamedAsTag(
  rest: KubeRest,
  revision: string,
): Promise<{ message: string; hint: string } | undefined> {
  if ((revision || 'default') === 'default') return undefined;
  // a user who may not list webhook configurations installs as before (precheck says it cannot tell)
  const tags = await mutating(rest, `${TAG_LABEL}=${revision}`).catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 403) return [];
    throw err;
  });
  if (tags.length === 0) return undefined;
  const to = [...new Set(tags.map((t) => t.metadata?.labels?.[LABEL.revision] ?? 'default'))].join(', ');
  return {
    message: `revision tag "${revision}" exists (${tags.map((t) => `MutatingWebhookConfiguration/${t.metadata?.name}`).join(', ')}, pointing at revision ${to}): a revision named ${revision} would inject the pods of istio.io/rev=${revision} namespaces a second time`,
    hint: `a tag and a revision cannot share a name: remove the tag first (mesh tag remove ${revision}), or install with another --revision`,
  };
}

/**
 * Deletes a tag's objects (each with its UID as a precondition). For `default`, first switches the
 * default revision's injector back on (so that a refused switch changes nothing). A failure names what
 * was already done.
 */
export async function removeTag(
  rest: KubeRest,
  tag: string,
  objects: readonly K8sObject[],
): Promise<string[]> {
  const done = tag === DEFAULT_TAG ? await restoreDefaultInjector(rest) : [];
  for (const o of objects) {
    const gone = await deleteOne(rest, o).catch((err: unknown) => {
      throw new MeshError(`${objectRef(o)}: ${message(err)}`, { hint: doneHint(done) });
    });
    if (gone) done.push(objectRef(o));
  }
  return done;
}

/** The flags of `mesh tag set` and `generate`, checked. */
export interface TagOptions extends ClusterOptions {
  revision: string;
  istioNamespace?: string;
  webhookName?: string;
}

export interface TagSetOptions extends TagOptions {
  overwrite?: boolean;
  skipConfirmation?: boolean;
}

export interface TagListOptions extends ClusterOptions {
  istioNamespace: string;
  format: 'table' | 'json' | 'yaml';
}

export interface TagRemoveOptions extends ClusterOptions {
  skipConfirmation?: boolean;
}

/** Up to five names, then how many more. */
const shortList = (names: readonly string[]) =>
  names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');

/** `mesh tag set`: plan the tag, warn about the namespaces whose injector changes and ask, then apply. */
export async function runTagSet(name: string, opts: TagSetOptions): Promise<number> {
  const rest = await connectGuarded(opts, 'tag set');
  const plan = await planTag(rest, {
    tag: name,
    revision: opts.revision,
    istioNamespace: opts.istioNamespace,
    webhookName: opts.webhookName,
    overwrite: Boolean(opts.overwrite),
    generate: false,
  });
  for (const note of plan.notes) warn(`Note: ${note}`);
  for (const m of plan.moves)
    warn(
      m.from !== undefined
        ? `Warning: new pods of ${m.namespaces.length} namespace(s) (${shortList(m.namespaces)}) will be injected by revision ${opts.revision} instead of ${m.from}; ` +
            'running pods keep their proxies until restarted (kubectl rollout restart).'
        : `Warning: new pods of ${m.namespaces.length} namespace(s) (${shortList(m.namespaces)}) will be injected by revision ${opts.revision}: ` +
            'no injector served them until now; running pods get a proxy when restarted (kubectl rollout restart).',
    );
  if (plan.moves.length > 0) await confirm(opts, `Point tag "${name}" at revision ${opts.revision}?`);
  const applied = await applyTag(rest, plan);
  warn(applied.map((r) => `- ${r}`).join('\n'));
  warn(
    `✔ Revision tag "${name}" points at revision ${opts.revision}. Namespaces use it with: kubectl label namespace <namespace> istio.io/rev=${name}`,
  );
  return ExitCode.OK;
}

/** `mesh tag generate`: the tag's objects as YAML on stdout; changes nothing. */
export async function runTagGenerate(name: string, opts: TagOptions): Promise<number> {
  const rest = await connect(opts);
  const plan = await planTag(rest, {
    tag: name,
    revision: opts.revision,
    istioNamespace: opts.istioNamespace,
    webhookName: opts.webhookName,
    overwrite: true,
    generate: true,
  });
  await writeStdout(tagYaml(plan.objects));
  return ExitCode.OK;
}

/** `mesh tag list`: the tags, their revisions and the namespaces using them. */
export async function runTagList(opts: TagListOptions): Promise<number> {
  const { format } = opts;
  const rest = await connect(opts);
  const state = await readTagState(rest, opts.istioNamespace);
  const rows = tagRows(state.webhooks, state.services, state.namespaces);
  await writeStdout(format === 'table' ? formatTagTable(rows) : formatTagData(rows, format));
  return ExitCode.OK;
}

/**
 * `mesh tag remove`: delete the tag's objects (asking first when namespaces still use it); the `default`
 * tag also switches the default revision's injector on again.
 */
export async function runTagRemove(name: string, opts: TagRemoveOptions): Promise<number> {
  const rest = await connectGuarded(opts, 'tag remove');
  const isDefault = name === DEFAULT_TAG;
  const [found, injectors] = await Promise.all([
    findTag(rest, name),
    isDefault ? defaultInjectors(rest) : Promise.resolve([]),
  ]);
  const objects = tagObjectsFound(found);
  const ref = (w: { metadata?: { name?: string } }) => `MutatingWebhookConfiguration/${w.metadata?.name}`;
  const meshOff = injectors.filter((w) => isDeactivated(w) && deactivatedByMesh(w));
  const otherOff = injectors.filter((w) => isDeactivated(w) && !deactivatedByMesh(w));
  const on = injectors.filter((w) => !isDeactivated(w));
  const offNote = otherOff.length
    ? `${otherOff.map(ref).join(', ')} stay${otherOff.length > 1 ? '' : 's'} switched off: switched off by another tool (istioctl), mesh has no record of its selectors; installing the default revision again with the same inputs (mesh install --force) puts them back`
    : '';
  if (objects.length === 0) {
    if (meshOff.length === 0)
      throw new MeshError(
        `revision tag "${name}" not found: no MutatingWebhookConfiguration, ValidatingWebhookConfiguration or Service labelled istio.io/tag=${name}`,
        { hint: offNote || 'mesh tag list shows the tags' },
      );
    // only the deactivation is left (the tag's objects deleted otherwise, e.g. with its revision)
    warn(
      `Revision tag "default" has no objects left, but the default revision's injector is still switched off by it: ${meshOff.map(ref).join(', ')}`,
    );
    const done = await restoreDefaultInjector(rest);
    warn(done.map((r) => `- ${r}`).join('\n'));
    warn('✔ The default revision injects istio-injection=enabled and istio.io/rev=default namespaces again.');
    return ExitCode.OK;
  }
  const users = await namespacesUsing(rest, name);
  const enabled = isDefault ? (await injectionEnabled(rest)).filter((n) => !users.includes(n)) : [];
  const affected = [...users, ...enabled];
  if (affected.length > 0) {
    const served = meshOff.length > 0 || on.length > 0;
    const fate = !isDefault
      ? 'get no sidecar'
      : served
        ? `go to the default revision's injector (${[...meshOff, ...on].map(ref).join(', ')}${meshOff.length ? ', switched on again' : ''})`
        : otherOff.length
          ? `get no sidecar: ${offNote}`
          : 'get no sidecar (no default revision is installed)';
    warn(
      isDefault
        ? `Warning: ${affected.length} namespace(s) use tag "default" (${[
            users.length ? `istio.io/rev=default: ${shortList(users)}` : '',
            enabled.length ? `istio-injection=enabled: ${shortList(enabled)}` : '',
          ]
            .filter(Boolean)
            .join('; ')}). Once it is removed their new pods ${fate}.`
        : `Warning: ${users.length} namespace(s) still use tag "${name}" (istio.io/rev=${name}): ${shortList(users)}. Once it is removed their new pods ${fate}.`,
    );
    await confirm(opts, `Remove tag "${name}" anyway?`);
  }
  const deleted = await removeTag(rest, name, objects);
  warn(deleted.map((r) => `- ${r}`).join('\n'));
  if (offNote && (affected.length === 0 || meshOff.length > 0 || on.length > 0)) warn(`Note: ${offNote}`);
  warn(`✔ Revision tag "${name}" removed.`);
  return ExitCode.OK;
}
