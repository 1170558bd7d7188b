import type { Resource } from '../../manifests/types.js';
import {
  allContainers,
  namespaceInAmbient,
  namespaceLookup,
  workloadInAmbient,
  workloadInMesh,
  workloadsByLabel,
  type NamespaceLookup,
} from '../util/labels.js';
import { isEmptyLabels, labelsMatch } from '../../kube/labels.js';
import { defineAnalyzer, K, type AnalysisContext, type Workload, WORKLOAD_INPUTS } from '../types.js';
import {
  isNamespaceWide,
  meshWidePolicy,
  mtlsMode,
  namespacePolicy,
  refOf,
  type MtlsMode,
} from './peer-authn.js';
import { isObject, text } from '../../util/values.js';

/** The namespace/name of the Kubernetes Service a DestinationRule host names, when it names one. */
function serviceOf(
  ctx: AnalysisContext,
  host: string,
  drNamespace: string,
): { namespace: string; name: string } | undefined {
  if (host.includes('*')) return undefined;
  const parts = host.split('.');
  if (parts.length === 1) return { namespace: drNamespace, name: host };
  if (parts.length >= 4 && parts[2] === 'svc') return { namespace: parts[1]!, name: parts[0]! };
  if (parts.length === 2 && ctx.get(K.Service, parts[1]!, parts[0]!))
    return { namespace: parts[1]!, name: parts[0]! };
  return undefined;
}

/** A mode and the PeerAuthentication it comes from (none: istiod's default, PERMISSIVE). */
interface Decided {
  mode: MtlsMode;
  from: Resource | undefined;
}

/** What istiod composes for one workload (ComposePeerAuthentication): a mode, and per target port ones. */
interface Composed extends Decided {
  perPort: Map<number, Decided>;
}

const PERMISSIVE: Decided = { mode: 'PERMISSIVE', from: undefined };

/** A port number from a number or a string of digits; undefined otherwise. */
function portNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/**
 * The mTLS istiod applies to workloads, as in ComposePeerAuthentication: the mesh-wide policy (no selector,
 * in the root namespace), overridden by the namespace's (no selector), overridden by the workload's (a
 * selector, not in the root namespace; it applies even without a mode of its own), each only when it sets
 * a mode. Port-level mTLS comes from the workload policy alone and is keyed by the target (container) port;
 * a port without a mode takes the workload's. Where istiod picks the oldest policy, inputs have no age:
 * the first in input order wins.
 */
class PolicyIndex {
  private readonly root: string;
  private readonly mesh: Decided;
  private readonly byNamespace = new Map<string, { base: Decided; selecting: Resource[] }>();

  constructor(private readonly ctx: AnalysisContext) {
    this.root = text(ctx.meshConfig.rootNamespace ?? 'istio-system');
    const mesh = meshWidePolicy(ctx.each(K.PeerAuthentication), this.root);
    this.mesh = mesh && mtlsMode(mesh) !== 'UNSET' ? { mode: mtlsMode(mesh), from: mesh } : PERMISSIVE;
  }

  private inNamespace(namespace: string): { base: Decided; selecting: Resource[] } {
    let entry = this.byNamespace.get(namespace);
    if (!entry) {
      const pas = this.ctx.eachIn(K.PeerAuthentication, namespace);
      const ns = namespace === this.root ? undefined : namespacePolicy(pas, namespace);
      entry = {
        base: ns && mtlsMode(ns) !== 'UNSET' ? { mode: mtlsMode(ns), from: ns } : this.mesh,
        selecting: namespace === this.root ? [] : pas.filter((pa) => !isNamespaceWide(pa)),
      };
      this.byNamespace.set(namespace, entry);
    }
    return entry;
  }

  /** Mesh and namespace only: for a Service whose workloads the inputs do not show. */
  namespaceLevel(namespace: string): Decided {
    return this.inNamespace(namespace).base;
  }

