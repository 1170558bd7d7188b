import { stringifyForKube } from './kube-yaml.js';
import { IGNORED_NAMESPACES } from '../manifests/kinds.js';
import { istioCrds } from './crds.js';
import { defaultProfile } from './profiles.js';
import { imageRef, injectorConfig, sidecarSettings } from './sidecar.js';
import type { InstallSpec } from './spec.js';
import { mergeTree, type Json, type JsonMap } from './values.js';

/**
 * Rendering: an InstallSpec in, the Kubernetes objects of each component out. Pure; mesh's own templates
 * written from the object inventory in install.md §2 (names, ports, selectors and labels follow istioctl so
 * that tools and users find the objects where they expect them).
 */

export type ComponentName = 'Base' | 'Pilot' | 'IngressGateways' | 'EgressGateways';
/** Components in dependency order: each waits for the ones before it to be ready. */
export const COMPONENT_ORDER: readonly ComponentName[] = [
  'Base',
  'Pilot',
  'IngressGateways',
  'EgressGateways',
];

export type K8sObject = JsonMap & { apiVersion: string; kind: string; metadata: JsonMap };

export interface RenderedComponent {
  component: ComponentName;
  objects: K8sObject[];
}

/** Ownership labels (install.md §1.7) plus mesh's own marker; prune and uninstall select on these. */
export const LABEL = {
  component: 'operator.istio.io/component',
  revision: 'istio.io/rev',
  owner: 'install.operator.istio.io/owning-resource',
  ownerNamespace: 'install.operator.istio.io/owning-resource-namespace',
  version: 'operator.istio.io/version',
  managed: 'operator.istio.io/managed',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
export const MANAGED_BY = 'mesh';

export function ownershipLabels(s: InstallSpec, component: ComponentName): Record<string, string> {
  return {
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.managed]: 'Reconcile',
    [LABEL.component]: component,
    [LABEL.owner]: s.name,
    [LABEL.ownerNamespace]: s.namespace,
    [LABEL.revision]: s.revision || 'default',
    [LABEL.version]: s.tag,
  };
}

const suffix = (s: InstallSpec) => (s.revision ? `-${s.revision}` : '');
export const istiodName = (s: InstallSpec) => `istiod${suffix(s)}`;

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string | undefined,
  rest: Record<string, unknown> = {},
  labels: Record<string, string> = {},
): K8sObject {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(Object.keys(labels).length ? { labels } : {}),
    },
    ...(rest as JsonMap),
  };
}

const rule = (apiGroups: string[], resources: string[], verbs: string[]) => ({ apiGroups, resources, verbs });
const READ = ['get', 'list', 'watch'];
const ISTIO_GROUPS = [
  'config.istio.io',
  'security.istio.io',
  'networking.istio.io',
  'authentication.istio.io',
  'rbac.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
];

function componentEnabled(spec: JsonMap, name: 'base' | 'pilot'): boolean {
  const c = (spec.components as any)?.[name];
  return c === undefined || c.enabled !== false;
}

/** Renders every enabled component, in COMPONENT_ORDER; every object carries the ownership labels. */
export function renderComponents(s: InstallSpec): RenderedComponent[] {
  const out: RenderedComponent[] = [];
  const values = s.spec.values as any;
  if (componentEnabled(s.spec, 'base')) out.push({ component: 'Base', objects: renderBase(s) });
  if (componentEnabled(s.spec, 'pilot'))
    out.push({ component: 'Pilot', objects: values.istiodRemote.enabled ? renderRemote(s) : renderPilot(s) });
  for (const [component, key] of [
    ['IngressGateways', 'ingressGateways'],
    ['EgressGateways', 'egressGateways'],
  ] as const) {
    const gws = ((s.spec.components as any)?.[key] ?? []) as JsonMap[];
    const objects = gws
      .filter(
        (g) =>
          g.enabled === true ||
          (g.enabled === undefined && values.gateways?.[g.name as string]?.enabled !== false),
      )
      .flatMap((g) =>
        renderGateway(s, g, component === 'IngressGateways' ? 'ingressgateway' : 'egressgateway'),
      );
    if (objects.length > 0) out.push({ component, objects });
  }
  for (const c of out)
    for (const o of c.objects) {
      const labels: JsonMap = {
        ...((o.metadata.labels ?? {}) as JsonMap),
        ...ownershipLabels(s, c.component),
      };
      // On a Namespace, istio.io/rev selects it for sidecar injection: the control plane's own namespace
      // must not carry it (its pods would be injected).
      if (o.kind === 'Namespace') delete labels[LABEL.revision];
      o.metadata.labels = labels;
    }
  return out;
}

