/**
 * A stateful stand-in API server for `mesh tag` tests: webhook configurations, Services and namespaces
 * kept in memory; list with label selectors (`k=v`, `k`, `!k`), get, server-side apply (field manager
 * `mesh-tag` merges webhooks by name, as the deactivation relies on; others replace the object) and
 * delete (UID preconditions honoured). `forbid` holds `METHOD resource` pairs answered 403. Any other
 * list is empty, any other object not found.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { serveWithKubeconfig } from '../../support/silent-server.js';

export interface FakeCluster {
  kubeconfig: string;
  /** `resource/namespace/name` → object */
  objects: Map<string, any>;
  forbid: Set<string>;
  requests: string[];
  get(resource: string, name: string, namespace?: string): any;
  put(resource: string, o: any): void;
  remove(resource: string, name: string, namespace?: string): void;
  close(): Promise<void>;
}

const SAVED = 'mesh-cli.dev/selectors-before-default-tag';

function matches(selector: string | null, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    const [k, v] = term.split('=');
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

export async function startFakeCluster(seed: Array<[string, any]> = []): Promise<FakeCluster> {
  const objects = new Map<string, any>();
  const forbid = new Set<string>();
  const requests: string[] = [];
  const key = (resource: string, name: string, ns?: string) => `${resource}/${ns ?? ''}/${name}`;
  const put = (resource: string, o: any) => {
    o.metadata.uid ??= randomUUID();
    objects.set(key(resource, o.metadata.name, o.metadata.namespace), o);
  };
  for (const [r, o] of seed) put(r, structuredClone(o));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      requests.push(`${method} ${url.pathname}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const statusBody = (code: number, reason: string, message: string) =>
        send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
      // /api/v1 or /apis/<group>/<version>, [/namespaces/<ns>], /<resource>, [/<name>]
      const m =
        /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+)(?=\/))?\/([a-z]+)(?:\/([^/]+))?$/.exec(
          url.pathname,
        );
      if (!m) return statusBody(404, 'NotFound', `not found: ${url.pathname}`);
      const [, ns, resource, name] = m as unknown as [string, string | undefined, string, string | undefined];
      if (forbid.has(`${method} ${resource}`))
        return statusBody(
          403,
          'Forbidden',
          `${resource} "${name ?? ''}" is forbidden: User "ci" cannot ${method.toLowerCase()} resource "${resource}"`,
        );
      if (name === undefined) {
        if (method !== 'GET') return statusBody(405, 'MethodNotAllowed', 'not allowed');
        const items = [...objects.entries()]
          .filter(([k]) => k.startsWith(`${resource}/`))
          .map(([, o]) => o)
          .filter((o) => ns === undefined || o.metadata.namespace === ns)
          .filter((o) => matches(url.searchParams.get('labelSelector'), o.metadata.labels));
        return send(200, { kind: 'List', apiVersion: 'v1', metadata: {}, items });
      }
      const k = key(resource, decodeURIComponent(name), ns);
      const live = objects.get(k);
      if (method === 'GET')
        return live ? send(200, live) : statusBody(404, 'NotFound', `${resource} "${name}" not found`);
      if (method === 'DELETE') {
        if (!live) return statusBody(404, 'NotFound', `${resource} "${name}" not found`);
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        const uid = body?.preconditions?.uid;
        if (uid && uid !== live.metadata.uid) return statusBody(409, 'Conflict', 'uid precondition failed');
        objects.delete(k);
        return send(200, { kind: 'Status', status: 'Success' });
      }
      if (method === 'PATCH') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (url.searchParams.get('fieldManager') === 'mesh-tag') {
          if (!live) return statusBody(404, 'NotFound', `${resource} "${name}" not found`);
          const annotations = { ...(live.metadata.annotations ?? {}) };
          delete annotations[SAVED];
          Object.assign(annotations, body.metadata?.annotations ?? {});
          live.metadata.annotations = annotations;
          for (const w of body.webhooks ?? []) {
            const mine = (live.webhooks ?? []).find((x: any) => x.name === w.name);
            if (mine) Object.assign(mine, w);
          }
          return send(200, live);
        }
        const next = {
          ...body,
          metadata: {
            ...body.metadata,
            uid: live?.metadata.uid ?? randomUUID(),
            managedFields: [{ manager: url.searchParams.get('fieldManager'), operation: 'Apply' }],
          },
        };
        objects.set(k, next);
        return send(live ? 200 : 201, next);
      }
      return statusBody(405, 'MethodNotAllowed', 'not allowed');
    });
  });
  const { kubeconfig, close } = await serveWithKubeconfig(server, 'mesh-fake-tags-');
  return {
    kubeconfig,
    objects,
    forbid,
    requests,
    get: (resource, name, namespace) => objects.get(key(resource, name, namespace)),
    put,
    remove: (resource, name, namespace) => void objects.delete(key(resource, name, namespace)),
    close,
  };
}

const REV = 'istio.io/rev';
const ownerLabels = (rev: string, ns: string) => ({
  [REV]: rev,
  'app.kubernetes.io/managed-by': 'mesh',
  'install.operator.istio.io/owning-resource': 'mesh',
  'install.operator.istio.io/owning-resource-namespace': ns,
  'operator.istio.io/component': 'Pilot',
});
const managedFields = [{ manager: 'mesh', operation: 'Apply' }];
const expr = (key: string, operator: string, values?: string[]) => ({
  key,
  operator,
  ...(values ? { values } : {}),
});

/** A revision's own injector as mesh installs it (the default revision's with the istio-injection webhooks). */
export function injector(rev: string, ns = 'istio-system'): [string, any] {
  const svc = rev === 'default' ? 'istiod' : `istiod-${rev}`;
  const hook = (name: string, namespaceSelector: any, objectSelector: any) => ({
    name,
    clientConfig: { service: { name: svc, namespace: ns, path: '/inject', port: 443 }, caBundle: 'Q0E=' },
    namespaceSelector,
    objectSelector,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
  });
  const notFalse = expr('sidecar.istio.io/inject', 'NotIn', ['false']);
  const nsRev = rev === 'default' ? 'default' : rev;
  const webhooks = [
    hook(
      'rev.namespace.sidecar-injector.istio.io',
      { matchExpressions: [expr(REV, 'In', [nsRev]), expr('istio-injection', 'DoesNotExist')] },
      { matchExpressions: [notFalse] },
    ),
    hook(
      'rev.object.sidecar-injector.istio.io',
      { matchExpressions: [expr(REV, 'DoesNotExist'), expr('istio-injection', 'DoesNotExist')] },
      { matchExpressions: [notFalse, expr(REV, 'In', [nsRev])] },
    ),
  ];
  if (rev === 'default')
    webhooks.push(
      hook(
        'namespace.sidecar-injector.istio.io',
        { matchExpressions: [expr('istio-injection', 'In', ['enabled'])] },
        { matchExpressions: [notFalse] },
      ),
      hook(
        'object.sidecar-injector.istio.io',
        { matchExpressions: [expr('istio-injection', 'DoesNotExist'), expr(REV, 'DoesNotExist')] },
        { matchExpressions: [expr('sidecar.istio.io/inject', 'In', ['true']), expr(REV, 'DoesNotExist')] },
      ),
    );
  const name =
    rev === 'default'
      ? ns === 'istio-system'
        ? 'istio-sidecar-injector'
        : `istio-sidecar-injector-${ns}`
      : ns === 'istio-system'
        ? `istio-sidecar-injector-${rev}`
        : `istio-sidecar-injector-${rev}-${ns}`;
  return [
    'mutatingwebhookconfigurations',
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name, labels: { ...ownerLabels(rev, ns), app: 'sidecar-injector' }, managedFields },
      webhooks,
    },
  ];
}

/** install's own default validator (Base, `values.defaultRevision`): no istio.io/tag label. */
export function installValidator(rev = 'default', ns = 'istio-system'): [string, any] {
  return [
    'validatingwebhookconfigurations',
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'istiod-default-validator', labels: ownerLabels(rev, ns) },
      webhooks: [
        {
          name: 'validation.istio.io',
          clientConfig: { service: { name: rev === 'default' ? 'istiod' : `istiod-${rev}`, namespace: ns } },
          failurePolicy: 'Fail',
        },
      ],
    },
  ];
}

export const namespace = (name: string, labels: Record<string, string>): [string, any] => [
  'namespaces',
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
];

/** A revision's istiod Deployment as mesh installs it, ready. */
export function istiod(rev: string, ns = 'istio-system'): [string, any] {
  return [
    'deployments',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: rev === 'default' ? 'istiod' : `istiod-${rev}`,
        namespace: ns,
        generation: 1,
        labels: { ...ownerLabels(rev, ns), app: 'istiod' },
        managedFields,
      },
      spec: { replicas: 1, selector: { matchLabels: { app: 'istiod', [REV]: rev } } },
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
      },
    },
  ];
}
