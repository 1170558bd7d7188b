import type { Resource } from '../manifests/types.js';

export type Level = 'Error' | 'Warning' | 'Info';

export const LEVEL_RANK: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };

/** A message type from the catalogue (`messages.ts`). */
export interface MessageType {
  code: string;
  name: string;
  level: Level;
  /** Argument names, in the order `format` takes them. */
  args: string[];
  format(...args: any[]): string;
  /** Longer explanation for the docs page and SARIF help text. */
  description: string;
  /** What to do about it. */
  fix?: string;
}

/** A pod-like workload: a Pod, or the pod template of a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job. */
export interface Workload {
  /** Pod, Deployment, … */
  kind: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  podSpec: any;
  resource: Resource;
  /** true for real Pods, false for pod templates. */
  isPod: boolean;
}

export interface ReportOptions {
  /** Field path the finding is about, e.g. `spec.http[0].route[1].destination.host`. */
  path?: string;
}

export interface AnalysisContext {
  /** Resources of one kind key (`networking.istio.io/VirtualService`, `core/Service`, `apps/Deployment`…). */
  each(key: string): readonly Resource[];
  /** Looks up one resource by kind key, namespace ('' for none) and name. */
  get(key: string, namespace: string, name: string): Resource | undefined;
  /** Resources of one kind key in one namespace ('' for cluster-scoped ones), in input order. */
  eachIn(key: string, namespace: string): readonly Resource[];
  /** Pods and pod templates of workload controllers, from the inputs. */
  workloads(): readonly Workload[];
  /** The workloads of one namespace, in the order of `workloads()`. */
  workloadsIn(namespace: string): readonly Workload[];
  /**
   * The workloads a selector can pick: in a whole cluster its Pods, as istioctl (a template of the cluster
   * is what its pods already show), plus the pod templates of files over it (what applying them will run);
   * in files alone, Pods and pod templates.
   */
  selectable(): readonly Workload[];
  /** The selectable workloads of one namespace. */
  selectableIn(namespace: string): readonly Workload[];
  /**
   * A value derived from the inputs (an index such as the service registry), built by `build` on first use
   * and shared by every analyzer of the run that passes the same function. `build` must not report.
   */
  shared<T>(build: (ctx: AnalysisContext) => T): T;
  /** Every resource in the snapshot. */
  all(): readonly Resource[];
  /** True when at least one resource of the kind key is in the inputs (synthetic defaults excluded). */
  has(key: string): boolean;
  /** Effective mesh config (defaults + --meshConfigFile). */
  readonly meshConfig: Record<string, any>;
  /** Mesh networks (`networks:` map), default empty. */
  readonly meshNetworks: Record<string, any>;
  readonly istioNamespace: string;
  /** The inputs are a whole cluster (`mesh analyze` without paths, or with `--use-kube`): what is not in them does not exist. */
  readonly complete: boolean;
  /** Whether `Kind ns/name` is declared to exist outside the inputs (`--external`); bare kind, '' namespace for cluster-scoped. */
  external(kind: string, namespace: string, name: string): boolean;
  /** Reports a finding. `args` are the message type's arguments in order. */
  report(code: string, resource: Resource | undefined, args?: unknown[], opts?: ReportOptions): void;
}

export interface Analyzer {
  /** istioctl's analyzer name, e.g. `virtualservice.DestinationHostAnalyzer`. */
  name: string;
  description: string;
  /**
   * Every kind key the analyzer reads (`ANY_KIND` when it reads all objects; `...WORKLOAD_INPUTS` when it
   * reads `workloads()`). The runner holds analyzers to it: reading an undeclared kind fails the analyzer.
   */
  inputs: string[];
  /**
   * Inputs that must be present for the analyzer to say anything meaningful offline (e.g. "selects no
   * pod" needs Pods); a subset of `inputs`. When one is missing the runner skips the analyzer and says why
   * (`-v`, and the JSON summary).
   */
  requires?: string[];
  /**
   * Every message code the analyzer may report (`ctx.report`), by itself or through the helpers it calls.
   * The runner holds analyzers to it as to `inputs`: reporting an undeclared code fails the analyzer. IST0001
   * is left out: when an analyzer fails, the runner itself reports IST0001 for it (`contain` in run.ts, not
   * through `ctx.report`), so declaring it would say nothing about the analyzer; one that reported IST0001
   * itself would declare it. The docs pages ("Reported by") and `--list-analyzers -o json` read it.
   */
  codes: string[];
  analyze(ctx: AnalysisContext): void;
}

