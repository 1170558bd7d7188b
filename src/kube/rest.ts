import http from 'node:http';
import https from 'node:https';
import { deadline } from '../util/duration.js';
import { apiRequestTimeout } from './client-timeout.js';
import { MeshError, describeError, firstLine } from '../util/errors.js';
import type { KubeContext } from './config.js';

/**
 * A small REST client for the writes `mesh install` makes (server-side apply PATCH, DELETE, POST of
 * access reviews) and the reads around them. Uses only the kubeconfig's TLS material and credentials;
 * answers come back as status + parsed body so callers decide what a 404 or 409 means.
 */

export interface RestResponse<T = any> {
  status: number;
  body: T;
}

/** A failure answer of the API server, with the Status reason and message it gave. */
export class ApiError extends MeshError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A failure to reach the API server at all (refused, reset, timed out). */
export class UnreachableError extends MeshError {}

export class KubeRest {
  private options?: Promise<https.RequestOptions>;

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

  private requestOptions(): Promise<https.RequestOptions> {
    this.options ??= (async () => {
      const opts: https.RequestOptions = {};
      try {
        await this.kube.kc.applyToHTTPSOptions(opts);
      } catch (err) {
        throw new MeshError(
          `cannot get credentials for context "${this.kube.contextName}": ${describeError(err)}`,
        );
      }
      return opts;
    })();
    return this.options;
  }

  /**
   * Any request; resolves for every HTTP status (non-JSON failure bodies come back as text). A success
   * answer that is not a JSON object rejects (see notJsonError).
   */
  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<RestResponse<T>> {
    const base = await this.requestOptions();
    const url = new URL(this.kube.server + path);
    const transport = url.protocol === 'http:' ? http : https;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          ...base,
          method,
          headers: {
            ...base.headers,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(this.unreachable(err)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            // No caller can do anything with rejected credentials but stop: one error naming the server.
            if (status === 401) return reject(credentialsRejected(this.kube));
            const parsed = jsonObject(text);
            // Every success answer of the API server is a JSON object; anything else is not one.
            if (!parsed && status >= 200 && status < 300)
              reject(notJsonError(this.kube, `${method} ${url.pathname}`, res.headers['content-type'], text));
            else resolve({ status, body: (parsed ?? text) as T });
          });
        },
      );
      // One deadline from connect to the last byte (a socket's idle timeout restarts at each TLS step
      // and let a silent server hold a request for twice the asked time); 0: none.
      const cancel = deadline(this.timeoutMs, () => {
        req.destroy();
        reject(timeoutError(this.kube, this.timeoutMs, `${method} ${url.pathname}`, this.timeoutFlag));
      });
      req.on('close', cancel);
      req.on('error', (err) => reject(this.unreachable(err)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private unreachable(err: unknown): UnreachableError {
    return new UnreachableError(
      `cannot reach the Kubernetes API server ${this.kube.server}: ${describeError(err)}`,
      {
        hint: `check that the cluster of context "${this.kube.contextName}" is up and reachable`,
      },
    );
  }

  /** Like request, but a non-2xx answer throws an ApiError carrying the server's reason and message. */
  async call<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.request<T>(method, path, body, contentType);
    if (res.status >= 200 && res.status < 300) return res.body;
    throw apiError(res, `${method} ${path.split('?')[0]}`);
  }
}

export function timeoutError(
  kube: KubeContext,
  timeoutMs: number,
  what: string,
  flag = '--timeout',
): MeshError {
  return new MeshError(
    `timed out after ${timeoutMs / 1000}s waiting for the Kubernetes API server ${kube.server} (${what})`,
    { hint: `raise ${flag}, or check the cluster is reachable` },
  );
}

/** The one-line error for a 401: the API server does not accept the context's token or certificate. */
export function credentialsRejected(kube: KubeContext): MeshError {
  return new MeshError(
    `the Kubernetes API server ${kube.server} rejected the credentials of context "${kube.contextName}" (401 Unauthorized)`,
    { hint: 'the token or client certificate has probably expired: log in again and retry' },
  );
}

/**
 * The one-line error for a success answer (2xx) that is not a JSON object: whatever answers at the
 * kubeconfig's address is not a Kubernetes API server (a proxy's login page, another service), and
 * reading it as one gave empty lists and made-up objects. `contentType` and the start of the body
 * name what came instead.
 */
export function notJsonError(
  kube: KubeContext,
  what: string,
  contentType: string | undefined,
  body: string,
): MeshError {
  const text = body.trim().split('\n')[0]?.slice(0, 80) ?? '';
  return new MeshError(
    `the Kubernetes API server ${kube.server} answered ${what} with ${contentType || 'no content type'}, not a JSON object${text ? `: ${JSON.stringify(text)}` : ''}`,
    { hint: `check that the server of context "${kube.contextName}" is the cluster's API server` },
  );
}

/** A body of a success answer as a JSON object, or undefined when it is not one. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function apiError(res: RestResponse, what: string): ApiError {
  const b = res.body as any;
  const reason = typeof b === 'object' && b ? String(b.reason ?? '') : '';
  const message =
    typeof b === 'object' && b && typeof b.message === 'string'
      ? b.message
      : `${what}: status ${res.status}${typeof b === 'string' && b ? `: ${firstLine(b)}` : ''}`;
  return new ApiError(res.status, reason, message);
}
