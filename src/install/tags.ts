/**
 * Revision tags (`mesh tag`): the objects that make a tag send pods to a revision's injector, and the
 * listing istioctl prints. Pure: the cluster's objects come in, objects and text go out.
 *
 * A tag is a MutatingWebhookConfiguration labelled `istio.io/tag=<tag>` and `istio.io/rev=<revision>` whose
 * webhooks select namespaces and pods labelled `istio.io/rev=<tag>` and call the revision's injector (the
 * client config of the revision's own injector webhook). The `default` tag also takes
 * `istio-injection=enabled` namespaces and `sidecar.istio.io/inject=true` pods, and comes with the
 * cluster's default validator (`istiod-default-validator`). A Service `istiod-revision-tag-<tag>` records
 * the mapping for istiod's tag watcher, as istioctl makes it.
 */
import { stringifyForKube } from './kube-yaml.js';
import { injectionSelectors, LABEL, MANAGED_BY, type InjectionSelectors, type K8sObject } from './render.js';
import type { JsonMap } from './values.js';
import { escapeControl } from '../render/escape.js';
import { DNS_LABEL } from '../util/names.js';

export const TAG_LABEL = 'istio.io/tag';
export const DEFAULT_TAG = 'default';
export const DEFAULT_VALIDATOR = 'istiod-default-validator';
/** Lets `mesh install` leave a tag alone when it prunes what it no longer renders for the revision. */
export const NOT_PRUNED = 'install.operator.istio.io/owning-resource-not-pruned';
/** The label by which the default revision's own injector is switched off while a `default` tag exists. */
export const DEACTIVATED = { 'istio.io/deactivated': 'never-match' } as const;
const INJECTOR_SUFFIX = 'sidecar-injector.istio.io';

export interface Meta {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}
export type Webhook = Meta & { webhooks?: JsonMap[] };

/**
 * The tag's MutatingWebhookConfiguration, named as istioctl's chart names it: `istio-revision-tag-<tag>`
 * for a control plane in istio-system, `istio-revision-tag-<tag>-<namespace>` for one elsewhere.
 */
export const tagWebhookName = (tag: string, istioNamespace = 'istio-system') =>
  istioNamespace === 'istio-system'
    ? `istio-revision-tag-${tag}`
    : `istio-revision-tag-${tag}-${istioNamespace}`;
export const tagServiceName = (tag: string) => `istiod-revision-tag-${tag}`;

/** The longest tag whose Service name (`istiod-revision-tag-<tag>`) is still a DNS-1035 label. */
export const MAX_TAG_LENGTH = 63 - tagServiceName('').length;

/** Why `tag` cannot be a revision tag, or undefined when it can. */
export function invalidTag(tag: string): string | undefined {
  if (!DNS_LABEL.test(tag))
    return 'a tag is a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  if (tag.length > MAX_TAG_LENGTH)
    return `a tag is at most ${MAX_TAG_LENGTH} characters (its Service is named ${tagServiceName('<tag>')})`;
  return undefined;
}

const labelsOf = (o: Meta) => o.metadata?.labels ?? {};
export const tagOf = (o: Meta) => labelsOf(o)[TAG_LABEL];
export const revisionOf = (o: Meta) => labelsOf(o)[LABEL.revision];

/** A revision's own injector configurations: labelled with the revision, not with a tag. */
export const revisionInjectors = (webhooks: readonly Webhook[], revision: string) =>
  webhooks.filter((w) => revisionOf(w) === revision && tagOf(w) === undefined);

/**
 * The control plane namespace of a revision's injector configuration: the namespace of the Service its
 * injector webhook calls, else its owning-resource-namespace label (undefined when it has neither).
 */
export function controlPlaneNamespace(mwc: Webhook): string | undefined {
  const hook = (mwc.webhooks ?? []).find(
    (w) => typeof w.name === 'string' && w.name.endsWith(INJECTOR_SUFFIX),
  );
  const svc = ((hook?.clientConfig ?? {}) as JsonMap).service as JsonMap | undefined;
  if (svc && typeof svc.namespace === 'string' && svc.namespace !== '') return svc.namespace;
  return labelsOf(mwc)[LABEL.ownerNamespace] || undefined;
}

/** The injector endpoint of a revision: what its injector webhook calls. */
export interface InjectorEndpoint {
  /** Its configuration's name, for messages. */
  from: string;
  service?: { name: string; namespace: string; path?: string; port?: number };
  url?: string;
  caBundle?: string;
  reinvocationPolicy?: string;
  /** Labels and annotations that say who installed the revision (carried onto the tag). */
  owner?: string;
  version?: string;
  annotations?: Record<string, string>;
}