export function defineAnalyzer(a: Analyzer): Analyzer {
  return a;
}

/** A finding after analysis, before and after position resolution. */
export interface Finding {
  code: string;
  level: Level;
  message: string;
  analyzer: string;
  resource?: Resource;
  /** `Kind ns/name` or `Kind name`, as istioctl prints it. */
  origin?: string;
  /** In a multi-cluster analysis: the cluster ID of the object (istioctl's `[cluster-ID]`). */
  cluster?: string;
  path?: string;
  file?: string;
  line?: number;
  column?: number;
}

/** The `inputs` entry of an analyzer that reads every object (`ctx.all()`). */
export const ANY_KIND = '*';

/** Well-known kind keys. */
export const K = {
  VirtualService: 'networking.istio.io/VirtualService',
  DestinationRule: 'networking.istio.io/DestinationRule',
  Gateway: 'networking.istio.io/Gateway',
  ServiceEntry: 'networking.istio.io/ServiceEntry',
  Sidecar: 'networking.istio.io/Sidecar',
  WorkloadEntry: 'networking.istio.io/WorkloadEntry',
  WorkloadGroup: 'networking.istio.io/WorkloadGroup',
  EnvoyFilter: 'networking.istio.io/EnvoyFilter',
  ProxyConfig: 'networking.istio.io/ProxyConfig',
  AuthorizationPolicy: 'security.istio.io/AuthorizationPolicy',
  PeerAuthentication: 'security.istio.io/PeerAuthentication',
  RequestAuthentication: 'security.istio.io/RequestAuthentication',
  Telemetry: 'telemetry.istio.io/Telemetry',
  WasmPlugin: 'extensions.istio.io/WasmPlugin',
  TrafficExtension: 'extensions.istio.io/TrafficExtension',
  MeshConfig: 'mesh.istio.io/MeshConfig',
  MeshNetworks: 'mesh.istio.io/MeshNetworks',
  Service: 'core/Service',
  Pod: 'core/Pod',
  Namespace: 'core/Namespace',
  Secret: 'core/Secret',
  ConfigMap: 'core/ConfigMap',
  Node: 'core/Node',
  ServiceAccount: 'core/ServiceAccount',
  Deployment: 'apps/Deployment',
  StatefulSet: 'apps/StatefulSet',
  DaemonSet: 'apps/DaemonSet',
  ReplicaSet: 'apps/ReplicaSet',
  Job: 'batch/Job',
  CronJob: 'batch/CronJob',
  MutatingWebhookConfiguration: 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  ValidatingWebhookConfiguration: 'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  CustomResourceDefinition: 'apiextensions.k8s.io/CustomResourceDefinition',
  GatewayAPIGateway: 'gateway.networking.k8s.io/Gateway',
  HTTPRoute: 'gateway.networking.k8s.io/HTTPRoute',
  GRPCRoute: 'gateway.networking.k8s.io/GRPCRoute',
  TCPRoute: 'gateway.networking.k8s.io/TCPRoute',
  TLSRoute: 'gateway.networking.k8s.io/TLSRoute',
} as const;

/** The kinds `workloads()` reads: Pods and the workload controllers whose pod templates count as workloads. */
export const WORKLOAD_INPUTS: readonly string[] = [
  K.Pod,
  K.Deployment,
  K.StatefulSet,
  K.DaemonSet,
  K.ReplicaSet,
  K.Job,
];