  forWorkload(w: Workload): Composed {
    const { base, selecting } = this.inNamespace(w.namespace);
    const pa = selecting.find((p) => labelsMatch(p.spec?.selector?.matchLabels, w.labels));
    const own = pa && mtlsMode(pa) !== 'UNSET' ? { mode: mtlsMode(pa), from: pa } : base;
    const perPort = new Map<number, Decided>();
    const levels: unknown = pa?.spec?.portLevelMtls;
    if (pa && isObject(levels))
      for (const [key, value] of Object.entries(levels)) {
        const port = portNumber(key);
        if (port === undefined) continue;
        const mode = isObject(value) ? mtlsMode({ spec: { mtls: value } } as Resource) : 'UNSET';
        perPort.set(port, mode === 'UNSET' ? own : { mode, from: pa });
      }
    return { ...own, perPort };
  }
}

/**
 * Whether PeerAuthentication is enforced for a workload: it has or gets a sidecar (mesh's injection rules,
 * a Namespace missing from the inputs taken as injected, an `istio.io/rev` namespace injected by its
 * revision), or ambient captures it.
 */
function enforces(w: Workload, namespaces: NamespaceLookup): boolean {
  return (
    workloadInMesh(w, namespaces, { unknownNamespace: true, revisionLabel: true }) ||
    workloadInAmbient(w) ||
    namespaceInAmbient(namespaces(w.namespace))
  );
}

/** The container port a Service port sends to on one workload; undefined for a name no container has. */
function targetPort(servicePort: any, w: Workload): number | undefined {
  const target: unknown = servicePort?.targetPort ?? servicePort?.port;
  const n = portNumber(target);
  if (n !== undefined) return n;
  for (const c of allContainers(w.podSpec))
    for (const p of Array.isArray(c.ports) ? c.ports : [])
      if (isObject(p) && p.name === target) return portNumber(p.containerPort);
  return undefined;
}

function conflicts(drMode: string, serverMode: MtlsMode): boolean {
  if (serverMode === 'STRICT') return drMode === 'DISABLE' || drMode === 'SIMPLE' || drMode === 'MUTUAL';
  if (serverMode === 'DISABLE') return drMode === 'ISTIO_MUTUAL';
  return false;
}

interface Conflict extends Decided {
  workload: Workload;
  port: number | undefined;
}

/**
 * MSH1004: a DestinationRule TLS mode that the server side's PeerAuthentication will refuse: plaintext or
 * non-Istio TLS towards STRICT workloads, Istio mTLS towards workloads whose mTLS is DISABLEd. Checks the
 * top-level, port-level and subset traffic policies, against each workload the Service (and subset)
 * selects, at the target port each Service port sends to. Workloads without a sidecar (and not captured by
 * ambient) enforce nothing and are left out; a named target port no container declares, where port-level
 * mTLS could decide, claims nothing. When the inputs show none of the Service's workloads, the namespace
 * and mesh policies decide.
 */