/**
 * The endpoint of a revision's injector configuration: the client config of its first
 * `*sidecar-injector.istio.io` webhook (as istioctl takes it), or undefined when it has none.
 */
export function injectorEndpoint(mwc: Webhook): InjectorEndpoint | undefined {
  const hook = (mwc.webhooks ?? []).find(
    (w) => typeof w.name === 'string' && w.name.endsWith(INJECTOR_SUFFIX),
  );
  if (!hook) return undefined;
  const cc = (hook.clientConfig ?? {}) as JsonMap;
  const svc = cc.service as JsonMap | undefined;
  const labels = labelsOf(mwc);
  return {
    from: mwc.metadata?.name ?? '',
    ...(svc
      ? {
          service: {
            name: String(svc.name),
            namespace: String(svc.namespace),
            ...(typeof svc.path === 'string' ? { path: svc.path } : {}),
            ...(typeof svc.port === 'number' ? { port: svc.port } : {}),
          },
        }
      : {}),
    ...(typeof cc.url === 'string' ? { url: cc.url } : {}),
    ...(typeof cc.caBundle === 'string' && cc.caBundle !== '' ? { caBundle: cc.caBundle } : {}),
    ...(typeof hook.reinvocationPolicy === 'string' ? { reinvocationPolicy: hook.reinvocationPolicy } : {}),
    ...(labels[LABEL.owner] ? { owner: labels[LABEL.owner] } : {}),
    ...(labels[LABEL.version] ? { version: labels[LABEL.version] } : {}),
    ...(mwc.metadata?.annotations && Object.keys(mwc.metadata.annotations).length
      ? { annotations: mwc.metadata.annotations }
      : {}),
  };
}

export interface TagInput {
  tag: string;
  revision: string;
  /** The control plane's namespace (`-i`): the tag Service's, and the one uninstall -f selects by. */
  istioNamespace: string;
  endpoint: InjectorEndpoint;
  /** `--webhook-name` */
  webhookName?: string;
  /** The live default validator's failure policy: `Fail` (istiod sets it once serving) is kept. */
  validatorFailurePolicy?: string;
}

/** Labels of every object mesh makes for a tag: uninstall -r <revision> selects them; install never prunes them. */
function tagLabels(t: TagInput, own: Record<string, string>): Record<string, string> {
  return {
    ...own,
    [LABEL.revision]: t.revision,
    [TAG_LABEL]: t.tag,
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.component]: 'Pilot',
    [LABEL.owner]: t.endpoint.owner ?? MANAGED_BY,
    [LABEL.ownerNamespace]: t.istioNamespace,
    ...(t.endpoint.version ? { [LABEL.version]: t.endpoint.version } : {}),
    [NOT_PRUNED]: 'true',
  };
}

function clientConfig(e: InjectorEndpoint, path?: string): JsonMap {
  const out: JsonMap = {};
  if (e.url !== undefined) {
    if (path === undefined) out.url = e.url;
    else {
      try {
        const u = new URL(e.url);
        u.pathname = path;
        out.url = u.toString();
      } catch {
        out.url = e.url;
      }
    }
  } else if (e.service) {
    out.service = {
      name: e.service.name,
      namespace: e.service.namespace,
      ...(path !== undefined
        ? { path }
        : {
            ...(e.service.path !== undefined ? { path: e.service.path } : {}),
            port: e.service.port ?? 443,
          }),
    };
  }
  if (e.caBundle) out.caBundle = e.caBundle;
  return out;
}

/** The tag's MutatingWebhookConfiguration: its webhooks select what the tag names, and call the revision's injector. */
export function tagWebhook(t: TagInput): K8sObject {
  const hook = ({ name, namespaceSelector, objectSelector }: InjectionSelectors): JsonMap => ({
    name,
    admissionReviewVersions: ['v1'],
    clientConfig: clientConfig(t.endpoint),
    failurePolicy: 'Fail',
    namespaceSelector,
    objectSelector,
    reinvocationPolicy: t.endpoint.reinvocationPolicy ?? 'Never',
    rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
    sideEffects: 'None',
  });
  // the revision's own injection webhooks, selecting the tag where they select the revision
  const webhooks = injectionSelectors(t.tag, t.tag === DEFAULT_TAG).map(hook);
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: t.webhookName || tagWebhookName(t.tag, t.istioNamespace),
      labels: tagLabels(t, { app: 'sidecar-injector' }),
      ...(t.endpoint.annotations ? { annotations: t.endpoint.annotations } : {}),
    },
    webhooks,
  };
}

