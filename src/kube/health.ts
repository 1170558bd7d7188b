import { objectRef, sortObjects } from '../install/manifest.js';
import { LABEL, MANAGED_BY, type K8sObject, type RenderedComponent } from '../install/render.js';
import {
  appliedByMesh,
  carriesMeshLabel,
  computePlan,
  deletionState,
  listOwned,
  notAppliedLines,
  notReadyReason,
  ObjectDeletedError,
  type Owner,
  type Plan,
  type PlanEntry,
  planRefusals,
  type Progress,
} from './installer.js';
import { isInjectorWebhook, selectorText } from './health-selectors.js';
import { selectorMatches } from './labels.js';
import {
  deactivatedByMesh,
  defaultTagInstallNotice,
  isDeactivated,
  isWebhookDeactivated,
  TAG_LABEL,
} from '../install/tags.js';
import { pemCertificateInfos, type CertInfo } from '../envoy/certs.js';
import { escapeControl } from '../render/escape.js';
import { parseDocument } from 'yaml';
import { humanDuration } from '../util/age.js';
import { mapBounded } from '../util/bounded.js';
import { pause } from '../util/interrupt.js';
import {
  ApiError,
  apiError,
  apiErrorNaming,
  type KubeRest,
  type RestResponse,
  WaitDeadlineError,
} from './rest.js';
import { collectionPath, objectPath, RESOURCE_TYPES, resourceType, type ResourceType } from './resources.js';
import { LOCK_NAME, LOCK_NAMESPACE } from './install-lock.js';
import { requestUser } from './impersonation.js';

/** `mesh precheck` and `mesh check`: grouped results, each ok / warning / failure with a hint. */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  group: string;
  status: CheckStatus;
  message: string;
  hint?: string;
}

/** The oldest Kubernetes minor version the installed control plane supports (install.md §1.1). */
export const MIN_KUBE_MINOR = 32;

export const ok = (group: string, message: string): CheckResult => ({ group, status: 'ok', message });
export const warnR = (group: string, message: string, hint?: string): CheckResult => ({
  group,
  status: 'warn',
  message,
  ...(hint ? { hint } : {}),
});
export const fail = (group: string, message: string, hint?: string): CheckResult => ({
  group,
  status: 'fail',
  message,
  ...(hint ? { hint } : {}),
});

async function serverVersion(rest: KubeRest): Promise<CheckResult> {
  const v = await rest.call('GET', '/version');
  // "1" and "33"; some providers add a "+" ("33+")
  const part = (x: unknown) =>
    typeof x === 'string' || typeof x === 'number' ? /^\d+/.exec(String(x))?.[0] : undefined;
  const major = part(v.major);
  const minor = part(v.minor);
  if (major === undefined || minor === undefined)
    return fail(
      'Kubernetes',
      `cannot check: the API server's /version answer has no major/minor version${
        v.major === undefined && v.minor === undefined
          ? ''
          : ` (major ${JSON.stringify(v.major)}, minor ${JSON.stringify(v.minor)})`
      }`,
      `mesh cannot tell whether the cluster runs Kubernetes 1.${MIN_KUBE_MINOR} or newer: check its version with kubectl version`,
    );
  const text = `Kubernetes ${typeof v.gitVersion === 'string' && v.gitVersion ? v.gitVersion : `${major}.${minor}`}`;
  return Number(major) > 1 || (Number(major) === 1 && Number(minor) >= MIN_KUBE_MINOR)
    ? ok('Kubernetes', `${text} is supported (1.${MIN_KUBE_MINOR} or newer)`)
    : fail(
        'Kubernetes',
        `${text} is older than 1.${MIN_KUBE_MINOR}`,
        'upgrade the cluster before installing',
      );
}

type Access = { verb: string; group: string; resource: string; namespace?: string };

const INSTALL_VERBS = ['get', 'list', 'create', 'patch', 'delete'];

/** The (verb, resource) pairs install needs, cluster-wide and in the install namespace. */
export function requiredAccess(namespace: string): Access[] {
  const out: Access[] = [];
  for (const t of RESOURCE_TYPES) {
    const group = t.apiVersion.includes('/') ? t.apiVersion.split('/')[0]! : '';
    if (t.kind === 'Secret' || t.kind === 'DaemonSet') continue;
    for (const verb of INSTALL_VERBS)
      out.push({ verb, group, resource: t.plural, ...(t.namespaced ? { namespace } : {}) });
  }
  return out;
}

/** Whether the context's user may do `a` (a SelfSubjectAccessReview). */
async function canI(rest: KubeRest, a: Access): Promise<boolean> {
  const review = await rest.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb: a.verb,
        group: a.group,
        resource: a.resource,
        ...(a.namespace ? { namespace: a.namespace } : {}),
      },
    },
  });
  return review.status?.allowed === true;
}

/**
 * What the install lock needs (install-lock.ts). Without it install still runs, unlocked: a warning, as
 * install's own, not a failure.
 */
async function lockPermissions(rest: KubeRest): Promise<CheckResult[]> {
  const verbs = ['get', 'create', 'update', 'delete'];
  const what = `leases.coordination.k8s.io in ${LOCK_NAMESPACE}`;
  const allowed = await mapBounded(verbs, 4, (verb) =>
    canI(rest, { verb, group: 'coordination.k8s.io', resource: 'leases', namespace: LOCK_NAMESPACE }),
  );
  const denied = verbs.filter((_, i) => !allowed[i]);
  return denied.length === 0
    ? [ok('Permissions', `can ${verbs.join('/')} ${what} (the install lock)`)]
    : [
        warnR(
          'Permissions',
          `cannot ${denied.join('/')} ${what}: install would run without its lock (Lease ${LOCK_NAMESPACE}/${LOCK_NAME})`,
          'another mesh install, upgrade or uninstall at the same time would not be noticed',
        ),
      ];
}

async function permissions(rest: KubeRest, namespace: string): Promise<CheckResult[]> {
  const access = requiredAccess(namespace);
  const answers = await mapBounded(access, 8, (a) => canI(rest, a));
  const denied = access.filter((_, i) => !answers[i]);
  if (denied.length === 0)
    return [ok('Permissions', `can ${INSTALL_VERBS.join('/')} every kind install writes`)];
  const byResource = new Map<string, string[]>();
  for (const d of denied) {
    const key = `${d.resource}${d.group ? `.${d.group}` : ''}${d.namespace ? ` in ${d.namespace}` : ''}`;
    byResource.set(key, [...(byResource.get(key) ?? []), d.verb]);
  }
  return [...byResource].map(([res, verbs]) =>
    fail(
      'Permissions',
      `cannot ${verbs.join('/')} ${res}`,
      `ask a cluster admin for these RBAC permissions (${requestUser(rest.kube.contextName)} lacks them)`,
    ),
  );
}

/** The install namespace: there, to be created, or being deleted (install cannot apply into it then). */
async function installNamespace(rest: KubeRest, namespace: string): Promise<CheckResult[]> {
  const res = await rest.request('GET', objectPath({ kind: 'Namespace', metadata: { name: namespace } }));
  if (res.status === 404)
    return [ok('Install namespace', `${namespace} does not exist yet: install creates it`)];
  if (res.status < 200 || res.status >= 300) throw apiError(res, `GET namespace ${namespace}`);
  const why = deletionState(res.body);
  return [
    why
      ? fail(
          'Install namespace',
          `${namespace} is being deleted (${why}): install cannot apply into it`,
          'wait until it is gone (or remove what holds it), then install',
        )
      : ok('Install namespace', `${namespace} exists`),
  ];
}

