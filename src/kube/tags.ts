/**
 * The cluster side of `mesh tag`: reading the injector webhooks, tag Services and namespaces, and writing
 * (server-side apply, field manager `mesh`, so that uninstall of the revision removes them) or deleting a
 * tag's objects.
 */
import { MeshError } from '../util/errors.js';
import { objectRef } from '../install/manifest.js';
import { LABEL, type K8sObject } from '../install/render.js';
import {
  DEFAULT_TAG,
  DEFAULT_VALIDATOR,
  deactivation,
  injectorEndpoint,
  isDeactivated,
  reactivation,
  revisionInjectors,
  revisionOf,
  TAG_LABEL,
  tagObjects,
  type Meta,
  type TagInput,
  type Webhook,
} from '../install/tags.js';
import { applyObject } from './installer.js';
import { apiError, type KubeRest } from './rest.js';
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

/** Names of the namespaces labelled `istio.io/rev=<tag>` (list order). */
export async function namespacesUsing(rest: KubeRest, tag: string): Promise<string[]> {
  const items = await list(rest, `/api/v1/namespaces?${q(`${LABEL.revision}=${tag}`)}`, 'namespaces');
  return items.map((n) => n.metadata?.name ?? '');
}

/** Namespaces whose new pods the `default` tag takes (`istio-injection=enabled`). */
async function injectionEnabled(rest: KubeRest): Promise<string[]> {
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

export interface TagPlan {
  objects: K8sObject[];
  /** The tag's current revision(s), when it exists. */
  current: string[];
  /** Namespaces whose new pods change injector when the plan is applied (with the label that selects them). */
  moving: string[];
  /** The default revision's own injector, switched off by a `default` tag (undefined when none or already off). */
  deactivate?: Webhook;
}

/**
 * Everything `tag set` and `tag generate` check and render: the revision is installed (one injector
 * configuration of its own), the tag is not a revision's name, and (for set, without overwrite) the tag
 * does not point at another revision already.
 */
export async function planTag(
  rest: KubeRest,
  opts: {
    tag: string;
    revision: string;
    istioNamespace: string;
    webhookName?: string;
    overwrite: boolean;
    generate: boolean;
  },
): Promise<TagPlan> {
  const { tag, revision, istioNamespace } = opts;
  const [injectors, tagHooks, tagServices, validators] = await Promise.all([
    mutating(rest, LABEL.revision),
    mutating(rest, `${TAG_LABEL}=${tag}`),
    services(rest, istioNamespace, `${TAG_LABEL}=${tag}`),
    tag === DEFAULT_TAG ? validating(rest, '') : Promise.resolve([] as Webhook[]),
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
  if (own.length > 1)
    throw new MeshError(
      `revision "${revision}" has ${own.length} injector configurations (${own.map((w) => `MutatingWebhookConfiguration/${w.metadata?.name}`).join(', ')}): mesh cannot tell which one the tag should call`,
    );
  const endpoint = injectorEndpoint(own[0]!);
  if (!endpoint || (!endpoint.service && endpoint.url === undefined))
    throw new MeshError(
      `MutatingWebhookConfiguration/${own[0]!.metadata?.name} has no *sidecar-injector.istio.io webhook with a client config: it is not revision ${revision}'s injector`,
    );
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
    ...(opts.webhookName ? { webhookName: opts.webhookName } : {}),
    ...(existingValidator
      ? {
          validatorFailurePolicy: (existingValidator.webhooks ?? []).some((w) => w.failurePolicy === 'Fail')
            ? 'Fail'
            : undefined,
        }
      : {}),
  };
  const plan: TagPlan = { objects: tagObjects(input), current, moving: [] };
  if (opts.generate) return plan;
  // Whose new pods get another injector: namespaces on the tag when it moves; for `default`, also the
  // namespaces the default revision's own injector served until now.
  const moving = elsewhere.length > 0 ? await namespacesUsing(rest, tag) : [];
  if (tag === DEFAULT_TAG) {
    const defaults = revisionInjectors(injectors, 'default');
    const active = defaults.find((w) => !isDeactivated(w));
    if (active) plan.deactivate = active;
    if ((active && revision !== 'default') || elsewhere.length > 0)
      for (const ns of await injectionEnabled(rest)) if (!moving.includes(ns)) moving.push(ns);
    if (active && revision !== 'default')
      for (const ns of await namespacesUsing(rest, 'default')) if (!moving.includes(ns)) moving.push(ns);
  }
  plan.moving = moving;
  return plan;
}

const refOf = (o: Meta & { kind?: string }) =>
  `${o.kind ?? (o.metadata?.namespace ? 'Service' : 'MutatingWebhookConfiguration')}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** Applies a tag's objects (taking over the fields of an earlier istioctl or mesh tag), then switches the default revision's injector off. */
export async function applyTag(rest: KubeRest, plan: TagPlan): Promise<string[]> {
  const applied: string[] = [];
  for (const o of plan.objects) {
    await applyObject(rest, o, { force: true }).catch((err: unknown) => {
      throw new MeshError(`${objectRef(o)}: ${err instanceof Error ? err.message : String(err)}`, {
        hint: applied.length ? `already applied: ${applied.join(', ')}` : 'nothing was changed',
      });
    });
    applied.push(objectRef(o));
  }
  if (plan.deactivate) {
    const body = deactivation(plan.deactivate);
    await rest
      .call(
        'PATCH',
        `${objectPath(body)}?fieldManager=${DEACTIVATION_MANAGER}&force=true`,
        body,
        'application/apply-patch+yaml',
      )
      .catch((err: unknown) => {
        throw new MeshError(
          `${objectRef(body)}: cannot switch the default revision's injector off: ${err instanceof Error ? err.message : String(err)}`,
          { hint: `already applied: ${applied.join(', ')}` },
        );
      });
    applied.push(`${objectRef(body)} (default revision's injector switched off)`);
  }
  return applied;
}

