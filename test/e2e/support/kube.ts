// Client helpers for e2e tests: everything goes through @kubernetes/client-node against the testbed's
// API server on 127.0.0.1.
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { request as httpsRequest, type RequestOptions } from 'node:https';

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
}

export function clientsFor(kubeconfigPath: string): Clients {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

/** A DNS-1123 name no earlier test (or earlier run against the same etcd) has used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export const FIELD_MANAGER = 'mesh-e2e';

/** Server-side apply, the way `mesh install` writes objects. */
export function apply<T extends KubernetesObject>(
  objects: KubernetesObjectApi,
  obj: T,
  force = true,
): Promise<T> {
  return objects.patch(obj, undefined, undefined, FIELD_MANAGER, force, PatchStrategy.ServerSideApply);
}

/**
 * Server-side apply of a CustomResourceDefinition exactly as written. (client-node's typed serializer
 * drops the keys it knows only in camelCase, such as a schema's `x-kubernetes-preserve-unknown-fields`,
 * so `apply` would store a schema that prunes what the CRD means to keep.)
 */
export async function applyCrd(kc: KubeConfig, crd: KubernetesObject): Promise<void> {
  const server = kc.getCurrentCluster()!.server;
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata!.name}`;
  const opts: RequestOptions = { method: 'PATCH', headers: {} };
  await kc.applyToHTTPSOptions(opts);
  opts.headers = { ...opts.headers, 'content-type': 'application/apply-patch+yaml' };
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(`${server}${path}?fieldManager=${FIELD_MANAGER}&force=true`, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(crd));
  });
  if (status !== 200 && status !== 201)
    throw new Error(`apply ${crd.metadata!.name}: HTTP ${status}: ${body.slice(0, 500)}`);
}

/** Applies CRDs exactly as written (see applyCrd) and waits until the API server serves each (Established). */
export async function applyCrds(kc: KubeConfig, crds: KubernetesObject[]): Promise<void> {
  for (const crd of crds) await applyCrd(kc, crd);
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds)
    await eventually(`${crd.metadata!.name} Established`, async () => {
      const c = await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! });
      return c.status?.conditions?.find((x) => x.type === 'Established' && x.status === 'True');
    });
}

/** The server's own error message from a failed client-node call (the Status object's `message`). */
export function serverMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    return (body as { message?: string } | undefined)?.message ?? String(err.body);
  }
  throw err;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** Polls until `check` returns a value other than undefined. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