async function existingControlPlanes(
  rest: KubeRest,
  namespace: string,
  revision: string,
): Promise<CheckResult[]> {
  const res = await rest.call(
    'GET',
    `/apis/apps/v1/deployments?labelSelector=${encodeURIComponent('app=istiod')}`,
  );
  const items = (res.items ?? []) as any[];
  if (items.length === 0) return [ok('Control planes', 'no control plane installed yet')];
  return items.map((d) => {
    const labels = d.metadata.labels ?? {};
    const rev = labels[LABEL.revision] ?? 'default';
    const what = `${d.metadata.namespace}/${d.metadata.name} (revision ${rev}, version ${labels[LABEL.version] ?? 'unknown'})`;
    if (!carriesMeshLabel(d))
      return warnR(
        'Control planes',
        `${what} was installed by another tool`,
        "mesh takes over only objects it created, and another --revision still shares the CRDs and base objects that tool made (see Install plan): remove it first (istioctl's: istioctl uninstall --purge -y)",
      );
    const deleting = deletionState(d);
    if (rev === (revision || 'default') && d.metadata.namespace === namespace)
      return deleting
        ? fail(
            'Control planes',
            `${what} is being deleted (${deleting}): install cannot apply to it until it is gone`,
            'wait until it is gone (or remove its finalizers), then install',
          )
        : ok('Control planes', `${what}: install updates it in place`);
    if (deleting) return ok('Control planes', `${what} is being deleted`);
    return ok('Control planes', `${what} keeps running next to the new revision`);
  });
}

async function injectorConflicts(
  rest: KubeRest,
  components: readonly RenderedComponent[],
): Promise<CheckResult[]> {
  const ours = components.flatMap((c) => c.objects).filter((o) => o.kind === 'MutatingWebhookConfiguration');
  if (ours.length === 0) return [];
  const res = await rest.call('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations');
  const items = (res.items ?? []) as any[];
  const out: CheckResult[] = [];
  for (const live of items) {
    if (ours.some((o) => o.metadata.name === live.metadata.name)) continue;
    for (const mine of ours) {
      const clash = clashingWebhooks(live, mine);
      if (clash.length === 0) continue;
      // the `default` tag takes the default revision's pods in place of its injector (which it switches
      // off): no overlap yet, but install of the default revision runs into it
      const mineRev = (mine.metadata as any).labels?.[LABEL.revision] ?? 'default';
      if (live.metadata?.labels?.[TAG_LABEL] === 'default' && mineRev === 'default') {
        const n = defaultTagInstallNotice(
          live,
          items.find((i) => i.metadata?.name === mine.metadata.name),
        );
        out.push(warnR('Injection webhooks', n.message, n.hint));
        continue;
      }
      out.push(
        fail(
          'Injection webhooks',
          `MutatingWebhookConfiguration ${live.metadata.name} already injects the same pods (${clash.map((w) => w.name).join(', ')})`,
          'pods would get two sidecars: remove it, or install with a different --revision',
        ),
      );
    }
  }
  return out.length > 0 ? out : [ok('Injection webhooks', 'no other injector selects the same pods')];
}

function sameRevision(a: any, b: any): boolean {
  const revs = (w: any) =>
    JSON.stringify(
      [...(w?.namespaceSelector?.matchExpressions ?? []), ...(w?.objectSelector?.matchExpressions ?? [])]
        .filter((e: any) => e.key === LABEL.revision && e.operator === 'In')
        .map((e: any) => e.values),
    );
  return revs(a) === revs(b);
}

type CrdList = () => Promise<any[]>;

const names = (versions: readonly any[] | undefined, served = false) =>
  (versions ?? []).filter((v) => !served || v.served).map((v) => String(v.name));

/**
 * Istio CRDs already in the cluster, compared with the ones mesh renders: objects stored at a version
 * mesh's CRD drops (× — the API server refuses to remove a version listed in status.storedVersions),
 * versions served there that mesh's CRD drops or does not serve yet, other owners, and CRDs of Istio
 * groups mesh does not install (leftovers of other Istio versions).
 */
async function crdVersions(
  crdList: CrdList,
  components: readonly RenderedComponent[],
): Promise<CheckResult[]> {
  const ours = components.flatMap((c) => c.objects).filter((o) => o.kind === 'CustomResourceDefinition');
  const live = new Map((await crdList()).map((c) => [String(c.metadata.name), c]));
  const out: CheckResult[] = [];
  let present = 0;
  for (const crd of ours) {
    const l = live.get(String(crd.metadata.name));
    if (!l) continue;
    present++;
    const deleting = deletionState(l);
    if (deleting)
      out.push(
        fail(
          'CRDs',
          `${crd.metadata.name} is being deleted (${deleting}): install cannot apply it until it is gone`,
          'its custom resources are being removed with it; wait until it is gone, then install',
        ),
      );
    const mine = names((crd.spec as any).versions);
    const there = `served ${names(l.spec?.versions, true).join(', ') || 'at no version'}`;
    const stranded = ((l.status?.storedVersions ?? []) as string[]).filter((v) => !mine.includes(v));
    const missing = mine.filter((v) => !names(l.spec?.versions, true).includes(v));
    const dropped = names(l.spec?.versions).filter((v) => !mine.includes(v) && !stranded.includes(v));
    if (stranded.length > 0)
      out.push(
        fail(
          'CRDs',
          `${crd.metadata.name} has objects stored at ${stranded.join(', ')}, which mesh's CRD (${mine.join(', ')}) does not list: the API server refuses to drop a stored version`,
          `rewrite those objects at a version mesh lists (e.g. kubectl get ${l.spec?.names?.plural ?? crd.metadata.name} -A -o yaml | kubectl replace -f -), then remove ${stranded.join(', ')} from the CRD's status.storedVersions`,
        ),
      );
    if (dropped.length > 0)
      out.push(
        warnR(
          'CRDs',
          `${crd.metadata.name} (${there}) also has ${dropped.join(', ')}, which mesh's CRD drops`,
          `after install, clients and manifests using ${dropped.join(', ')} get "not found": move them to ${mine.join(', ')}`,
        ),
      );
    if (missing.length > 0)
      out.push(
        warnR(
          'CRDs',
          `${crd.metadata.name} (${there}) does not serve ${missing.join(', ')} yet`,
          'install replaces it with the version mesh renders',
        ),
      );
    if (l.metadata?.labels?.[LABEL.managedBy] !== MANAGED_BY)
      out.push(
        warnR(
          'CRDs',
          `${crd.metadata.name} was installed by another tool`,
          'mesh takes over only objects it created: install refuses it without --force (see Install plan)',
        ),
      );
  }
  const rendered = new Set(ours.map((c) => String(c.metadata.name)));
  for (const [name, l] of live) {
    const group = String(l.spec?.group ?? '');
    if (rendered.has(name) || !(group === 'istio.io' || group.endsWith('.istio.io'))) continue;
    out.push(
      warnR(
        'CRDs',
        `${name} (served ${names(l.spec?.versions, true).join(', ') || 'at no version'}) is not a CRD mesh installs`,
        `a leftover of another Istio version? mesh leaves it alone; remove it when nothing uses it (kubectl get ${l.spec?.names?.plural ?? name} -A)`,
      ),
    );
  }
  const rank = { fail: 0, warn: 1, ok: 2 };
  if (out.length > 0)
    return out.sort((a, b) => rank[a.status] - rank[b.status] || a.message.localeCompare(b.message));
  return [
    ok(
      'CRDs',
      present > 0
        ? `${present} of mesh's ${ours.length} CRDs already present, at mesh's versions`
        : 'no Istio CRDs yet',
    ),
  ];
}

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
const BUNDLE_VERSION = `${GATEWAY_API_GROUP}/bundle-version`;
const CHANNEL = `${GATEWAY_API_GROUP}/channel`;

/** The Gateway API kinds istiod reads and the versions it reads them at (install.md §1.9). */
export const GATEWAY_API_NEEDS: ReadonlyArray<{ kind: string; plural: string; versions: string[] }> = [
  { kind: 'GatewayClass', plural: 'gatewayclasses', versions: ['v1', 'v1beta1'] },
  { kind: 'Gateway', plural: 'gateways', versions: ['v1', 'v1beta1'] },
  { kind: 'HTTPRoute', plural: 'httproutes', versions: ['v1', 'v1beta1'] },
  { kind: 'GRPCRoute', plural: 'grpcroutes', versions: ['v1'] },
  { kind: 'ReferenceGrant', plural: 'referencegrants', versions: ['v1beta1'] },
];

/**
 * Gateway API CRDs: Istio does not install them, and its Gateway API support needs them. Informational
 * (‼ at most): nothing about them stops an install.
 */