function renderBase(s: InstallSpec): K8sObject[] {
  const ns = s.namespace;
  const objects: K8sObject[] = [
    ...(istioCrds() as K8sObject[]),
    obj('v1', 'Namespace', ns, undefined),
    obj('v1', 'ServiceAccount', 'istio-reader-service-account', ns, {}, { app: 'istio-reader' }),
  ];
  const values = s.spec.values as any;
  if (values.defaultRevision)
    objects.push(
      obj(
        'admissionregistration.k8s.io/v1',
        'ValidatingWebhookConfiguration',
        'istiod-default-validator',
        undefined,
        {
          webhooks: [
            validationWebhook('validation.istio.io', ns, `istiod-${values.defaultRevision}`, undefined),
          ],
        },
        { app: 'istiod' },
      ),
    );
  return objects;
}

function validationWebhook(
  name: string,
  ns: string,
  service: string,
  objectSelector: JsonMap | undefined,
): JsonMap {
  return {
    name,
    clientConfig: { service: { name: service, namespace: ns, path: '/validate', port: 443 } },
    rules: [
      {
        operations: ['CREATE', 'UPDATE'],
        apiGroups: ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'],
        apiVersions: ['*'],
        resources: ['*'],
        scope: '*',
      },
    ],
    ...(objectSelector ? { objectSelector } : {}),
    failurePolicy: 'Ignore',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 10,
  };
}

/** The mesh config (`mesh` key of ConfigMap `istio[-r]`): defaults, then spec.meshConfig, then values.meshConfig. */
export function meshConfig(s: InstallSpec): JsonMap {
  const values = s.spec.values as any;
  const defaults: JsonMap = {
    rootNamespace: s.namespace,
    trustDomain: 'cluster.local',
    enablePrometheusMerge: true,
    defaultConfig: { discoveryAddress: `${istiodName(s)}.${s.namespace}.svc:15012` },
    ...(values.telemetry.enabled ? { defaultProviders: { metrics: ['prometheus'] } } : {}),
    ...(values.global.meshID ? { meshId: values.global.meshID } : {}),
  };
  return mergeTree(mergeTree(defaults, s.spec.meshConfig as Json), values.meshConfig as Json) as JsonMap;
}

/** Resources with each quantity a string, as istiod's Values type has them (`cpu: 3` is `"3"`). */
function quantitiesAsText(resources: any): JsonMap {
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(resources ?? {}))
    out[k] =
      v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([q, n]) => [q, String(n)]))
        : (v as Json);
  return out;
}

/**
 * A Deployment's container pull policy: the component's own `k8s.imagePullPolicy`, else
 * `values.global.imagePullPolicy` (as istioctl renders both for istiod and the gateways); none when neither.
 */
function pullPolicy(k8s: any, values: any): { imagePullPolicy?: string } {
  const policy = k8s.imagePullPolicy || values.global.imagePullPolicy;
  return policy ? { imagePullPolicy: policy } : {};
}

/**
 * The cluster name the injector's values carry: only one that is not the default, as istiod then sets the
 * proxy's `ISTIO_META_CLUSTER_ID` itself (moving it last); undefined for the default.
 */
export function injectorClusterName(s: InstallSpec): string | undefined {
  const name = (s.spec.values as any).global.multiCluster.clusterName;
  const byDefault = (defaultProfile() as any).values.global.multiCluster.clusterName;
  return name && name !== byDefault ? name : undefined;
}

