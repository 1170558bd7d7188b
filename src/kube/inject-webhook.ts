import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { PodInjector, PodOwner } from '../install/inject.js';
import { AnswerCutError, ExchangeTimeoutError, exchange } from '../util/http.js';
import { MeshError, describeError, firstLine } from '../util/errors.js';
import { JsonPatchError, applyJsonPatch } from '../util/json-patch.js';
import { isObject } from '../util/values.js';
import type { KubeApi } from './api.js';
import { startPortForward, type PortForward } from './port-forward.js';
import { comparePodsForPick, isRunning, listPods, selectorString } from './pods.js';
import { KubeRest, apiError, jsonObject } from './rest.js';

/**
 * Sidecar injection by the cluster's own injector (`mesh kube-inject --webhookConfig`), as `istioctl
 * kube-inject` does by default: the sidecar-injector webhook of a MutatingWebhookConfiguration gets each
 * pod template as an AdmissionReview (admission.k8s.io/v1, operation CREATE, dry run) and answers with a
 * JSONPatch, which is applied to the template. A webhook behind a Service is reached through a
 * port-forward to a running pod of the Service; TLS is verified with the webhook's caBundle and the
 * Service's DNS name, as the API server verifies it. No Kubernetes credential is ever sent to the webhook.
 */

type Obj = Record<string, any>;

const WEBHOOK_CONFIGS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
/** istiod names its injection webhooks `<…>sidecar-injector.istio.io`. */
const INJECTOR_SUFFIX = 'sidecar-injector.istio.io';

export interface InjectorWebhookOptions {
  /** A MutatingWebhookConfiguration by name; else the one labelled `istio.io/rev=<revision>`. */
  config?: string;
  revision: string;
}

export interface InjectorWebhook {
  inject: PodInjector;
  /** Ends the port-forward and the connections; call once done. */
  close(): Promise<void>;
}

/** Every workload of `workloads` (YAML, named `source` in errors) through the cluster's injector webhook. */
export async function injectWithWebhook(
  api: KubeApi,
  workloads: string,
  source: string,
  opts: InjectorWebhookOptions,
): Promise<string> {
  const { injectYaml } = await import('../install/inject.js');
  const webhook = await openInjectorWebhook(api, opts);
  try {
    return await injectYaml(workloads, webhook.inject, source);
  } finally {
    await webhook.close();
  }
}

interface Found {
  config: string;
  clientConfig: Obj;
}

/** The injection webhook of the cluster (read now); its endpoint is opened at the first pod. */
export async function openInjectorWebhook(
  api: KubeApi,
  opts: InjectorWebhookOptions,
): Promise<InjectorWebhook> {
  const rest = new KubeRest(api.kube, api.timeoutMs);
  const found = await findWebhook(rest, opts);
  let endpoint: Promise<Endpoint> | undefined;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    inject: async (pod, owner) => {
      endpoint ??= endpointOf(api, rest, found);
      return injectOne(await endpoint, agent, api.timeoutMs, pod, owner);
    },
    close: async () => {
      agent.destroy();
      const ep = await endpoint?.catch(() => undefined);
      await ep?.forward?.close();
    },
  };
}

async function findWebhook(rest: KubeRest, opts: InjectorWebhookOptions): Promise<Found> {
  let configs: Obj[];
  if (opts.config !== undefined) {
    const path = `${WEBHOOK_CONFIGS}/${encodeURIComponent(opts.config)}`;
    const res = await rest.request('GET', path);
    if (res.status === 404)
      throw new MeshError(`MutatingWebhookConfiguration "${opts.config}" not found`, {
        hint: 'kubectl get mutatingwebhookconfigurations lists them; --webhookConfig without a name takes the one labelled istio.io/rev=<revision>',
      });
    if (res.status < 200 || res.status > 299) throw apiError(res, `GET ${path}`);
    configs = [res.body];
  } else {
    const selector = `istio.io/rev=${opts.revision}`;
    const list = await rest.call('GET', `${WEBHOOK_CONFIGS}?labelSelector=${encodeURIComponent(selector)}`);
    configs = Array.isArray(list?.items) ? list.items : [];
    if (configs.length === 0)
      throw new MeshError(`no MutatingWebhookConfiguration labelled ${selector}`, {
        hint: `is the control plane of revision "${opts.revision}" installed? Give its revision with -r, or the configuration's name with --webhookConfig NAME`,
      });
  }
  for (const c of configs) {
    const hook = (Array.isArray(c?.webhooks) ? c.webhooks : []).find(
      (w: unknown) => isObject(w) && typeof w.name === 'string' && w.name.endsWith(INJECTOR_SUFFIX),
    );
    if (hook && isObject(hook.clientConfig))
      return { config: String(c.metadata?.name), clientConfig: hook.clientConfig };
  }
  const names = configs.map((c) => `"${String(c?.metadata?.name)}"`).join(', ');
  throw new MeshError(
    `MutatingWebhookConfiguration ${names} has no sidecar injector webhook (*.${INJECTOR_SUFFIX})`,
  );
}