async function gatewayApi(crdList: CrdList): Promise<CheckResult[]> {
  const crds = (await crdList()).filter((c) => c.spec?.group === GATEWAY_API_GROUP);
  const G = 'Gateway API';
  const needs = `istiod reads ${GATEWAY_API_NEEDS.map((n) => `${n.kind} at ${n.versions.join('/')}`).join(', ')}`;
  if (crds.length === 0)
    return [
      warnR(
        G,
        `Gateway API CRDs (${GATEWAY_API_GROUP}) are not installed`,
        `Istio does not install them; to use Gateway and HTTPRoute with this mesh, apply a Gateway API release's standard CRDs first (${needs})`,
      ),
    ];
  const bundles = [
    ...new Set(crds.map((c) => c.metadata?.annotations?.[BUNDLE_VERSION] ?? 'unknown')),
  ].sort();
  const channels = [...new Set(crds.map((c) => c.metadata?.annotations?.[CHANNEL] ?? 'unknown'))].sort();
  const release = `${bundles.join(', ')} (${channels.join(', ')} channel)`;
  const out: CheckResult[] = [];
  if (bundles.length > 1)
    out.push(
      warnR(
        G,
        `CRDs of different Gateway API releases: ${bundles.join(', ')}`,
        "apply one release's CRDs (all of them) so the kinds agree",
      ),
    );
  const served: string[] = [];
  for (const n of GATEWAY_API_NEEDS) {
    const crd = crds.find((c) => c.spec?.names?.plural === n.plural);
    if (!crd) {
      out.push(
        warnR(
          G,
          `${n.kind} (${n.plural}.${GATEWAY_API_GROUP}) is not installed`,
          `apply it from the same release; ${needs}`,
        ),
      );
      continue;
    }
    const versions = names(crd.spec?.versions, true);
    served.push(`${n.kind} ${versions.join('/')}`);
    const missing = n.versions.filter((v) => !versions.includes(v));
    if (missing.length > 0)
      out.push(
        warnR(
          G,
          `${n.kind} is served at ${versions.join(', ') || 'no version'}, not ${missing.join(', ')}`,
          `istiod ignores the kinds it cannot read at ${n.versions.join(' and ')}: apply a Gateway API release that serves them`,
        ),
      );
  }
  return out.length > 0
    ? [ok(G, `Gateway API ${release} installed`), ...out]
    : [ok(G, `Gateway API ${release}: ${served.join(', ')}`)];
}

/**
 * `plan`: the install the inputs describe (its owner, and `--force`): precheck computes the plan install
 * would (see installPlan).
 */
export async function precheck(
  rest: KubeRest,
  components: readonly RenderedComponent[],
  namespace: string,
  revision: string,
  plan?: { owner: Owner; force?: boolean },
): Promise<CheckResult[]> {
  let crds: Promise<any[]> | undefined;
  const crdList: CrdList = () =>
    (crds ??= rest
      .call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')
      .then((l) => (l.items ?? []) as any[]));
  return [
    ...(await guarded('Kubernetes', async () => [await serverVersion(rest)])),
    ...(await guarded('Install namespace', () => installNamespace(rest, namespace))),
    // two checks in one group: each line names its own
    ...(await guarded('Permissions', () => permissions(rest, namespace), 'what install needs')),
    ...(await guarded('Permissions', () => lockPermissions(rest), 'the install lock')),
    ...(await guarded('Control planes', () => existingControlPlanes(rest, namespace, revision))),
    ...(await guarded('Injection webhooks', () => injectorConflicts(rest, components))),
    ...(await guarded('CRDs', () => crdVersions(crdList, components))),
    ...(await guarded('Gateway API', () => gatewayApi(crdList))),
    ...(plan
      ? await guarded('Install plan', () => installPlan(rest, components, plan.owner, plan.force))
      : []),
  ];
}

const PLAN = 'Install plan';

/** How to remove an install mesh did not make (istioctl's, the usual one), for hints. */
const REMOVE_OTHER =
  "remove the other tool's install first (istioctl's: istioctl uninstall --purge -y), then install";

/**
 * What install of these inputs would refuse, from the plan install computes (computePlan: its server-side
 * dry runs) and the entries it refuses (planRefusals): a namespace it does not create, objects another
 * tool created, fields other managers own; or the error the plan ends with. Without --force the plan of
 * install --force is computed too when that is what install's refusal suggests, so that the hint says
 * whether it works.
 */
async function installPlan(
  rest: KubeRest,
  components: readonly RenderedComponent[],
  owner: Owner,
  force: boolean | undefined,
): Promise<CheckResult[]> {
  const install = force ? 'install --force' : 'install';
  const plan = await planOrFailure(rest, components, owner, force);
  if (!('entries' in plan)) return [fail(PLAN, `${install} would fail: ${plan.message}`, plan.hint)];
  const refused = planRefusals(plan, force);
  const count = (a: string) => plan.entries.filter((e) => e.action === a).length;
  if (refused.length === 0)
    return [
      ok(
        PLAN,
        `${install} would apply its plan: ${count('create')} to create, ${count('change')} to change, ${count('prune')} to prune, ${count('unchanged')} unchanged${count('adopt') ? `, ${count('adopt')} to take over` : ''}`,
      ),
    ];
  const out = refused
    .filter((e) => e.action === 'missing')
    .map((e) => fail(PLAN, `${install} would refuse: ${e.ref} ${e.message}`, e.hint));
  const takeOver = refused.filter((e) => e.action === 'adopt' || (e.action === 'conflict' && e.takeOver));
  const fields = refused.filter((e) => e.action === 'conflict' && !e.takeOver);
  if (takeOver.length + fields.length === 0) return out;
  // does --force get past them? (install's refusal suggests it)
  const forced = force ? undefined : await planOrFailure(rest, components, owner, true);
  const forceFails = forced && !('entries' in forced) ? forced.message : undefined;
  const first = (es: readonly PlanEntry[]) =>
    `${es
      .slice(0, 3)
      .map((e) => e.ref)
      .join(', ')}${es.length > 3 ? ` and ${es.length - 3} more` : ''}`;
  if (takeOver.length > 0) {
    const writers = [...new Set(takeOver.flatMap((e) => e.writers ?? []))].filter(
      (w) => !w.startsWith('kube-'),
    );
    out.push(
      fail(
        PLAN,
        `${install} would refuse: ${takeOver.length} object(s) exist that mesh did not create${writers.length ? ` (written by ${writers.join(', ')})` : ''}: ${first(takeOver)}`,
        forceFails
          ? `mesh takes over only objects it created, and install --force would fail too (${forceFails}): ${REMOVE_OTHER}`
          : `mesh takes over only objects it created: ${REMOVE_OTHER}; or install with --force to take them over whole, their fields too (uninstall then deletes them)`,
      ),
    );
  }
  if (fields.length > 0)
    out.push(
      fail(
        PLAN,
        `${install} would refuse: ${fields.length} object(s) have fields other field managers own (a conflict): ${first(fields)}`,
        forceFails
          ? `install --force would fail too (${forceFails})`
          : 'install --force takes over those fields (nothing else changes hands)',
      ),
    );
  return out;
}

/** The plan, or the error that ends it as install would end (a 403 is left to guarded: cannot check). */
async function planOrFailure(
  rest: KubeRest,
  components: readonly RenderedComponent[],
  owner: Owner,
  force: boolean | undefined,
): Promise<Plan | { message: string; hint?: string }> {
  try {
    return await computePlan(rest, components, owner, { force });
  } catch (err) {
    if (err instanceof ObjectDeletedError) return { message: err.message, hint: err.hint };
    if (err instanceof ApiError && err.status !== 403) return { message: err.message };
    throw err;
  }
}

/**
 * A check that the server refuses (e.g. a forbidden list) is a failed result, not the end of the report;
 * `what` names the check in its line when its group holds more than one.
 */
async function guarded(
  group: string,
  fn: () => Promise<CheckResult[]>,
  what?: string,
): Promise<CheckResult[]> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) return [cannotCheck(group, err, what)];
    throw err;
  }
}