/** The `default` tag's validator: config not labelled for a revision is validated by the tag's revision. */
export function defaultValidator(t: TagInput): K8sObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: DEFAULT_VALIDATOR, labels: tagLabels(t, { app: 'istiod', istio: 'istiod' }) },
    webhooks: [
      {
        name: 'validation.istio.io',
        admissionReviewVersions: ['v1'],
        clientConfig: clientConfig(t.endpoint, '/validate'),
        // istiod turns it to Fail once it serves; until then it fails open, as istioctl's
        failurePolicy: t.validatorFailurePolicy === 'Fail' ? 'Fail' : 'Ignore',
        objectSelector: { matchExpressions: [{ key: LABEL.revision, operator: 'DoesNotExist' }] },
        rules: [
          {
            apiGroups: [
              'security.istio.io',
              'networking.istio.io',
              'telemetry.istio.io',
              'extensions.istio.io',
            ],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['*'],
          },
        ],
        sideEffects: 'None',
      },
    ],
  };
}

/** The tag's Service: istiod's tag watcher learns from it which tags point at its revision. */
export function tagService(t: TagInput): K8sObject {
  const port = (name: string, n: number, targetPort?: number) => ({
    name,
    port: n,
    protocol: 'TCP',
    ...(targetPort ? { targetPort } : {}),
  });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: tagServiceName(t.tag),
      namespace: t.istioNamespace,
      labels: tagLabels(t, { app: 'istiod', istio: 'pilot' }),
    },
    spec: {
      ports: [
        port('grpc-xds', 15010),
        port('https-dns', 15012),
        port('https-webhook', 443, 15017),
        port('http-monitoring', 15014),
      ],
      selector:
        t.revision === 'default'
          ? { app: 'istiod', istio: 'pilot' }
          : { app: 'istiod', [LABEL.revision]: t.revision },
    },
  };
}

/** Every object of a tag, in the order istioctl generates them. */
export function tagObjects(t: TagInput): K8sObject[] {
  return [tagWebhook(t), ...(t.tag === DEFAULT_TAG ? [defaultValidator(t)] : []), tagService(t)];
}

/** `mesh tag generate`: the objects as YAML documents. */
export function tagYaml(objects: readonly K8sObject[]): string {
  // keys sorted and lists not indented, as istioctl (Go) writes them, so the two outputs compare line by line
  const opts = { lineWidth: 0, sortMapEntries: true, indentSeq: false, aliasDuplicateObjects: false };
  return objects.map((o) => stringifyForKube(o, opts)).join('---\n');
}

/** Where the deactivation keeps the selectors it replaced, for `tag remove default` to put back. */
export const SAVED_SELECTORS = 'mesh-cli.dev/selectors-before-default-tag';

/**
 * The server-side apply body that switches the default revision's own injector webhooks off while a
 * `default` tag takes their place (as istioctl does): each webhook's selectors become one no object
 * matches. The selectors it replaces are kept in an annotation, so that `tag remove default` restores them.
 * Applied under a field manager of its own: installing the default revision again is then a conflict
 * naming it (its `--force` switches the injector on again).
 */
export function deactivation(mwc: Webhook): K8sObject {
  const hooks = mwc.webhooks ?? [];
  const saved = hooks.map((w) => ({
    name: w.name,
    namespaceSelector: w.namespaceSelector ?? {},
    objectSelector: w.objectSelector ?? {},
  }));
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: mwc.metadata?.name ?? '', annotations: { [SAVED_SELECTORS]: JSON.stringify(saved) } },
    webhooks: hooks.map((w) => ({
      name: w.name,
      namespaceSelector: { matchLabels: { ...DEACTIVATED } },
      objectSelector: { matchLabels: { ...DEACTIVATED } },
    })),
  };
}

/**
 * The apply body (same field manager) that puts back the selectors deactivation saved, dropping its
 * annotation; undefined when the configuration holds none (not switched off by mesh).
 */
export function reactivation(mwc: Webhook): K8sObject | undefined {
  const text = mwc.metadata?.annotations?.[SAVED_SELECTORS];
  if (text === undefined) return undefined;
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(saved)) return undefined;
  const names = new Set((mwc.webhooks ?? []).map((w) => w.name));
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: mwc.metadata?.name ?? '' },
    webhooks: (saved as JsonMap[]).filter((w) => names.has(w.name)),
  };
}

const off = (sel: unknown) =>
  (sel as { matchLabels?: Record<string, string> } | undefined)?.matchLabels?.['istio.io/deactivated'] ===
  DEACTIVATED['istio.io/deactivated'];

/** Whether one webhook is switched off (a selector no object matches, as mesh's and istioctl's deactivation). */
export const isWebhookDeactivated = (w: JsonMap): boolean =>
  off(w.namespaceSelector) || off(w.objectSelector);

/** Whether a webhook configuration's webhooks are all switched off (see deactivation). */
export function isDeactivated(mwc: Webhook): boolean {
  const hooks = mwc.webhooks ?? [];
  return hooks.length > 0 && hooks.every(isWebhookDeactivated);
}

