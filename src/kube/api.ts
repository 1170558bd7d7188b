import type https from 'node:https';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type ConfigurationOptions,
  Observable,
  type ResponseContext,
} from '@kubernetes/client-node';
import { deadline } from '../util/duration.js';
import { apiRequestTimeout } from './client-timeout.js';
import { meshHttpLibrary } from './transport.js';
import { withCredentials } from './credentials.js';
import { AnswerCutError } from '../util/http.js';
import { MeshError, describeError, firstLine } from '../util/errors.js';
import type { KubeContext } from './config.js';
import {
  answerCutError,
  credentialsRejected,
  notJsonError,
  notKubernetesError,
  timeoutError,
  unreachableHint,
} from './rest.js';

/** Options for one request to the API server: TLS material, auth headers and agent from the kubeconfig. */
export type RequestOptions = https.RequestOptions;

/** The `message` of a Kubernetes Status body (e.g. `pods "x" not found`), when the body is one. */
export function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    if (parsed && parsed.kind === 'Status' && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: no message
  }
  return undefined;
}

/**
 * The one-line error for a non-2xx answer of the API server. Never includes request headers, so
 * tokens cannot leak; the Status message the server wrote is kept (it names the object or the RBAC rule).
 */
export function apiStatusError(kube: KubeContext, status: number, body: string, what: string): MeshError {
  const message = statusMessage(body);
  if (status === 401) return credentialsRejected(kube);
  if (status === 403)
    return new MeshError(message ?? `${what}: forbidden (403)`, {
      hint: `the user of context "${kube.contextName}" lacks the RBAC permission for this`,
    });
  // `pods "web" not found` names what is missing; the bare "the server could not find the requested
  // resource" (an API the server does not serve, or something else at its address) needs the request
  if (message && status === 404 && !message.includes('"'))
    return new MeshError(`the Kubernetes API server ${kube.server} answered ${what}: ${message} (404)`);
  if (message) return new MeshError(message);
  const text = firstLine(body);
  return new MeshError(`${what}: unexpected status code ${status}${text ? `: ${text}` : ''}`);
}

/** The one-line error for a failure to reach the API server at all. */
export function unreachableError(kube: KubeContext, err: unknown): MeshError {
  return new MeshError(`cannot reach the Kubernetes API server ${kube.server}: ${describeError(err)}`, {
    hint: unreachableHint(kube, err),
    cause: err,
  });
}

/** client-node's typed clients of the APIs mesh reads. */
export interface KubeClients {
  core: CoreV1Api;
  apps: AppsV1Api;
}

/**
 * The API server of a kubeconfig context, read through client-node's typed APIs (CoreV1Api, AppsV1Api
 * from the already loaded KubeConfig), with what mesh adds around each call: one deadline for the whole
 * request (`--timeout`, 0 = none) and one-line errors with hints (401: credentials expired, 403: RBAC,
 * unreachable, timed out), never a stack trace or a request header.
 */
export class KubeApi {
  private options?: Promise<RequestOptions>;
  private clients?: KubeClients;

  /** The deadline of each request: `--kubeclient-timeout` when given, else the command's `--timeout`. */
  readonly timeoutMs: number;
  /** The flag that set it, named in a timeout's hint. */
  readonly timeoutFlag: string;

  constructor(
    readonly kube: KubeContext,
    commandTimeoutMs: number,
  ) {
    ({ ms: this.timeoutMs, flag: this.timeoutFlag } = apiRequestTimeout(commandTimeoutMs));
  }

  /**
   * TLS options, headers (credentials) and agent for requests to the API server (the port-forward's
   * WebSocket needs them). Computed once; a failing credential plugin (exec, OIDC) becomes one clear error.
   */
  requestOptions(): Promise<RequestOptions> {
    this.options ??= (async () => {
      const opts: RequestOptions = {};
      const limit = { timeoutMs: this.timeoutMs, flag: this.timeoutFlag };
      await withCredentials(this.kube, limit, () => this.kube.kc.applyToHTTPSOptions(opts));
      return opts;
    })();
    return this.options;
  }

  /**
   * One typed API call: `what` names it in errors (e.g. `GET /api/v1/namespaces/x/pods/y`), `fn` makes it
   * with the per-call options that carry the deadline.
   */
  async call<T>(what: string, fn: (c: KubeClients, options: ConfigurationOptions) => Promise<T>): Promise<T> {
    await this.requestOptions(); // credentials first, for their own error
    this.clients ??= {
      core: this.kube.kc.makeApiClient(CoreV1Api),
      apps: this.kube.kc.makeApiClient(AppsV1Api),
    };
    const abort = new AbortController();
    let timedOut = false;
    const cancel = deadline(this.timeoutMs, () => {
      timedOut = true;
      abort.abort();
    });
    const options: ConfigurationOptions = {
      httpApi: meshHttpLibrary,
      middlewareMergeStrategy: 'append',
      middleware: [
        {
          pre: (ctx) => {
            ctx.setSignal(abort.signal);
            return new Observable(Promise.resolve(ctx));
          },
          // A success answer that is not JSON is refused here, before client-node reads it as an empty object.
          post: (res) => new Observable(this.jsonOnly(res, what)),
        },
      ],
    };
    let result: T;
    try {
      result = await fn(this.clients, options);
    } catch (err) {
      if (timedOut) throw timeoutError(this.kube, this.timeoutMs, what, this.timeoutFlag);
      if (err instanceof MeshError) throw err;
      if (err instanceof ApiException) {
        const body =
          typeof err.body === 'string' ? err.body : err.body === undefined ? '' : JSON.stringify(err.body);
        throw apiStatusError(this.kube, err.code, body, what);
      }
      if (err instanceof SyntaxError)
        throw new MeshError(`${what}: the API server answered with invalid JSON`);
      if (err instanceof AnswerCutError) throw answerCutError(this.kube, err, what);
      throw unreachableError(this.kube, err);
    } finally {
      cancel();
    }
    // every answer mesh asks for is a Kubernetes object or list, which has a kind ({} is not an empty list)
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as { kind?: unknown }).kind !== 'string'
    )
      throw notKubernetesError(this.kube, what);
    return result;
  }

  private async jsonOnly(res: ResponseContext, what: string): Promise<ResponseContext> {
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299) return res;
    const contentType = res.headers['content-type'];
    if (contentType && /^application\/(?:[\w.-]+\+)?json\b/i.test(contentType)) return res;
    throw notJsonError(this.kube, what, contentType, (await res.body.text()) ?? '');
  }
}