function cannotCheck(group: string, err: ApiError, what?: string): CheckResult {
  return fail(
    group,
    `cannot check${what ? ` ${what}` : ''}: ${err.message}`,
    err.status === 403 ? 'the user lacks read access for this check' : undefined,
  );
}

/**
 * The revision the inputs name (`-r`, `--set revision=…`, an IstioOperator file), read from the rendered
 * objects' revision label; undefined for the default revision, which `check` reads as "every revision".
 */
export function checkedRevision(components: readonly RenderedComponent[]): string | undefined {
  for (const o of components.flatMap((c) => c.objects)) {
    const rev = (o.metadata.labels as Record<string, string> | undefined)?.[LABEL.revision];
    if (rev) return rev === 'default' ? undefined : rev;
  }
  return undefined;
}

/**
 * `mesh check`: the health of what mesh installed. With a `revision` ("" or "default" for the default
 * one), its istiod and gateway Deployments, webhooks and injected namespaces only; without, every
 * revision's. The CRDs are shared and always checked.
 */
export async function check(
  rest: KubeRest,
  components: readonly RenderedComponent[],
  revision: string | undefined = checkedRevision(components),
): Promise<CheckResult[]> {
  const rev = revision === undefined ? undefined : revision || 'default';
  // Every MutatingWebhookConfiguration, read once: mesh's own are those among them with its label, and
  // all of them (mesh's or not) are the injectors checked for overlaps and for each namespace.
  const mutating = await listAll(rest, resourceType('MutatingWebhookConfiguration'));
  const listed = await listOwnedByKind(rest, mutating);
  const { refused } = listed;
  // the revision label marks every object of a revision (the shared CRDs are checked from the inputs)
  const owned =
    rev === undefined
      ? listed.owned
      : listed.owned.filter(
          (o) => (o.metadata.labels as Record<string, string> | undefined)?.[LABEL.revision] === rev,
        );
  const out: CheckResult[] = refusedLists(refused, 'Control plane');
  const webhooksRefused = refusedLists(refused, 'Webhooks');
  const listedKind = (kind: string) => !refused.some((r) => r.type.kind === kind);
  // Install namespaces deleted under what mesh installed there cluster-wide (webhooks, ClusterRoles).
  const gone = await goneNamespaces(rest, owned);
  out.push(...gone.results);
  // Rendered objects that matter for a working control plane, not among those listed by mesh's label.
  const absent = await absentObjects(rest, owned, components, listedKind, gone.names);
  out.push(...absent.results);
  const deployments = [...owned, ...absent.found].filter((o) => o.kind === 'Deployment');
  if (
    listedKind('Deployment') &&
    deployments.length === 0 &&
    absent.results.length === 0 &&
    gone.results.length === 0
  )
    return [
      ...out,
      fail(
        'Control plane',
        `no control plane${rev === undefined ? '' : ` of revision ${rev}`} installed by mesh in this cluster`,
        rev === undefined ? 'run mesh install' : `run mesh install -r ${rev}`,
      ),
      ...webhooksRefused,
    ];
  // A Deployment deleted (or being deleted) since it was listed, or one the server does not show, is a
  // failure of its own, not the end of the report.
  const reasons = await mapBounded(deployments, 8, (d) =>
    notReadyReason(rest, d).catch((err: unknown) => {
      if (err instanceof ObjectDeletedError) return err;
      // its message names the request (`GET Deployment/ns/name: …`)
      if (err instanceof ApiError) return err;
      throw err;
    }),
  );
  deployments.forEach((d, i) => {
    const r = reasons[i];
    out.push(
      r === undefined
        ? readyOrScaledDown(d)
        : r instanceof ObjectDeletedError
          ? fail(
              'Control plane',
              `${objectRef(d)} ${r.state}`,
              'run mesh install once it is gone to put it back',
            )
          : r instanceof ApiError
            ? cannotCheck('Control plane', r)
            : fail(
                'Control plane',
                `${objectRef(d)} is not ready: ${r}`,
                'look at its pods and events (kubectl describe)',
              ),
    );
  });
  out.push(...configMapsParse(components, [...owned, ...absent.found]));
  out.push(...webhooksRefused);
  // the Services, endpoints and root ConfigMap several webhook configurations name are read once a run
  const get = readOnce(rest);
  for (const wh of [...owned, ...absent.found].filter((o) => o.kind.endsWith('WebhookConfiguration')))
    out.push(...(await guarded('Webhooks', () => webhookHealth(get, wh, gone.names))));
  // Every injector in the cluster (mesh's or not): overlaps, and which one serves each namespace. A
  // refused list is reported once, with mesh's own webhook configurations (webhooksRefused).
  const injectors =
    mutating instanceof ApiError
      ? mutating
      : mutating.filter((c) => (((c as any).webhooks ?? []) as any[]).some(isInjectorWebhook));
  if (!(injectors instanceof ApiError)) out.push(...injectorOverlaps(injectors, rev));
  out.push(...(await guarded('CRDs', () => crdHealth(rest, components))));
  out.push(
    ...(await guarded('Injection', () =>
      injectionHealth(rest, rev, injectors instanceof ApiError ? undefined : injectors),
    )),
  );
  return out;
}

/**
 * The keys of the rendered ConfigMaps (`istio`: mesh, meshNetworks; `istio-sidecar-injector`: config,
 * values) as they are in the cluster: each must parse (as YAML; JSON is YAML), or istiod fails to start or
 * to inject with it.
 */
function configMapsParse(
  components: readonly RenderedComponent[],
  live: readonly K8sObject[],
): CheckResult[] {
  const out: CheckResult[] = [];
  for (const o of components.flatMap((c) => c.objects)) {
    if (o.kind !== 'ConfigMap') continue;
    const l = live.find((x) => x.kind === 'ConfigMap' && objectRef(x) === objectRef(o)) as any;
    if (!l) continue;
    for (const key of Object.keys((o as any).data ?? {})) {
      const text = l.data?.[key];
      if (typeof text !== 'string') continue;
      const err = parseDocument(text).errors[0];
      if (!err) continue;
      const at = err.linePos?.[0];
      out.push(
        fail(
          'Control plane',
          `${objectRef(o)}: key ${key} does not parse${at ? ` (line ${at.line}, column ${at.col})` : ''}: ${escapeControl(err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''))}`,
          'istiod fails to start or to inject sidecars with it: run mesh install with the same inputs to rewrite it',
        ),
      );
    }
  }
  return out;
}

/**
 * A Deployment that is ready as `kubectl rollout status` sees it, unless it is scaled to 0 replicas
 * (`kubectl get` shows READY 0/0): istiod then does not run at all (×); a gateway serves nothing (‼, as
 * its HorizontalPodAutoscaler does not scale up from 0).
 */
function readyOrScaledDown(d: K8sObject): CheckResult {
  const ref = objectRef(d);
  if ((d as any).spec?.replicas !== 0) return ok('Control plane', `${ref} is ready`);
  const scale = `kubectl scale deployment ${d.metadata.name} -n ${d.metadata.namespace} --replicas=1`;
  return (d.metadata.labels as Record<string, string> | undefined)?.app === 'istiod'
    ? fail(
        'Control plane',
        `${ref} is scaled to 0 replicas (READY 0/0): the control plane does not run (no configuration pushed to proxies, no certificates signed, no sidecars injected)`,
        `scale it up: ${scale}`,
      )
    : warnR(
        'Control plane',
        `${ref} is scaled to 0 replicas (READY 0/0): nothing serves the traffic it receives`,
        `scale it up if it should serve (${scale}); a HorizontalPodAutoscaler does not scale up from 0`,
      );
}

/** A GET whose answer is kept: the same path again gets the same answer (see readOnce). */
type ReadOnce = (path: string) => Promise<RestResponse<any>>;

/** GETs through `rest`, each path asked once for the life of the function (one check run). */
function readOnce(rest: KubeRest): ReadOnce {
  const answers = new Map<string, ReturnType<ReadOnce>>();
  return (path) => {
    let answer = answers.get(path);
    if (!answer) answers.set(path, (answer = rest.request('GET', path)));
    return answer;
  };
}