/** Whether mesh switched it off (it keeps the selectors to put back): `tag remove default` can switch it on. */
export const deactivatedByMesh = (mwc: Webhook): boolean =>
  mwc.metadata?.annotations?.[SAVED_SELECTORS] !== undefined;

/**
 * What installing the default revision does while a `default` tag exists (`tag`, its configuration):
 * with the default revision's injector switched off by mesh (`injector`), install conflicts on its
 * selectors (field manager mesh-tag) and `--force` switches it on next to the tag; without one, install
 * creates it switched on next to the tag. Either way both would inject the same pods.
 */
export function defaultTagInstallNotice(tag: Webhook, injector?: Webhook): { message: string; hint: string } {
  const head = `revision tag "default" exists (MutatingWebhookConfiguration/${tag.metadata?.name} → revision ${revisionOf(tag) ?? '?'})`;
  const ref = injector ? `MutatingWebhookConfiguration/${injector.metadata?.name}` : undefined;
  const message = !injector
    ? `${head}: install of the default revision creates its injector switched on next to the tag`
    : !isDeactivated(injector)
      ? `${head} next to the default revision's injector ${ref}, switched on`
      : deactivatedByMesh(injector)
        ? `${head} and switched the default revision's injector ${ref} off: install of the default revision conflicts on its selectors (field manager mesh-tag); --force switches it on next to the tag`
        : `${head} and the default revision's injector ${ref} is switched off (not by mesh): install of the default revision may switch it on next to the tag`;
  return {
    message,
    hint: 'both would inject the same pods (istio-injection=enabled and istio.io/rev=default namespaces): remove the tag first (mesh tag remove default), or after installing point it at the default revision (mesh tag set default -r default --overwrite)',
  };
}

export interface TagRow {
  tag: string;
  revision: string;
  namespaces: string[];
}

/**
 * `tag list`, as istioctl computes it: every (tag, revision) pair of the MutatingWebhookConfigurations and
 * (in the control plane's namespace) Services labelled `istio.io/rev` (an untagged one is a revision: tag
 * ""), without the untagged row of a revision that has a tag; each with the namespaces labelled
 * `istio.io/rev=<tag>` (in list order); sorted by revision, then tag.
 */
export function tagRows(
  webhooks: readonly Meta[],
  services: readonly Meta[],
  namespaces: readonly Meta[],
): TagRow[] {
  const pairs = new Map<string, { tag: string; revision: string }>();
  for (const o of [...webhooks, ...services]) {
    const revision = revisionOf(o);
    if (revision === undefined) continue;
    const tag = tagOf(o) ?? '';
    pairs.set(JSON.stringify([tag, revision]), { tag, revision });
  }
  const tagged = new Set([...pairs.values()].filter((p) => p.tag !== '').map((p) => p.revision));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...pairs.values()]
    .filter((p) => p.tag !== '' || !tagged.has(p.revision))
    .map((p) => ({
      ...p,
      namespaces: namespaces
        .filter((n) => labelsOf(n)[LABEL.revision] === p.tag)
        .map((n) => n.metadata?.name ?? ''),
    }))
    .sort((a, b) => cmp(a.revision, b.revision) || cmp(a.tag, b.tag));
}

/**
 * istioctl's table: Go's tabwriter with padding 1 (every column but the last as wide as its widest cell
 * plus one space, the last as it is).
 */
export function formatTagTable(rows: readonly TagRow[]): string {
  if (rows.length === 0) return 'No Istio revision tags found.\n';
  const lines = [
    ['TAG', 'REVISION', 'NAMESPACES'],
    ...rows.map((r) => [r.tag, r.revision, r.namespaces.join(',')].map(escapeControl)),
  ];
  const width = [0, 1].map((i) => Math.max(...lines.map((l) => [...l[i]!].length)) + 1);
  return lines.map((l) => `${l[0]!.padEnd(width[0]!)}${l[1]!.padEnd(width[1]!)}${l[2]}\n`).join('');
}

/** `-o json` as istioctl prints it (tab-indented), and `-o yaml` (keys sorted, lists not indented). */
export function formatTagData(rows: readonly TagRow[], format: 'json' | 'yaml'): string {
  const data = rows.map((r) => ({ tag: r.tag, revision: r.revision, namespaces: r.namespaces }));
  if (format === 'json') return JSON.stringify(data, null, '\t') + '\n';
  if (data.length === 0) return '[]\n\n';
  const sorted = data.map((r) => ({ namespaces: r.namespaces, revision: r.revision, tag: r.tag }));
  return stringifyForKube(sorted, { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false }) + '\n';
}