/** What `values` holds in the injector ConfigMap: only fields istiod's Values type knows. */
function injectorValues(s: InstallSpec): JsonMap {
  const g = (s.spec.values as any).global;
  // the default profile's values: those a spec leaves as they are stay out, so that the ConfigMap of an
  // install that does not set them is unchanged
  const d = (defaultProfile() as any).values.global;
  const clusterName = injectorClusterName(s);
  const webhook = (s.spec.values as any).sidecarInjectorWebhook ?? {};
  // every value the sidecar template is rendered from, so that these values (`kube-inject --valuesFile`)
  // render the template installed with them
  return {
    global: {
      hub: s.hub,
      tag: s.tag,
      istioNamespace: s.namespace,
      ...(g.imagePullPolicy ? { imagePullPolicy: g.imagePullPolicy } : {}),
      ...(g.meshID ? { meshID: g.meshID } : {}),
      ...(g.network ? { network: g.network } : {}),
      ...(g.logAsJson === true ? { logAsJson: true } : {}),
      ...(clusterName ? { multiCluster: { clusterName } } : {}),
      ...(g.proxy_init?.image && g.proxy_init.image !== d.proxy_init.image
        ? { proxy_init: { image: g.proxy_init.image } }
        : {}),
      proxy: {
        image: g.proxy.image,
        clusterDomain: g.proxy.clusterDomain,
        autoInject: g.proxy.autoInject,
        ...(g.proxy.logLevel !== d.proxy.logLevel ? { logLevel: g.proxy.logLevel } : {}),
        ...(JSON.stringify(g.proxy.resources) !== JSON.stringify(d.proxy.resources)
          ? { resources: quantitiesAsText(g.proxy.resources) }
          : {}),
        // istiod puts the proxy first (so that the template's wait hook holds the application) only when
        // its values say so: without it the hook waited on a proxy started after the application
        ...(g.proxy.holdApplicationUntilProxyStarts === true
          ? { holdApplicationUntilProxyStarts: true }
          : {}),
      },
    },
    revision: s.revision,
    sidecarInjectorWebhook: {
      // (only when set: what `analyze` reads to tell an unlabelled namespace is injected, IST0148)
      ...(webhook.enableNamespacesByDefault === true ? { enableNamespacesByDefault: true } : {}),
      rewriteAppHTTPProbe: false,
    },
  };
}

function podSelector(s: InstallSpec): Record<string, string> {
  return s.revision ? { app: 'istiod', [LABEL.revision]: s.revision } : { app: 'istiod', istio: 'pilot' };
}

function k8sOf(s: InstallSpec, component: 'pilot'): any {
  return (s.spec.components as any)?.[component]?.k8s ?? {};
}