/** Every object of a kind in the cluster (one list, all namespaces), or the server's refusal. */
async function listAll(rest: KubeRest, t: ResourceType): Promise<K8sObject[] | ApiError> {
  try {
    const l = await rest.call('GET', collectionPath(t));
    return ((l.items ?? []) as any[]).map(
      (i) => ({ ...i, apiVersion: t.apiVersion, kind: t.kind }) as K8sObject,
    );
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
}

/**
 * The objects mesh applied (labelled managed-by=mesh), listed kind by kind; the MutatingWebhookConfigurations
 * are taken from `mutating`, the list of every one (check reads it once, for mesh's and every other
 * injector): a list the server refuses (a user who may not list
 * Secrets cluster-wide) does not stop the others, and is reported by the checks that read that kind.
 */
async function listOwnedByKind(
  rest: KubeRest,
  mutating: K8sObject[] | ApiError,
): Promise<{ owned: K8sObject[]; refused: Array<{ type: ResourceType; err: ApiError }> }> {
  const selector = `${LABEL.managedBy}=${MANAGED_BY}`;
  const lists = await mapBounded(RESOURCE_TYPES, 8, (t) =>
    t.kind === 'MutatingWebhookConfiguration'
      ? Promise.resolve(
          mutating instanceof ApiError
            ? mutating
            : mutating.filter((o) => carriesMeshLabel(o) && appliedByMesh(o)),
        )
      : listOwned(rest, selector, [t.kind]).then(
          (l) => l.owned,
          (err: unknown) => {
            if (err instanceof ApiError) return err;
            throw err;
          },
        ),
  );
  const owned: K8sObject[] = [];
  const refused: Array<{ type: ResourceType; err: ApiError }> = [];
  RESOURCE_TYPES.forEach((type, i) => {
    const l = lists[i]!;
    if (l instanceof ApiError) refused.push({ type, err: l });
    else owned.push(...l);
  });
  return { owned: sortObjects(owned), refused };
}

/**
 * The refused lists of the kinds `group` reads (webhook configurations: Webhooks; the rest: Control
 * plane), one line per distinct answer, naming the kinds when the server's message does not.
 */
function refusedLists(
  refused: ReadonlyArray<{ type: ResourceType; err: ApiError }>,
  group: 'Control plane' | 'Webhooks',
): CheckResult[] {
  const byMessage = new Map<string, { err: ApiError; plurals: string[] }>();
  for (const { type, err } of refused) {
    if ((type.kind.endsWith('WebhookConfiguration') ? 'Webhooks' : 'Control plane') !== group) continue;
    const same = byMessage.get(err.message);
    if (same) same.plurals.push(type.plural);
    else byMessage.set(err.message, { err, plurals: [type.plural] });
  }
  return [...byMessage.values()].map(({ err, plurals }) =>
    cannotCheck(
      group,
      err,
      plurals.every((p) => err.message.includes(p)) ? undefined : `the ${plurals.join(', ')} mesh installed`,
    ),
  );
}

/** The kinds of rendered objects whose absence breaks the control plane, checked one by one. */
const ESSENTIAL_KINDS = new Set([
  'Deployment',
  'Service',
  'ConfigMap',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

/**
 * The install namespace, component and revision an object was installed for (mesh labels every object
 * with all three); undefined for an object that does not say.
 */
const installKey = (o: K8sObject): string | undefined => {
  const labels = (o.metadata.labels ?? {}) as Record<string, string>;
  const ns = labels[LABEL.ownerNamespace];
  return ns ? `${ns}/${labels[LABEL.component]}/${labels[LABEL.revision]}` : undefined;
};

/**
 * Install namespaces that are gone (or being deleted) while objects mesh installed for them elsewhere
 * (cluster-scoped ones: ClusterRoles, webhook configurations) are still there, each named.
 */
async function goneNamespaces(
  rest: KubeRest,
  owned: readonly K8sObject[],
): Promise<{ results: CheckResult[]; names: Set<string> }> {
  const byNamespace = new Map<string, K8sObject[]>();
  for (const o of owned) {
    // CRDs are shared by every install: they carry the labels of whichever install applied them last
    if (o.kind === 'CustomResourceDefinition') continue;
    const ns = (o.metadata.labels as Record<string, string> | undefined)?.[LABEL.ownerNamespace];
    if (ns) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), o]);
  }
  const results: CheckResult[] = [];
  const names = new Set<string>();
  for (const [ns, objects] of byNamespace) {
    // anything of mesh's listed in it (or the Namespace itself) says it is there
    if (
      objects.some((o) => o.metadata.namespace === ns || (o.kind === 'Namespace' && o.metadata.name === ns))
    )
      continue;
    const res = await rest.request('GET', objectPath({ kind: 'Namespace', metadata: { name: ns } }));
    const deleting = res.status >= 200 && res.status < 300 ? deletionState(res.body) : undefined;
    if (res.status !== 404 && !deleting) {
      if (res.status < 200 || res.status >= 300)
        results.push(cannotCheck('Control plane', apiError(res, `GET Namespace/${ns}`)));
      continue;
    }
    names.add(ns);
    const left = objects.filter((o) => o.metadata.namespace !== ns);
    results.push(
      fail(
        'Control plane',
        `namespace ${ns} ${deleting ? `is being deleted (${deleting})` : 'does not exist'}, while ${left.length} object(s) mesh installed for it are still there: ${left.map(objectRef).join(', ')}`,
        `run mesh install --set namespace=${ns} (with the same inputs) to put the control plane back, or mesh uninstall --set namespace=${ns} to remove what is left`,
      ),
    );
  }
  return { results, names };
}

/**
 * Rendered objects of the essential kinds that are not among mesh's objects although other objects of
 * their install (namespace, component, revision) are: each is read by name. Gone: `is missing`; there
 * without mesh's label (or not applied by mesh): said so, and still checked (`found`).
 */
async function absentObjects(
  rest: KubeRest,
  owned: readonly K8sObject[],
  components: readonly RenderedComponent[],
  listedKind: (kind: string) => boolean,
  goneNamespaces: ReadonlySet<string>,
): Promise<{ results: CheckResult[]; found: K8sObject[] }> {
  const present = new Set(owned.map(objectRef));
  const candidates: Array<[K8sObject, number]> = [];
  for (const o of components.flatMap((c) => c.objects)) {
    if (!ESSENTIAL_KINDS.has(o.kind) || !listedKind(o.kind) || present.has(objectRef(o))) continue;
    // a namespace that is gone is one line of its own
    if (o.metadata.namespace && goneNamespaces.has(String(o.metadata.namespace))) continue;
    const key = installKey(o);
    const siblings = key === undefined ? 0 : owned.filter((x) => installKey(x) === key).length;
    if (siblings > 0) candidates.push([o, siblings]);
  }
  const answers = await mapBounded(candidates, 8, ([o]) => rest.request('GET', objectPath(o)));
  const results: CheckResult[] = [];
  const found: K8sObject[] = [];
  candidates.forEach(([o, siblings], i) => {
    const res = answers[i]!;
    const ref = objectRef(o);
    if (res.status === 404) {
      results.push(
        fail(
          'Control plane',
          `${ref} is missing, while ${siblings} other object(s) mesh installed with it are there`,
          'someone deleted it: run mesh install with the same inputs to put it back',
        ),
      );
      return;
    }
    if (res.status < 200 || res.status >= 300) {
      const err = apiError(res, `GET ${ref}`);
      results.push(
        cannotCheck(
          'Control plane',
          err.message.includes(String(o.metadata.name)) ? err : apiError(res, `GET ${ref}`, true),
        ),
      );
      return;
    }
    const live = res.body as K8sObject;
    found.push(live);
    if (!carriesMeshLabel(live))
      results.push(
        fail(
          'Control plane',
          `${ref} exists but no longer carries mesh's label ${LABEL.managedBy}=${MANAGED_BY}: uninstall will leave it`,
          'run mesh install with the same inputs to label it again',
        ),
      );
    else if (!appliedByMesh(live))
      results.push(
        fail(
          'Control plane',
          `${ref} exists but was not applied by mesh (${/\((written by [^)]*)\)$/.exec(notAppliedLines([live])[0]!)?.[1] ?? 'another writer'}): uninstall will leave it`,
          'someone replaced it: run mesh install --force with the same inputs to take it over again',
        ),
      );
    // else: mesh's, listed under another revision label; checked as it is
  });
  return { results, found };
}