interface Endpoint {
  url: URL;
  /** The name the certificate must carry (the Service's DNS name), when it is not the URL's host. */
  servername?: string;
  /** The webhook's caBundle (PEM); the system's CAs when it has none. */
  ca?: string;
  forward?: PortForward;
  /** The webhook for messages: `istiod.istio-system:443/inject (pod istiod-…)` or its URL. */
  name: string;
}

async function endpointOf(api: KubeApi, rest: KubeRest, found: Found): Promise<Endpoint> {
  const cc = found.clientConfig;
  const ca =
    typeof cc.caBundle === 'string' && cc.caBundle !== ''
      ? Buffer.from(cc.caBundle, 'base64').toString('utf8')
      : undefined;
  if (typeof cc.url === 'string') {
    let url: URL;
    try {
      url = new URL(cc.url);
    } catch {
      throw new MeshError(
        `MutatingWebhookConfiguration "${found.config}": the injector's url "${cc.url}" is not a URL`,
      );
    }
    if (url.protocol !== 'https:')
      throw new MeshError(
        `MutatingWebhookConfiguration "${found.config}": the injector's url "${cc.url}" is not https`,
      );
    return { url, ...(ca ? { ca } : {}), name: cc.url };
  }
  const svc = cc.service;
  if (!isObject(svc) || typeof svc.name !== 'string' || typeof svc.namespace !== 'string')
    throw new MeshError(
      `MutatingWebhookConfiguration "${found.config}": the injector webhook names neither a url nor a service`,
    );
  const port = typeof svc.port === 'number' ? svc.port : 443;
  const path = typeof svc.path === 'string' ? svc.path : '/';
  const where = `${svc.name}.${svc.namespace}`;
  const servicePath = `/api/v1/namespaces/${encodeURIComponent(svc.namespace)}/services/${encodeURIComponent(svc.name)}`;
  const res = await rest.request('GET', servicePath);
  if (res.status === 404)
    throw new MeshError(
      `Service ${where} of the injector webhook (MutatingWebhookConfiguration "${found.config}") not found`,
    );
  if (res.status < 200 || res.status > 299) throw apiError(res, `GET ${servicePath}`);
  const service = res.body as Obj;
  const selector = selectorString(service.spec?.selector);
  if (!selector)
    throw new MeshError(
      `Service ${where} of the injector webhook has no selector: no pod to port-forward to`,
    );
  const pod = (await listPods(api, svc.namespace, selector)).sort(comparePodsForPick)[0];
  if (!pod || !isRunning(pod))
    throw new MeshError(
      `no running pod of Service ${where} (selector ${selector}) to ask the injector webhook`,
      {
        hint: 'is istiod running? kubectl get pods -n ' + svc.namespace,
      },
    );
  const podName = String(pod.metadata?.name);
  const forward = await startPortForward({
    api,
    namespace: svc.namespace,
    pod: podName,
    port: podPort(service, port, pod, where),
  });
  return {
    url: new URL(`https://127.0.0.1:${forward.localPort}${path.startsWith('/') ? path : `/${path}`}`),
    servername: `${svc.name}.${svc.namespace}.svc`,
    ...(ca ? { ca } : {}),
    forward,
    name: `${where}:${port}${path} (pod ${podName})`,
  };
}

/** The pod port behind the Service port the webhook names: its targetPort, by number or container port name. */
function podPort(service: Obj, port: number, pod: any, where: string): number {
  const ports: Obj[] = Array.isArray(service.spec?.ports) ? service.spec.ports : [];
  const sp = ports.find((p) => p?.port === port);
  if (!sp) throw new MeshError(`Service ${where} has no port ${port}, the injector webhook's`);
  const target = sp.targetPort;
  if (target === undefined || target === null || target === '') return port;
  if (typeof target === 'number') return target;
  if (/^[0-9]+$/.test(String(target))) return Number(target);
  for (const c of pod.spec?.containers ?? [])
    for (const p of c?.ports ?? [])
      if (p?.name === target && typeof p.containerPort === 'number') return p.containerPort;
  throw new MeshError(
    `pod ${pod.metadata?.name}.${pod.metadata?.namespace} has no container port "${String(target)}" (targetPort of Service ${where})`,
  );
}

const ownerName = (o: PodOwner) =>
  `${o.kind}${o.name ? ` ${o.namespace ? `${o.namespace}/` : ''}${o.name}` : ''}`;

const CONTAINER_LISTS = ['initContainers', 'containers'] as const;