export interface TagObjects {
  webhooks: Webhook[];
  validators: Webhook[];
  services: Meta[];
}

/** The objects of a tag, whoever made them (istioctl's or mesh's). */
export async function findTag(rest: KubeRest, tag: string, istioNamespace: string): Promise<TagObjects> {
  const sel = `${TAG_LABEL}=${tag}`;
  const [webhooks, validators, svcs] = await Promise.all([
    mutating(rest, sel),
    validating(rest, sel),
    services(rest, istioNamespace, sel),
  ]);
  return { webhooks, validators, services: svcs };
}

const withKind = (o: Meta, apiVersion: string, kind: string) =>
  ({ ...o, apiVersion, kind }) as unknown as K8sObject;

export function tagObjectsFound(t: TagObjects): K8sObject[] {
  return [
    ...t.webhooks.map((o) => withKind(o, 'admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration')),
    ...t.validators.map((o) =>
      withKind(o, 'admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'),
    ),
    ...t.services.map((o) => withKind(o, 'v1', 'Service')),
  ];
}

/**
 * Deletes a tag's objects (each with its UID as a precondition: one replaced meanwhile is left alone);
 * for `default`, takes away the requirement that switched the default revision's injector off.
 */
export async function deleteTag(
  rest: KubeRest,
  tag: string,
  objects: readonly K8sObject[],
): Promise<string[]> {
  const deleted: string[] = [];
  for (const o of objects) {
    const uid = (o.metadata as { uid?: string }).uid;
    const res = await rest.request(
      'DELETE',
      objectPath(o),
      uid ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } } : undefined,
    );
    if (res.status === 404 || res.status === 409) continue;
    if (res.status < 200 || res.status >= 300)
      throw new MeshError(`${objectRef(o)}: ${apiError(res, 'DELETE').message}`, {
        hint: deleted.length ? `already deleted: ${deleted.join(', ')}` : 'nothing was changed',
      });
    deleted.push(objectRef(o));
  }
  if (tag === DEFAULT_TAG) {
    for (const w of revisionInjectors(await mutating(rest, `${LABEL.revision}=default`), 'default')) {
      const body = reactivation(w);
      if (!body) continue;
      await rest.call(
        'PATCH',
        `${objectPath(body)}?fieldManager=${DEACTIVATION_MANAGER}&force=true`,
        body,
        'application/apply-patch+yaml',
      );
      deleted.push(`${objectRef(body)} (default revision's injector switched on again)`);
    }
  }
  return deleted;
}