/** What a webhook configuration's failurePolicy means while its Service is gone. */
export function failureEffect(wh: K8sObject, policies: ReadonlySet<string>): string {
  const failing = policies.has('Fail');
  const mutating = wh.kind === 'MutatingWebhookConfiguration';
  return `failurePolicy ${failing ? 'Fail' : 'Ignore'}: ${
    mutating
      ? failing
        ? 'the API server refuses to create the pods it selects'
        : 'the pods it selects start without a proxy'
      : failing
        ? 'the API server refuses the Istio configuration it validates'
        : 'Istio configuration goes unvalidated'
  }`;
}

async function webhookHealth(
  get: ReadOnce,
  wh: K8sObject,
  goneNamespaces: ReadonlySet<string> = new Set(),
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  // per Service, the ports its webhooks call (admissionregistration.k8s.io/v1 defaults it to 443), each
  // with those webhooks' names and failurePolicies (defaulted to Fail)
  const services = new Map<
    string,
    { s: any; policies: Set<string>; ports: Map<number, { names: string[]; policies: Set<string> }> }
  >();
  let noCa = 0;
  const bundles: any[] = [];
  for (const w of ((wh as any).webhooks ?? []) as any[]) {
    if (!w.clientConfig?.caBundle) noCa++;
    else bundles.push(w);
    const s = w.clientConfig?.service;
    if (!s) continue;
    const key = `${s.namespace}/${s.name}`;
    const entry = services.get(key) ?? { s, policies: new Set<string>(), ports: new Map() };
    const policy = w.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail';
    entry.policies.add(policy);
    const port = typeof s.port === 'number' ? s.port : 443;
    const p = entry.ports.get(port) ?? { names: [], policies: new Set<string>() };
    p.names.push(String(w.name));
    p.policies.add(policy);
    entry.ports.set(port, p);
    services.set(key, entry);
  }
  for (const [key, { s, policies, ports }] of services) {
    const res = await get(
      `/apis/discovery.k8s.io/v1/namespaces/${s.namespace}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${s.name}`)}`,
    );
    if (res.status < 200 || res.status >= 300) {
      // A refusal names the resource and namespace; another answer (a 503) names nothing, and two
      // webhook configurations calling one Service gave two identical lines.
      const err = apiError(res, `list endpointslices of Service ${key}`);
      out.push(
        cannotCheck(
          'Webhooks',
          err,
          err.message.includes('endpointslices')
            ? undefined
            : `the endpoints of Service ${key} that ${objectRef(wh)} calls`,
        ),
      );
      continue;
    }
    const slices = (res.body?.items ?? []) as any[];
    const readyIn = (sls: readonly any[]) =>
      sls.flatMap((sl) => sl.endpoints ?? []).filter((e: any) => e.conditions?.ready !== false);
    const ready = readyIn(slices);
    const svc = await get(`/api/v1/namespaces/${s.namespace}/services/${s.name}`);
    if (svc.status === 404) {
      out.push(
        fail(
          'Webhooks',
          `${objectRef(wh)} → Service ${key} does not exist (${failureEffect(wh, policies)})`,
          goneNamespaces.has(String(s.namespace))
            ? `its namespace ${s.namespace} is gone: run mesh install --set namespace=${s.namespace} to put the control plane back, or mesh uninstall --set namespace=${s.namespace} to remove this webhook configuration`
            : 'someone deleted it: run mesh install with the same inputs to put it back',
        ),
      );
      continue;
    }
    if (svc.status < 200 || svc.status >= 300) {
      out.push(cannotCheck('Webhooks', apiErrorNaming(svc, `GET Service/${key}`, String(s.name))));
      continue;
    }
    if (ready.length === 0) {
      out.push(
        fail(
          'Webhooks',
          `${objectRef(wh)} → Service ${key} has no ready endpoints`,
          'the API server cannot call the webhook: is istiod running?',
        ),
      );
      continue;
    }
    const svcPorts = (svc.body?.spec?.ports ?? []) as any[];
    let portsOk = true;
    for (const [port, called] of ports) {
      const sp = svcPorts.find((x) => x.port === port);
      const which =
        called.names.length === 1
          ? `webhook ${called.names[0]} calls it`
          : `${called.names.length} webhooks call it`;
      if (!sp) {
        portsOk = false;
        out.push(
          fail(
            'Webhooks',
            `${objectRef(wh)} → Service ${key} has no port ${port} (its ports: ${svcPorts.map((x) => x.port).join(', ') || 'none'}); ${which} (${failureEffect(wh, called.policies)})`,
            'someone changed the Service: run mesh install with the same inputs to put its ports back',
          ),
        );
        continue;
      }
      // an EndpointSlice lists the Service's ports by name, each at the targetPort the pods serve it on
      const name = String(sp.name ?? '');
      const serving = readyIn(
        slices.filter((sl) => !sl.ports || (sl.ports as any[]).some((x) => String(x.name ?? '') === name)),
      );
      if (serving.length === 0) {
        portsOk = false;
        out.push(
          fail(
            'Webhooks',
            `${objectRef(wh)} → Service ${key} has ${ready.length} ready endpoint(s), none serving port ${port} (targetPort ${sp.targetPort ?? port}), which ${which.replace(/ it$/, '')} (${failureEffect(wh, called.policies)})`,
            `its pods do not serve targetPort ${sp.targetPort ?? port}: run mesh install with the same inputs to put the Service back`,
          ),
        );
      }
    }
    if (portsOk)
      out.push(ok('Webhooks', `${objectRef(wh)} → Service ${key} has ${ready.length} ready endpoint(s)`));
  }
  if (noCa > 0)
    out.push(
      warnR(
        'Webhooks',
        `${objectRef(wh)}: ${noCa} webhook(s) without a CA bundle`,
        'istiod writes the CA bundle once it serves; check its logs if this stays',
      ),
    );
  out.push(
    ...(await caBundleHealth(
      get,
      wh,
      bundles,
      [...services.values()].map((e) => e.s),
    )),
  );
  return out;
}

/**
 * The webhooks' CA bundles: each must be PEM certificates, else the API server cannot verify the
 * webhook's TLS (×). istiod rewrites the bundle of its webhooks with its CA's root whenever the
 * configuration changes (pkg/webhooks/webhookpatch.go), so one that is not the root istiod publishes
 * (ConfigMap istio-ca-root-cert in its namespace) is a ‼: istiod is not patching it (not running), or
 * serves a certificate of another CA.
 */
async function caBundleHealth(
  get: ReadOnce,
  wh: K8sObject,
  webhooks: readonly any[],
  services: readonly any[],
): Promise<CheckResult[]> {
  if (webhooks.length === 0) return [];
  // each bundle parsed once (an injector configuration's webhooks mostly share one)
  const parsed = new Map<string, CertInfo[]>();
  const certsOf = (w: any) => {
    const b64 = String(w.clientConfig.caBundle);
    let certs = parsed.get(b64);
    if (!certs) parsed.set(b64, (certs = pemCertificateInfos(Buffer.from(b64, 'base64').toString('utf8'))));
    return certs;
  };
  const bad = webhooks.filter((w) => certsOf(w).length === 0);
  const out: CheckResult[] = [];
  if (bad.length > 0)
    out.push(
      fail(
        'Webhooks',
        `${objectRef(wh)}: the caBundle of webhook(s) ${bad.map((w) => w.name).join(', ')} is not a PEM certificate: the API server cannot verify the webhook's TLS (${failureEffect(wh, new Set(bad.map((w) => (w.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail'))))})`,
        "istiod writes its CA's root there while it runs: is istiod running? check its logs if this stays",
      ),
    );
  const ns = services[0]?.namespace;
  const good = webhooks.filter((w) => !bad.includes(w));
  if (!ns || good.length === 0) return out;
  // the root istiod publishes; unknown (not compared) when it is absent or cannot be read
  const cm = await get(`/api/v1/namespaces/${ns}/configmaps/istio-ca-root-cert`);
  const rootPem = cm.status === 200 ? cm.body?.data?.['root-cert.pem'] : undefined;
  if (typeof rootPem !== 'string') return out;
  const roots = new Set(pemCertificateInfos(rootPem).map((c) => c.cert.fingerprint256));
  if (roots.size === 0) return out;
  const other = good.filter((w) => !certsOf(w).some((c) => roots.has(c.cert.fingerprint256)));
  if (other.length > 0)
    out.push(
      warnR(
        'Webhooks',
        `${objectRef(wh)}: the caBundle of webhook(s) ${other.map((w) => w.name).join(', ')} (${escapeControl(certsOf(other[0])[0]!.cert.subject.replace(/\n/g, ', '))}) is not the root in ${ns}/istio-ca-root-cert: the API server refuses istiod's serving certificate unless that CA signed it`,
        "istiod rewrites the caBundle with its CA's root while it runs: if this stays, istiod is not running or serves a certificate of another CA",
      ),
    );
  return out;
}