/**
 * The pod as Go encodes it, as far as the webhook's patch depends on it: istiod computes its JSONPatch
 * against its own encoding of the pod, which writes `resources: {}` in every container, and diffs lists
 * index by index (a proxy put first becomes field-by-field changes of the first container, e.g. `add
 * /spec/containers/0/resources/limits`). So mesh sends and patches the template with those, and drops
 * them again afterwards where the template had none (`bare`: names of its containers without resources).
 */
function goShaped(pod: Obj): { shaped: Obj; bare: Set<string> } {
  const shaped: Obj = { ...pod, metadata: pod.metadata ?? {}, spec: { ...(pod.spec ?? {}) } };
  const bare = new Set<string>();
  for (const key of CONTAINER_LISTS) {
    const list = shaped.spec[key];
    if (!Array.isArray(list)) continue;
    shaped.spec[key] = list.map((c: Obj) => {
      if (c.resources !== undefined) return c;
      bare.add(String(c.name));
      return { ...c, resources: {} };
    });
  }
  return { shaped, bare };
}

function dropGoResources(pod: Obj, bare: Set<string>): Obj {
  for (const key of CONTAINER_LISTS)
    for (const c of Array.isArray(pod.spec?.[key]) ? pod.spec[key] : [])
      if (bare.has(String(c?.name)) && isObject(c.resources) && Object.keys(c.resources).length === 0)
        delete c.resources;
  return pod;
}

/** One AdmissionReview for one pod template, and the template with the webhook's patch applied. */
async function injectOne(
  ep: Endpoint,
  agent: https.Agent,
  timeoutMs: number,
  pod: Obj,
  owner: PodOwner,
): Promise<Obj> {
  const { shaped, bare } = goShaped(pod);
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: owner.namespace ?? '',
      name: typeof pod.metadata?.name === 'string' ? pod.metadata.name : '',
      object: { apiVersion: 'v1', kind: 'Pod', ...shaped },
      userInfo: {},
      dryRun: true,
    },
  };
  const { status, text } = await post(ep, agent, timeoutMs, Buffer.from(JSON.stringify(review)));
  const who = `the injector webhook ${ep.name}`;
  if (status !== 200) {
    const first = firstLine(text);
    throw new MeshError(`${who} answered HTTP ${status} for ${ownerName(owner)}${first ? `: ${first}` : ''}`);
  }
  const response = jsonObject(text)?.response;
  if (!isObject(response))
    throw new MeshError(`${who} answered ${ownerName(owner)} without an AdmissionReview response`);
  if (response.allowed !== true)
    throw new MeshError(
      // istiod's message may quote the whole request: its first line is what went wrong
      `${who} refused ${ownerName(owner)}: ${firstLine(String(response.status?.message || response.status?.reason || 'no reason given'), 300)}`,
    );
  if (response.patch === undefined || response.patch === null) return pod;
  if (response.patchType !== undefined && response.patchType !== 'JSONPatch')
    throw new MeshError(
      `${who} answered ${ownerName(owner)} with a patch of type ${String(response.patchType)}, not JSONPatch`,
    );
  let ops: unknown;
  try {
    ops = JSON.parse(Buffer.from(String(response.patch), 'base64').toString('utf8'));
  } catch {
    throw new MeshError(`${who} answered ${ownerName(owner)} with a patch that is not JSON`);
  }
  if (Array.isArray(ops) && ops.length === 0) return pod;
  try {
    return dropGoResources(applyJsonPatch(shaped, ops), bare);
  } catch (err) {
    if (!(err instanceof JsonPatchError)) throw err;
    throw new MeshError(
      `${ownerName(owner)}: the patch of ${who} does not apply to the pod template: ${err.message}`,
    );
  }
}

async function post(
  ep: Endpoint,
  agent: https.Agent,
  timeoutMs: number,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  try {
    const answer = await exchange(ep.url, {
      method: 'POST',
      agent,
      ...(ep.ca ? { ca: ep.ca } : {}),
      ...(ep.servername ? { servername: ep.servername } : {}),
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Content-Length': body.length,
      },
      body,
      timeoutMs,
    });
    return { status: answer.status, text: answer.body.toString('utf8') };
  } catch (err) {
    if (err instanceof ExchangeTimeoutError)
      throw new MeshError(`the injector webhook ${ep.name} did not answer within ${timeoutMs / 1000}s`);
    if (err instanceof AnswerCutError)
      throw new MeshError(
        `the injector webhook ${ep.name} closed the connection after ${err.received} bytes of its answer`,
      );
    throw unreachable(ep, err);
  }
}

function unreachable(ep: Endpoint, err: unknown): MeshError {
  const forwardError = ep.forward?.lastError;
  return new MeshError(`cannot reach the injector webhook ${ep.name}: ${forwardError ?? describeError(err)}`);
}