export default defineAnalyzer({
  name: 'mesh.DestinationRuleTlsConflictAnalyzer',
  description: 'Finds DestinationRule TLS modes that conflict with the PeerAuthentication of the destination',
  codes: ['MSH1004'],
  inputs: [K.DestinationRule, K.PeerAuthentication, K.Service, K.Namespace, K.MeshConfig, ...WORKLOAD_INPUTS],
  requires: [K.PeerAuthentication],
  analyze(ctx) {
    const index = new PolicyIndex(ctx);
    const namespaces = namespaceLookup(ctx);
    for (const dr of ctx.each(K.DestinationRule)) {
      const host = dr.spec?.host;
      if (typeof host !== 'string') continue;
      const svc = serviceOf(ctx, host, dr.namespace ?? '');
      if (!svc) continue;
      const service = ctx.get(K.Service, svc.namespace, svc.name);
      const selector = service?.spec?.selector;
      const servicePorts: any[] = Array.isArray(service?.spec?.ports)
        ? service.spec.ports.filter(isObject)
        : [];
      const selected = isEmptyLabels(selector) ? [] : workloadsByLabel(ctx, svc.namespace).matching(selector);

      /** Reports `mode` when it conflicts on the given Service ports (all of them: undefined). */
      const check = (
        mode: unknown,
        workloads: readonly Workload[],
        ports: any[] | undefined,
        path: string,
        at: string,
      ) => {
        if (typeof mode !== 'string') return;
        if (workloads.length === 0) {
          // The inputs do not show the workloads: the namespace and mesh policies are all there is to go on.
          const d = index.namespaceLevel(svc.namespace);
          if (d.from && conflicts(mode, d.mode))
            ctx.report('MSH1004', dr, [mode, at, refOf(d.from), d.mode], { path });
          return;
        }
        const found: Conflict[] = [];
        for (const w of workloads) {
          if (!enforces(w, namespaces)) continue;
          const composed = index.forWorkload(w);
          for (const sp of ports ?? (servicePorts.length > 0 ? servicePorts : [undefined])) {
            let d: Decided = composed;
            let port: number | undefined;
            if (composed.perPort.size > 0) {
              port = sp === undefined ? undefined : targetPort(sp, w);
              if (port === undefined) continue; // port-level mTLS may decide, at a port we cannot tell
              d = composed.perPort.get(port) ?? composed;
            }
            if (d.from && conflicts(mode, d.mode))
              found.push({ ...d, workload: w, port: portNumber(sp?.port) });
          }
        }
        const first = found[0];
        if (!first?.from) return;
        let where = at;
        // A setting of the whole policy names the Service ports when only some of them conflict.
        if (at === host && servicePorts.length > 1) {
          const conflicting = new Set(found.map((c) => c.port));
          if (conflicting.size < servicePorts.length && !conflicting.has(undefined))
            where = `${host}:${[...conflicting].join(',')}`;
        }
        const refusing = [...new Set(found.map((c) => c.workload))];
        if (refusing.length < workloads.length)
          where += ` (${refusing.length} of ${workloads.length} workloads: ${refusing
            .map((w) => `${w.kind} ${w.namespace}/${w.name}`)
            .join(', ')})`;
        ctx.report('MSH1004', dr, [mode, where, refOf(first.from), first.mode], { path });
      };

      const checkPolicy = (policy: any, workloads: readonly Workload[], path: string) => {
        const levels: any[] = Array.isArray(policy?.portLevelSettings) ? policy.portLevelSettings : [];
        // A port's entry replaces the whole policy for that port, TLS included even when it sets none (istiod's
        // GetPortLevelTrafficPolicy).
        const overridden = new Set(levels.map((p) => portNumber(p?.port?.number)));
        const rest = servicePorts.filter((sp) => !overridden.has(portNumber(sp.port)));
        if (servicePorts.length === 0 || rest.length > 0)
          check(
            policy?.tls?.mode,
            workloads,
            rest.length === servicePorts.length ? undefined : rest,
            `${path}.tls.mode`,
            host,
          );
        levels.forEach((p, i) => {
          const number = portNumber(p?.port?.number);
          const sp = servicePorts.filter((s) => portNumber(s.port) === number);
          // A Service in the inputs without that port: the setting applies to no traffic.
          if (servicePorts.length > 0 && sp.length === 0) return;
          check(
            p?.tls?.mode,
            workloads,
            sp.length > 0 ? sp : undefined,
            `${path}.portLevelSettings[${i}].tls.mode`,
            `${host}:${p?.port?.number ?? '?'}`,
          );
        });
      };
      checkPolicy(dr.spec?.trafficPolicy, selected, 'spec.trafficPolicy');
      const subsets: any[] = Array.isArray(dr.spec?.subsets) ? dr.spec.subsets : [];
      subsets.forEach((s, i) => {
        const labels = s?.labels;
        const inSubset = isEmptyLabels(labels)
          ? selected
          : selected.filter((w) => labelsMatch(labels, w.labels));
        // A subset that selects nothing the inputs show falls back to the namespace, as before.
        checkPolicy(s?.trafficPolicy, inSubset, `spec.subsets[${i}].trafficPolicy`);
      });
    }
  },
});