/**
 * The webhooks of `live` that inject the same pods as one of `mine` (same name and revision selectors);
 * a webhook switched off (selectors no object matches, as a `default` tag leaves the default revision's
 * injector) injects nothing.
 */
function clashingWebhooks(live: any, mine: any): any[] {
  const theirs = ((mine?.webhooks ?? []) as any[]).filter((m) => !isWebhookDeactivated(m));
  return ((live?.webhooks ?? []) as any[]).filter(
    (w) => !isWebhookDeactivated(w) && theirs.some((m) => m.name === w.name && sameRevision(w, m)),
  );
}

/**
 * Installed injector configurations that inject the same pods (precheck's test: a webhook of the same name
 * and revision selectors), each pair named with the selectors; with `revision`, pairs involving it only.
 */
function injectorOverlaps(injectors: readonly any[], revision: string | undefined): CheckResult[] {
  const revOf = (c: any) => c.metadata?.labels?.[LABEL.revision] ?? 'default';
  const out: CheckResult[] = [];
  const sorted = [...injectors].sort((a, b) =>
    String(a.metadata.name).localeCompare(String(b.metadata.name)),
  );
  sorted.forEach((a, i) => {
    for (const b of sorted.slice(i + 1)) {
      if (revision !== undefined && revOf(a) !== revision && revOf(b) !== revision) continue;
      const clash = clashingWebhooks(a, b);
      if (clash.length === 0) continue;
      const ns = ((b.webhooks ?? []) as any[]).find((w) => w.clientConfig?.service)?.clientConfig.service
        .namespace;
      out.push(
        fail(
          'Webhooks',
          `MutatingWebhookConfiguration/${a.metadata.name} and MutatingWebhookConfiguration/${b.metadata.name} inject the same pods: ${clash
            .map(
              (w) =>
                `${w.name} (namespaces ${selectorText(w.namespaceSelector)}; pods ${selectorText(w.objectSelector)})`,
            )
            .join(', ')}`,
          `pods they select get two sidecars: uninstall one of them${ns ? ` (e.g. mesh uninstall --set namespace=${ns} -y)` : ''}, or install it with another --revision`,
        ),
      );
    }
  });
  return out;
}

async function crdHealth(rest: KubeRest, components: readonly RenderedComponent[]): Promise<CheckResult[]> {
  const crds = components.flatMap((c) => c.objects).filter((o) => o.kind === 'CustomResourceDefinition');
  const problems: CheckResult[] = [];
  await mapBounded(crds, 8, async (crd) => {
    const res = await rest.request('GET', objectPath(crd));
    if (res.status === 404)
      return problems.push(fail('CRDs', `${crd.metadata.name} is missing`, 'run mesh install'));
    if (res.status < 200 || res.status >= 300) {
      const err = apiError(res, `GET ${objectRef(crd)}`);
      // named unless the server's message does (a refusal names the CRD)
      throw err.message.includes(String(crd.metadata.name))
        ? err
        : apiError(res, `GET ${objectRef(crd)}`, true);
    }
    const deleting = deletionState(res.body);
    if (deleting)
      return problems.push(
        fail(
          'CRDs',
          `${crd.metadata.name} is being deleted (${deleting})`,
          'its custom resources (Istio configuration) go with it; run mesh install once it is gone',
        ),
      );
    const served = new Set(
      ((res.body.spec?.versions ?? []) as any[]).filter((v) => v.served).map((v) => v.name),
    );
    const missing = ((crd.spec as any).versions as any[]).map((v) => v.name).filter((v) => !served.has(v));
    const established = (res.body.status?.conditions ?? []).some(
      (c: any) => c.type === 'Established' && c.status === 'True',
    );
    if (missing.length > 0)
      problems.push(
        fail(
          'CRDs',
          `${crd.metadata.name} does not serve ${missing.join(', ')}`,
          'run mesh install to update it',
        ),
      );
    else if (!established) problems.push(fail('CRDs', `${crd.metadata.name} is not Established`));
    return undefined;
  });
  return problems.length > 0
    ? problems.sort((a, b) => a.message.localeCompare(b.message))
    : [ok('CRDs', `${crds.length} CRDs present at the served versions`)];
}

/**
 * Pods of the namespaces labelled for injection (by `revision` only, when given). With the cluster's
 * injector configurations (`injectors`), the one that selects each namespace decides the revision its
 * pods should run; a namespace no injector selects gets no proxy at all.
 */