function renderPilot(s: InstallSpec): K8sObject[] {
  const ns = s.namespace;
  const name = istiodName(s);
  const rev = s.revision || 'default';
  const values = s.spec.values as any;
  const pilot = values.pilot;
  const k8s = k8sOf(s, 'pilot');
  const labels = { app: 'istiod', [LABEL.revision]: rev };
  const roleSuffix = `${suffix(s)}-${ns}`;
  const objects: K8sObject[] = [];

  objects.push(obj('v1', 'ServiceAccount', name, ns, {}, labels));
  const clusterRoles: Array<[string, JsonMap[], string]> = [
    [
      `istiod-clusterrole${roleSuffix}`,
      [
        rule(
          ['admissionregistration.k8s.io'],
          ['mutatingwebhookconfigurations'],
          ['get', 'list', 'watch', 'update', 'patch'],
        ),
        rule(
          ['admissionregistration.k8s.io'],
          ['validatingwebhookconfigurations'],
          ['get', 'list', 'watch', 'update'],
        ),
        rule(ISTIO_GROUPS, ['*'], READ),
        rule(
          ['networking.istio.io'],
          ['workloadentries', 'workloadentries/status', 'serviceentries/status'],
          ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'],
        ),
        rule(
          ['security.istio.io'],
          ['authorizationpolicies/status'],
          ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'],
        ),
        rule([''], ['services/status'], ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete']),
        rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
        rule([''], ['pods', 'nodes', 'services', 'namespaces', 'endpoints'], READ),
        rule(['discovery.k8s.io'], ['endpointslices'], READ),
        rule(['networking.k8s.io'], ['ingresses', 'ingressclasses'], READ),
        rule(['networking.k8s.io'], ['ingresses/status'], ['*']),
        rule([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
        rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
        rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
        rule(['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'], ['*'], READ),
        rule(['gateway.networking.k8s.io'], ['gatewayclasses'], ['create', 'update', 'patch', 'delete']),
        rule([''], ['secrets'], READ),
        rule(['multicluster.x-k8s.io'], ['serviceexports'], ['get', 'watch', 'list', 'create', 'delete']),
        rule(['multicluster.x-k8s.io'], ['serviceimports'], READ),
      ],
      name,
    ],
    [
      `istiod-gateway-controller${roleSuffix}`,
      [
        rule(['apps'], ['deployments'], ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete']),
        rule(
          ['autoscaling'],
          ['horizontalpodautoscalers'],
          ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'],
        ),
        rule(
          ['policy'],
          ['poddisruptionbudgets'],
          ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'],
        ),
        rule(
          [''],
          ['services', 'serviceaccounts'],
          ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'],
        ),
      ],
      name,
    ],
    [
      `istio-reader-clusterrole${roleSuffix}`,
      [
        rule(ISTIO_GROUPS, ['*'], READ),
        rule(
          [''],
          [
            'endpoints',
            'pods',
            'services',
            'nodes',
            'replicationcontrollers',
            'namespaces',
            'secrets',
            'configmaps',
          ],
          READ,
        ),
        rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
        rule(['discovery.k8s.io'], ['endpointslices'], READ),
        rule(['networking.x-k8s.io', 'gateway.networking.k8s.io'], ['gateways'], READ),
        rule(['apps'], ['replicasets'], READ),
        rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
        rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
        rule(['multicluster.x-k8s.io'], ['serviceexports'], ['create', 'delete']),
      ],
      'istio-reader-service-account',
    ],
  ];
  for (const [roleName, rules, sa] of clusterRoles) {
    objects.push(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', roleName, undefined, { rules }, labels));
    objects.push(
      obj(
        'rbac.authorization.k8s.io/v1',
        'ClusterRoleBinding',
        roleName,
        undefined,
        {
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
          subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
        },
        labels,
      ),
    );
  }
  objects.push(
    obj(
      'rbac.authorization.k8s.io/v1',
      'Role',
      name,
      ns,
      {
        rules: [
          rule(['networking.istio.io'], ['gateways'], ['create']),
          rule([''], ['secrets'], ['create', 'get', 'watch', 'list', 'update', 'delete']),
          rule([''], ['configmaps'], ['delete']),
          rule(['coordination.k8s.io'], ['leases'], ['get', 'update', 'patch', 'create']),
        ],
      },
      labels,
    ),
    obj(
      'rbac.authorization.k8s.io/v1',
      'RoleBinding',
      name,
      ns,
      {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      },
      labels,
    ),
  );

  if (pilot.configMap !== false)
    objects.push(
      obj(
        'v1',
        'ConfigMap',
        `istio${suffix(s)}`,
        ns,
        {
          data: {
            mesh: stringifyForKube(meshConfig(s), { lineWidth: 0, sortMapEntries: true }),
            meshNetworks: 'networks: {}\n',
          },
        },
        labels,
      ),
    );
  objects.push(...injectorObjects(s, { service: { name, namespace: ns, path: '/inject', port: 443 } }));

  if (values.global.configValidation)
    objects.push(
      obj(
        'admissionregistration.k8s.io/v1',
        'ValidatingWebhookConfiguration',
        `istio-validator${roleSuffix}`,
        undefined,
        {
          webhooks: [
            validationWebhook('rev.validation.istio.io', ns, name, {
              matchExpressions: [
                { key: LABEL.revision, operator: 'In', values: s.revision ? [s.revision] : ['default'] },
              ],
            }),
          ],
        },
        labels,
      ),
    );

  const selector = podSelector(s);
  const autoscale = pilot.autoscaleEnabled && (k8s.hpaSpec?.maxReplicas ?? pilot.autoscaleMax) > 1;
  const min = k8s.hpaSpec?.minReplicas ?? pilot.autoscaleMin;
  const max = k8s.hpaSpec?.maxReplicas ?? pilot.autoscaleMax;
  const replicas = k8s.replicaCount ?? pilot.replicaCount;
  const env: JsonMap[] = [
    { name: 'REVISION', value: rev },
    { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    {
      name: 'SERVICE_ACCOUNT',
      valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.serviceAccountName' } },
    },
    { name: 'KUBECONFIG', value: '/var/run/secrets/remote/config' },
    { name: 'PILOT_TRACE_SAMPLING', value: String(pilot.traceSampling) },
    { name: 'CLUSTER_ID', value: values.global.multiCluster.clusterName },
    ...Object.keys(pilot.env)
      .sort()
      .map((k) => ({ name: k, value: String(pilot.env[k]) })),
    ...((k8s.env ?? []) as JsonMap[]),
  ];
  const podLabels = {
    ...selector,
    [LABEL.revision]: rev,
    'sidecar.istio.io/inject': 'false',
    'istio.io/dataplane-mode': 'none',
  };
  objects.push(
    obj(
      'apps/v1',
      'Deployment',
      name,
      ns,
      {
        spec: {
          ...(autoscale ? {} : { replicas }),
          strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' } },
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels: podLabels,
              annotations: {
                'prometheus.io/port': '15014',
                'prometheus.io/scrape': 'true',
                'sidecar.istio.io/inject': 'false',
                ...(pilot.podAnnotations ?? {}),
                ...(k8s.podAnnotations ?? {}),
              },
            },
            spec: {
              serviceAccountName: name,
              tolerations: [
                { key: 'cni.istio.io/not-ready', operator: 'Exists' },
                ...(k8s.tolerations ?? []),
              ],
              ...(k8s.nodeSelector || pilot.nodeSelector
                ? { nodeSelector: { ...pilot.nodeSelector, ...k8s.nodeSelector } }
                : {}),
              ...(k8s.affinity ? { affinity: k8s.affinity } : {}),
              ...(k8s.priorityClassName ? { priorityClassName: k8s.priorityClassName } : {}),
              containers: [
                {
                  name: 'discovery',
                  image: imageRef(
                    (s.spec.components as any)?.pilot?.hub ?? s.hub,
                    pilot.image,
                    (s.spec.components as any)?.pilot?.tag ?? s.tag,
                  ),
                  ...pullPolicy(k8s, values),
                  args: [
                    'discovery',
                    '--monitoringAddr=:15014',
                    '--log_output_level=default:info',
                    '--domain',
                    values.global.proxy.clusterDomain,
                    '--keepaliveMaxServerConnectionAge',
                    '30m',
                    ...(values.global.logAsJson ? ['--log_as_json'] : []),
                  ],
                  ports: [
                    { containerPort: 8080, protocol: 'TCP', name: 'http-debug' },
                    { containerPort: 15010, protocol: 'TCP', name: 'grpc-xds' },
                    { containerPort: 15012, protocol: 'TCP', name: 'tls-xds' },
                    { containerPort: 15017, protocol: 'TCP', name: 'https-webhooks' },
                    { containerPort: 15014, protocol: 'TCP', name: 'http-monitoring' },
                  ],
                  readinessProbe: {
                    httpGet: { path: '/ready', port: 8080 },
                    initialDelaySeconds: 1,
                    periodSeconds: 3,
                    timeoutSeconds: 5,
                  },
                  env,
                  resources: k8s.resources ?? pilot.resources,
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    capabilities: { drop: ['ALL'] },
                  },
                  volumeMounts: [
                    { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
                    { name: 'local-certs', mountPath: '/var/run/secrets/istio-dns' },
                    { name: 'cacerts', mountPath: '/etc/cacerts', readOnly: true },
                    { name: 'istio-kubeconfig', mountPath: '/var/run/secrets/remote', readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: 'local-certs', emptyDir: { medium: 'Memory' } },
                {
                  name: 'istio-token',
                  projected: {
                    sources: [
                      {
                        serviceAccountToken: {
                          audience: 'istio-ca',
                          expirationSeconds: 43200,
                          path: 'istio-token',
                        },
                      },
                    ],
                  },
                },
                { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
                { name: 'istio-kubeconfig', secret: { secretName: 'istio-kubeconfig', optional: true } },
              ],
            },
          },
        },
      },
      { ...labels, istio: 'pilot' },
    ),
    obj(
      'v1',
      'Service',
      name,
      ns,
      {
        spec: {
          ports: [
            { port: 15010, name: 'grpc-xds', protocol: 'TCP' },
            { port: 15012, name: 'https-dns', protocol: 'TCP' },
            { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
            { port: 15014, name: 'http-monitoring', protocol: 'TCP' },
          ],
          selector,
        },
      },
      { ...labels, istio: 'pilot' },
    ),
  );
  if (k8s.serviceAnnotations)
    (objects[objects.length - 1]!.metadata as any).annotations = k8s.serviceAnnotations;
  objects.push(
    ...scaling(name, ns, selector, labels, {
      autoscale,
      min,
      max,
      replicas,
      cpuTarget: pilot.cpu.targetAverageUtilization,
    }),
  );
  return objects;
}

/** Remote profile: only the injector (pointing at the remote istiod's URL, or its Service). */
function renderRemote(s: InstallSpec): K8sObject[] {
  const url = (s.spec.values as any).istiodRemote.injectionURL as string;
  return injectorObjects(
    s,
    url ? { url } : { service: { name: istiodName(s), namespace: s.namespace, path: '/inject', port: 443 } },
    (s.spec.values as any).pilot.configMap !== false,
  );
}

export interface InjectionSelectors {
  name: string;
  namespaceSelector: JsonMap;
  objectSelector: JsonMap;
}

/**
 * The injection webhooks of `rev` (a revision, or a revision tag), by name with their selectors: pods of
 * namespaces labelled `istio.io/rev=<rev>` and pods so labelled; `withDefault` (the default revision, or
 * the `default` tag) adds `istio-injection=enabled` namespaces and `sidecar.istio.io/inject=true` pods.
 * Pods labelled `sidecar.istio.io/inject=false` are never selected. `byDefault`
 * (`values.sidecarInjectorWebhook.enableNamespacesByDefault`, only with `withDefault`) adds pods of
 * namespaces with neither label, but those of Kubernetes' own namespaces, unless a pod's label says.
 */
export function injectionSelectors(
  rev: string,
  withDefault: boolean,
  byDefault = false,
): InjectionSelectors[] {
  const notDisabled = { key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] };
  const revIn = { key: LABEL.revision, operator: 'In', values: [rev] };
  const absent = (key: string) => ({ key, operator: 'DoesNotExist' });
  const selectors = (name: string, namespace: JsonMap[], object: JsonMap[]): InjectionSelectors => ({
    name: `${name}.sidecar-injector.istio.io`,
    namespaceSelector: { matchExpressions: namespace },
    objectSelector: { matchExpressions: object },
  });
  return [
    selectors('rev.namespace', [revIn, absent('istio-injection')], [notDisabled]),
    selectors('rev.object', [absent(LABEL.revision), absent('istio-injection')], [notDisabled, revIn]),
    ...(withDefault
      ? [
          selectors(
            'namespace',
            [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }],
            [notDisabled],
          ),
          selectors(
            'object',
            [absent('istio-injection'), absent(LABEL.revision)],
            [{ key: 'sidecar.istio.io/inject', operator: 'In', values: ['true'] }, absent(LABEL.revision)],
          ),
        ]
      : []),
    // as istioctl manifest generate --set values.sidecarInjectorWebhook.enableNamespacesByDefault=true
    // renders it: a fifth webhook, last, for the default revision only
    ...(withDefault && byDefault
      ? [
          selectors(
            'auto',
            [
              absent('istio-injection'),
              absent(LABEL.revision),
              { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...IGNORED_NAMESPACES] },
            ],
            [absent('sidecar.istio.io/inject'), absent(LABEL.revision)],
          ),
        ]
      : []),
  ];
}

/** The injector ConfigMap (with mesh's sidecar template) and the injection MutatingWebhookConfiguration. */
function injectorObjects(s: InstallSpec, clientConfig: JsonMap, withConfigMap = true): K8sObject[] {
  const ns = s.namespace;
  const values = s.spec.values as any;
  const rev = s.revision || 'default';
  const labels = { app: 'sidecar-injector', [LABEL.revision]: rev };
  const objects: K8sObject[] = [];
  if (withConfigMap) {
    const settings = sidecarSettings(s, istiodName(s));
    objects.push(
      obj(
        'v1',
        'ConfigMap',
        `istio-sidecar-injector${suffix(s)}`,
        ns,
        {
          data: {
            values: JSON.stringify(injectorValues(s), null, 2),
            config: injectorConfig(
              settings,
              values.global.proxy.autoInject,
              values.sidecarInjectorWebhook.injectedAnnotations,
            ),
          },
        },
        { app: 'sidecar-injector', [LABEL.revision]: rev },
      ),
    );
  }
  const hook = ({ name, namespaceSelector, objectSelector }: InjectionSelectors): JsonMap => ({
    name,
    admissionReviewVersions: ['v1'],
    clientConfig,
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    namespaceSelector,
    objectSelector,
    reinvocationPolicy: 'Never',
    rules: [
      { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: '*' },
    ],
    sideEffects: 'None',
    timeoutSeconds: 10,
  });
  const webhooks = injectionSelectors(
    rev,
    !s.revision,
    values.sidecarInjectorWebhook.enableNamespacesByDefault === true,
  ).map(hook);
  const whName = `istio-sidecar-injector${suffix(s)}${ns === 'istio-system' ? '' : `-${ns}`}`;
  objects.push(
    obj(
      'admissionregistration.k8s.io/v1',
      'MutatingWebhookConfiguration',
      whName,
      undefined,
      { webhooks },
      labels,
    ),
  );
  return objects;
}

function renderGateway(
  s: InstallSpec,
  g: JsonMap,
  istioLabel: 'ingressgateway' | 'egressgateway',
): K8sObject[] {
  const name = String(g.name);
  const ns = String(g.namespace ?? s.namespace);
  const values = s.spec.values as any;
  const gv = values.gateways?.[name] ?? values.gateways?.[`istio-${istioLabel}`] ?? {};
  const k8s = (g.k8s ?? {}) as any;
  const selector = { app: name, istio: istioLabel, ...((g.label as Record<string, string>) ?? {}) };
  const labels = { ...selector, [LABEL.revision]: s.revision || 'default' };
  const ports = (gv.ports ?? []) as Array<{
    name?: string;
    port: number;
    targetPort?: number;
    protocol?: string;
    nodePort?: number;
  }>;
  const sa = `${name}-service-account`;
  const address = `${istiodName(s)}.${s.namespace}.svc:15012`;
  const hub = (g.hub as string) ?? s.hub;
  const tag = (g.tag as string) ?? s.tag;
  const autoscale = gv.autoscaleEnabled !== false && (k8s.hpaSpec?.maxReplicas ?? gv.autoscaleMax ?? 5) > 1;
  const replicas = k8s.replicaCount ?? 1;
  const min = k8s.hpaSpec?.minReplicas ?? gv.autoscaleMin ?? 1;
  const fieldEnv = (n: string, fieldPath: string) => ({
    name: n,
    valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } },
  });
  const objects: K8sObject[] = [
    obj('v1', 'ServiceAccount', sa, ns, {}, labels),
    obj(
      'rbac.authorization.k8s.io/v1',
      'Role',
      `${name}-sds`,
      ns,
      { rules: [rule([''], ['secrets'], READ)] },
      labels,
    ),
    obj(
      'rbac.authorization.k8s.io/v1',
      'RoleBinding',
      `${name}-sds`,
      ns,
      {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-sds` },
        subjects: [{ kind: 'ServiceAccount', name: sa }],
      },
      labels,
    ),
    obj(
      'apps/v1',
      'Deployment',
      name,
      ns,
      {
        spec: {
          ...(autoscale ? {} : { replicas }),
          selector: { matchLabels: selector },
          strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' } },
          template: {
            metadata: {
              labels: {
                ...labels,
                'service.istio.io/canonical-name': name,
                'sidecar.istio.io/inject': 'false',
              },
              annotations: {
                'prometheus.io/port': '15020',
                'prometheus.io/scrape': 'true',
                'prometheus.io/path': '/stats/prometheus',
                'sidecar.istio.io/inject': 'false',
                ...(k8s.podAnnotations ?? {}),
              },
            },
            spec: {
              serviceAccountName: sa,
              ...(k8s.nodeSelector ? { nodeSelector: k8s.nodeSelector } : {}),
              ...(k8s.tolerations ? { tolerations: k8s.tolerations } : {}),
              ...(k8s.affinity ? { affinity: k8s.affinity } : {}),
              // as istioctl renders a gateway's k8s.priorityClassName
              ...(k8s.priorityClassName ? { priorityClassName: k8s.priorityClassName } : {}),
              securityContext: { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, fsGroup: 1337 },
              containers: [
                {
                  name: 'istio-proxy',
                  image: imageRef(hub, values.global.proxy.image, tag),
                  ...pullPolicy(k8s, values),
                  args: [
                    'proxy',
                    'router',
                    '--domain',
                    `$(POD_NAMESPACE).svc.${values.global.proxy.clusterDomain}`,
                    // the proxies' log level, as istioctl renders the gateway's args
                    `--proxyLogLevel=${values.global.proxy.logLevel}`,
                    '--proxyComponentLogLevel=misc:error',
                    '--log_output_level=default:info',
                    ...(values.global.logAsJson ? ['--log_as_json'] : []),
                  ],
                  ports: [
                    ...ports.map((p) => ({
                      containerPort: p.targetPort ?? p.port,
                      protocol: p.protocol ?? 'TCP',
                    })),
                    { containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' },
                  ],
                  readinessProbe: {
                    httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' },
                    initialDelaySeconds: 1,
                    periodSeconds: 2,
                    timeoutSeconds: 1,
                    failureThreshold: 30,
                    successThreshold: 1,
                  },
                  resources: k8s.resources ?? gv.resources ?? values.global.proxy.resources,
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    privileged: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ['ALL'] },
                  },
                  env: [
                    { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
                    { name: 'CA_ADDR', value: address },
                    fieldEnv('NODE_NAME', 'spec.nodeName'),
                    fieldEnv('POD_NAME', 'metadata.name'),
                    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
                    fieldEnv('INSTANCE_IP', 'status.podIP'),
                    fieldEnv('HOST_IP', 'status.hostIP'),
                    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
                    { name: 'ISTIO_META_WORKLOAD_NAME', value: name },
                    {
                      name: 'ISTIO_META_OWNER',
                      value: `kubernetes://apis/apps/v1/namespaces/${ns}/deployments/${name}`,
                    },
                    { name: 'ISTIO_META_MESH_ID', value: values.global.meshID || 'cluster.local' },
                    { name: 'TRUST_DOMAIN', value: 'cluster.local' },
                    { name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' },
                    // the gateway's network, unless its own env names one (as Istio's gateway chart)
                    ...(values.global.network &&
                    !((k8s.env ?? []) as JsonMap[]).some((e) => e?.name === 'ISTIO_META_NETWORK')
                      ? [{ name: 'ISTIO_META_NETWORK', value: values.global.network }]
                      : []),
                    { name: 'ISTIO_META_CLUSTER_ID', value: values.global.multiCluster.clusterName },
                    { name: 'PROXY_CONFIG', value: JSON.stringify({ discoveryAddress: address }) },
                    ...((k8s.env ?? []) as JsonMap[]),
                  ],
                  volumeMounts: [
                    { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
                    { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
                    { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
                    { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
                    { name: 'config-volume', mountPath: '/etc/istio/config' },
                    { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
                    { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
                    { name: 'istio-data', mountPath: '/var/lib/istio/data' },
                    { name: 'podinfo', mountPath: '/etc/istio/pod' },
                  ],
                },
              ],
              volumes: [
                { name: 'workload-socket', emptyDir: {} },
                { name: 'credential-socket', emptyDir: {} },
                { name: 'workload-certs', emptyDir: {} },
                { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
                {
                  name: 'podinfo',
                  downwardAPI: {
                    items: [
                      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
                    ],
                  },
                },
                { name: 'istio-envoy', emptyDir: {} },
                { name: 'istio-data', emptyDir: {} },
                {
                  name: 'istio-token',
                  projected: {
                    sources: [
                      {
                        serviceAccountToken: {
                          path: 'istio-token',
                          expirationSeconds: 43200,
                          audience: 'istio-ca',
                        },
                      },
                    ],
                  },
                },
                { name: 'config-volume', configMap: { name: `istio${suffix(s)}`, optional: true } },
              ],
            },
          },
        },
      },
      labels,
    ),
    obj(
      'v1',
      'Service',
      name,
      ns,
      {
        spec: {
          type: gv.type ?? 'ClusterIP',
          selector,
          ports: ports.map((p) => ({
            ...(p.name !== undefined ? { name: p.name } : {}),
            port: p.port,
            ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
            protocol: p.protocol ?? 'TCP',
            ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
          })),
        },
      },
      labels,
    ),
  ];
  const annotations = { ...(gv.serviceAnnotations ?? {}), ...(k8s.serviceAnnotations ?? {}) };
  if (Object.keys(annotations).length > 0)
    (objects[objects.length - 1]!.metadata as any).annotations = annotations;
  objects.push(
    ...scaling(name, ns, selector, labels, {
      autoscale,
      min,
      max: k8s.hpaSpec?.maxReplicas ?? gv.autoscaleMax ?? 5,
      replicas,
      cpuTarget: 80,
    }),
  );
  return objects;
}

/**
 * The HorizontalPodAutoscaler of a Deployment when it autoscales, and a PodDisruptionBudget only when more
 * than one replica is guaranteed (a PDB over a single replica would block node drains).
 */
function scaling(
  name: string,
  ns: string,
  selector: Record<string, string>,
  labels: Record<string, string>,
  o: { autoscale: boolean; min: number; max: number; replicas: number; cpuTarget: number },
): K8sObject[] {
  const out: K8sObject[] = [];
  if (o.autoscale ? o.min > 1 : o.replicas > 1)
    out.push(
      obj(
        'policy/v1',
        'PodDisruptionBudget',
        name,
        ns,
        { spec: { minAvailable: 1, selector: { matchLabels: selector } } },
        labels,
      ),
    );
  if (o.autoscale)
    out.push(
      obj(
        'autoscaling/v2',
        'HorizontalPodAutoscaler',
        name,
        ns,
        {
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
            minReplicas: o.min,
            maxReplicas: o.max,
            metrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: o.cpuTarget } },
              },
            ],
          },
        },
        labels,
      ),
    );
  return out;
}
