import http from 'node:http';
import https from 'node:https';
import { deadline } from '../util/duration.js';
import { MeshError, describeError } from '../util/errors.js';
import type { KubeContext } from './config.js';

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
  if (status === 401)
    return new MeshError(
      `the Kubernetes API server ${kube.server} rejected the credentials of context "${kube.contextName}" (401 Unauthorized)`,
      { hint: 'the token or client certificate has probably expired: log in again and retry' },
    );
  if (status === 403)
    return new MeshError(message ?? `${what}: forbidden (403)`, {
      hint: `the user of context "${kube.contextName}" lacks the RBAC permission for this`,
    });
  if (message) return new MeshError(message);
  const text = body.trim().split('\n')[0]?.slice(0, 200) ?? '';
  return new MeshError(`${what}: unexpected status code ${status}${text ? `: ${text}` : ''}`);
}

/** The one-line error for a failure to reach the API server at all. */
export function unreachableError(kube: KubeContext, err: unknown): MeshError {
  return new MeshError(`cannot reach the Kubernetes API server ${kube.server}: ${describeError(err)}`, {
    hint: `check that the cluster of context "${kube.contextName}" is up and reachable`,
    cause: err,
  });
}

export function timeoutError(kube: KubeContext, timeoutMs: number, what: string): MeshError {
  return new MeshError(
    `timed out after ${timeoutMs / 1000}s waiting for the Kubernetes API server ${kube.server} (${what})`,
    { hint: 'raise --timeout, or check the cluster is reachable' },
  );
}

/** Minimal client for the reads mesh needs: GET JSON with the kubeconfig's TLS and credentials. */
export class KubeApi {
  private options?: Promise<RequestOptions>;

  constructor(
    readonly kube: KubeContext,
    readonly timeoutMs: number,
  ) {}

  /**
   * TLS options, headers (credentials) and agent for requests to the API server. Computed once; a
   * failing credential plugin (exec, OIDC) becomes one clear error.
   */
  requestOptions(): Promise<RequestOptions> {
    this.options ??= (async () => {
      const opts: RequestOptions = {};
      try {
        await this.kube.kc.applyToHTTPSOptions(opts);
      } catch (err) {
        throw new MeshError(
          `cannot get credentials for context "${this.kube.contextName}": ${describeError(err)}`,
          { hint: 'log in again (the credential plugin or token may have expired)' },
        );
      }
      return opts;
    })();
    return this.options;
  }

  /** GET `path` (e.g. `/api/v1/namespaces/x/pods/y`) and parse the JSON answer. */
  async getJson<T = any>(path: string): Promise<T> {
    const base = await this.requestOptions();
    const url = new URL(this.kube.server + path);
    const what = `GET ${url.pathname}`;
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      const cancel = deadline(this.timeoutMs, () => {
        req.destroy();
        reject(timeoutError(this.kube, this.timeoutMs, what));
      });
      const req = transport.request(
        url,
        { ...base, method: 'GET', headers: { ...base.headers, Accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(unreachableError(this.kube, err)));
          res.on('end', () => {
            cancel();
            const body = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(apiStatusError(this.kube, status, body, what));
            try {
              resolve(JSON.parse(body) as T);
            } catch {
              reject(new MeshError(`${what}: the API server answered with invalid JSON`));
            }
          });
        },
      );
      req.on('error', (err) => {
        cancel();
        reject(unreachableError(this.kube, err));
      });
      req.end();
    });
  }
}