async function injectionHealth(
  rest: KubeRest,
  revision?: string,
  injectors?: readonly any[],
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const seen = new Map<string, Record<string, string>>();
  for (const sel of ['istio-injection=enabled', LABEL.revision]) {
    const res = await rest.call('GET', `/api/v1/namespaces?labelSelector=${encodeURIComponent(sel)}`);
    for (const n of res.items ?? [])
      if (!seen.has(n.metadata.name)) seen.set(n.metadata.name, n.metadata.labels ?? {});
  }
  if (seen.size === 0) return out;
  const revOf = (c: any): string => c.metadata?.labels?.[LABEL.revision] ?? 'default';
  const injectorRevisions = [...new Set((injectors ?? []).map(revOf))].sort();
  // the revisions an istiod runs for (any installer's); unknown when the list is refused
  const istiods = await rest.request(
    'GET',
    `/apis/apps/v1/deployments?labelSelector=${encodeURIComponent('app=istiod')}`,
  );
  const installed =
    istiods.status >= 200 && istiods.status < 300
      ? new Set(((istiods.body?.items ?? []) as any[]).map(revOf))
      : undefined;
  // the default revision's own injectors that a `default` tag switched off (none selects anything)
  const switchedOff = (injectors ?? []).filter(
    (c) => revOf(c) === 'default' && c.metadata?.labels?.[TAG_LABEL] === undefined && isDeactivated(c),
  );
  for (const [ns, labels] of [...seen].sort(([a], [b]) => a.localeCompare(b))) {
    const labelRev = labels[LABEL.revision] ?? 'default';
    const injection = labels['istio-injection'] === 'enabled';
    let rev = labelRev;
    let selected = true;
    // an ordinary pod (no labels) created there: which injector's webhooks would it go to? A tag's
    // configuration (istio.io/tag=<tag>, istio.io/rev=<revision>) resolves the tag to its revision.
    const selecting = (injectors ?? []).filter((c) =>
      ((c.webhooks ?? []) as any[]).some(
        (w) =>
          isInjectorWebhook(w) &&
          selectorMatches(w.namespaceSelector, labels) &&
          selectorMatches(w.objectSelector, {}),
      ),
    );
    if (selecting.length > 0) rev = revOf(selecting[0]);
    const tag = selecting[0]?.metadata?.labels?.[TAG_LABEL] as string | undefined;
    if (revision !== undefined && labelRev !== revision && (selecting.length === 0 || rev !== revision))
      continue;
    if (injectors && selecting.length === 0) {
      selected = false;
      const other = injectorRevisions.find((r) => r !== 'default');
      const off = labelRev === 'default' ? switchedOff : [];
      out.push(
        fail(
          'Injection',
          `namespace ${ns} (${injection ? 'istio-injection=enabled' : `${LABEL.revision}=${labelRev}`}): no injector selects it; new pods get no proxy`,
          off.length > 0
            ? `the default revision's injector ${off.map((c) => `MutatingWebhookConfiguration/${c.metadata.name}`).join(', ')} is switched off, as a default revision tag leaves it, and no default tag takes its place: ${off.some(deactivatedByMesh) ? 'mesh tag remove default switches it on again' : 'mesh install of the default revision with --force switches it on again'}, or point the default tag at a revision (mesh tag set default -r <revision>)`
            : injectorRevisions.length === 0
              ? 'install a control plane (mesh install)'
              : injection
                ? `remove its istio-injection label and label it ${LABEL.revision}=${other ?? injectorRevisions[0]} (an installed revision), or install the default revision (mesh install)`
                : `label it ${LABEL.revision}=${injectorRevisions[0]} (an installed revision), or install revision ${labelRev} (mesh install -r ${labelRev})`,
        ),
      );
    }
    const pods = ((await rest.call('GET', `/api/v1/namespaces/${ns}/pods`)).items ?? []) as any[];
    const live = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const without = live.filter(
      (p) =>
        !(p.spec?.containers ?? []).some((c: any) => c.name === 'istio-proxy') &&
        p.metadata?.annotations?.['sidecar.istio.io/inject'] !== 'false',
    );
    const proxyRev = (p: any): string | undefined => {
      const st = p.metadata?.annotations?.['sidecar.istio.io/status'];
      if (!st) return undefined;
      try {
        return String(JSON.parse(st).revision ?? 'default');
      } catch {
        return undefined;
      }
    };
    const orphaned = installed
      ? live.filter((p) => {
          const r = proxyRev(p);
          return r !== undefined && !installed.has(r);
        })
      : [];
    const old = live.filter((p) => {
      const r = proxyRev(p);
      return r !== undefined && r !== rev && !orphaned.includes(p);
    });
    // restarting helps only when an injector gives the new pods a proxy
    if (without.length > 0 && selected)
      out.push(
        warnR(
          'Injection',
          `namespace ${ns}: ${without.length} pod(s) without a proxy (e.g. ${without[0].metadata.name})`,
          `restart them: kubectl rollout restart deployment -n ${ns}`,
        ),
      );
    if (orphaned.length > 0) {
      const revs = [...new Set(orphaned.map((p) => proxyRev(p)!))].sort();
      out.push(
        fail(
          'Injection',
          `namespace ${ns}: ${orphaned.length} pod(s) run a proxy of revision ${revs.join(', ')}, which is not installed (e.g. ${orphaned[0].metadata.name})`,
          selected
            ? `their proxies have no istiod to connect to: restart them to get revision ${rev}'s proxy (kubectl rollout restart deployment -n ${ns})`
            : 'their proxies have no istiod to connect to: point the namespace at an installed revision, then restart them',
        ),
      );
    }
    if (old.length > 0)
      out.push(
        warnR(
          'Injection',
          `namespace ${ns}: ${old.length} pod(s) run a proxy of another revision than ${rev}${tag !== undefined && tag !== rev ? ` (tag ${tag})` : ''} (e.g. ${old[0].metadata.name})`,
          `restart them: kubectl rollout restart deployment -n ${ns}`,
        ),
      );
    if (selected && without.length === 0 && old.length === 0 && orphaned.length === 0)
      out.push(
        ok(
          'Injection',
          live.length === 0
            ? `namespace ${ns}: no pods yet; new pods get a proxy of revision ${rev}${tag !== undefined && tag !== rev ? ` (tag ${tag})` : ''}`
            : `namespace ${ns}: every pod has a proxy of revision ${rev}${tag !== undefined && tag !== rev ? ` (tag ${tag})` : ''}`,
        ),
      );
  }
  return out;
}

/** Grouped ✓/‼/× lines with hints, the way `mesh check` and `mesh precheck` print them. */
/**
 * `check --wait`: while a check fails, the checks run again (every 2 s) until none fails or `waitMs` has
 * passed since `startedAt` (linkerd's `check --wait`); what is awaited is shown on `progress` (stderr).
 * A run again is given the wait's deadline (its requests included: see KubeRest.until) and `signal` (the
 * user's Ctrl+C or SIGTERM): one cut by either is dropped, and the results are the last complete run's.
 * `interrupted` when `signal` ended the wait (its closing line on `progress` says so).
 */
export async function waitForChecks(
  run: (within: { deadline: number; signal?: AbortSignal }) => Promise<CheckResult[]>,
  first: CheckResult[],
  waitMs: number,
  progress: Progress,
  startedAt: number,
  opts: { now?: () => number; signal?: AbortSignal } = {},
): Promise<{ results: CheckResult[]; interrupted: boolean }> {
  const now = opts.now ?? Date.now;
  const { signal } = opts;
  const failing = (rs: readonly CheckResult[]) => rs.filter((r) => r.status === 'fail');
  const awaited = (rs: readonly CheckResult[]) => {
    const f = failing(rs);
    return `Waiting for: ${escapeControl(f[0]!.message)}${f.length > 1 ? ` (and ${f.length - 1} more)` : ''}`;
  };
  let results = first;
  if (failing(results).length === 0) return { results, interrupted: false };
  const deadline = startedAt + waitMs;
  const timedOut = () => {
    progress.fail(`${failing(results).length} check(s) still failing after ${humanDuration(waitMs)}`);
    return { results, interrupted: false };
  };
  const interrupted = () => {
    const why = signal?.reason instanceof Error ? signal.reason.message : 'interrupted';
    progress.fail(
      `${why}: ${failing(results).length} check(s) failing in the last complete run (after ${humanDuration(now() - startedAt)})`,
    );
    return { results, interrupted: true };
  };
  progress.start(awaited(results));
  for (;;) {
    if (signal?.aborted) return interrupted();
    const left = deadline - now();
    if (left <= 0) return timedOut();
    let next: CheckResult[] | 'cut';
    try {
      await pause(Math.min(2000, left), signal);
      next = await cutAt(run({ deadline, ...(signal ? { signal } : {}) }), deadline, now, signal);
    } catch (err) {
      if (signal?.aborted) return interrupted();
      if (err instanceof WaitDeadlineError) return timedOut();
      throw err;
    }
    if (next === 'cut') return signal?.aborted ? interrupted() : timedOut();
    results = next;
    if (failing(results).length === 0) {
      progress.succeed(`Every check passes (after ${humanDuration(now() - startedAt)})`);
      return { results, interrupted: false };
    }
    progress.update(awaited(results));
  }
}

/**
 * `run`, or 'cut' once `deadline` passes or `signal` aborts first: a check that waits on something
 * else than the API server (istiod's proxies) does not hold the wait past its end either.
 */
async function cutAt<T>(
  run: Promise<T>,
  deadline: number,
  now: () => number,
  signal: AbortSignal | undefined,
): Promise<T | 'cut'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<'cut'>((resolve) => {
    timer = setTimeout(() => resolve('cut'), Math.max(0, deadline - now()));
    onAbort = () => resolve('cut');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([run, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // a run cut short still settles later: its error is of no interest then
    run.catch(() => undefined);
  }
}

export function formatChecks(results: readonly CheckResult[], color: boolean): string {
  const mark = {
    ok: color ? '\x1b[32m✓\x1b[0m' : '✓',
    warn: color ? '\x1b[33m‼\x1b[0m' : '‼',
    fail: color ? '\x1b[1;31m×\x1b[0m' : '×',
  };
  const lines: string[] = [];
  for (const group of [...new Set(results.map((r) => r.group))]) {
    lines.push(group, '-'.repeat(group.length));
    for (const r of results.filter((x) => x.group === group)) {
      lines.push(`${mark[r.status]} ${r.message}`);
      if (r.hint && r.status !== 'ok') lines.push(`    hint: ${r.hint}`);
    }
    lines.push('');
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    failed > 0
      ? `Status: ${failed} problem(s) found${warned ? `, ${warned} warning(s)` : ''}`
      : `Status: all good${warned ? ` (${warned} warning(s))` : ''}`,
  );
  return lines.join('\n');
}
