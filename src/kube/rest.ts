import type https from 'node:https';
import { AnswerCutError, ExchangeTimeoutError, exchange } from '../util/http.js';
import { later, linkedSignal, pause } from '../util/interrupt.js';
import { apiRequestTimeout } from './client-timeout.js';
import { withCredentials } from './credentials.js';
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

/**
 * A request of a wait (see KubeRest.until) cut at the wait's deadline: the waiting code reports its own
 * timeout, naming this request as the reason when it knows no other.
 */
export class WaitDeadlineError extends MeshError {}

/**
 * A write (PATCH, POST, PUT, DELETE; not a dry run) that was sent but got no answer: the connection
 * ended, the deadline passed or the run was interrupted first. The server may have carried it out.
 */
export class AnswerLostError extends MeshError {}

/**
 * A failure answer that may pass by itself: a 5xx (an API server restarting or overloaded, a proxy in
 * front of it) or a 429 still refused after its retries. A wait polls again; elsewhere it is an error.
 */
export const isTransient = (err: unknown): err is ApiError =>
  err instanceof ApiError && (err.status === 429 || err.status >= 500);

/** How long a write in flight when the run is interrupted may still take to be answered (see abortable). */
export const WRITE_GRACE_MS = 2000;

export class KubeRest {
  /** Shared with the clients `until` makes, so that the credential step runs once. */
  private readonly shared: { options?: Promise<https.RequestOptions> } = {};
  /** The end of the wait this client's requests belong to (ms since the epoch), or Infinity. */
  private waitDeadline = Infinity;
  /** The run's interrupt (see abortable), and the same aborted WRITE_GRACE_MS later, for writes. */
  private signal?: AbortSignal;
  private writeSignal?: AbortSignal;

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
   * This client for the requests of a wait that ends at `deadline` (ms since the epoch): each request
   * ends by then too, with a WaitDeadlineError, instead of keeping its whole own timeout (a GET that got
   * no answer held `--readiness-timeout 5s` for the 30 s of `--timeout`).
   */
  until(deadline: number): KubeRest {
    const view = Object.create(this) as KubeRest;
    view.waitDeadline = deadline;
    return view;
  }

  /**
   * This client with requests that end when `signal` (the run's interrupt: Ctrl+C, SIGTERM) aborts, with
   * its reason: none starts after it; a read in flight ends at once; a write already sent gets
   * WRITE_GRACE_MS to be answered, so that what was applied or deleted is known in the usual case, and
   * then ends with an AnswerLostError. Before, a request that got no answer held the run until its
   * `--timeout` (or for ever with `--timeout 0`), the interrupt unheard.
   */
  abortable(signal: AbortSignal | undefined): KubeRest {
    if (!signal || signal === this.signal) return this;
    const view = Object.create(this) as KubeRest;
    view.signal = signal;
    view.writeSignal = later(signal, WRITE_GRACE_MS);
    return view;
  }

  private requestOptions(): Promise<https.RequestOptions> {
    this.shared.options ??= (async () => {
      const opts: https.RequestOptions = {};
      const limit = { timeoutMs: this.timeoutMs, flag: this.timeoutFlag };
      await withCredentials(this.kube, limit, () => this.kube.kc.applyToHTTPSOptions(opts));
      return opts;
    })();
    return this.shared.options;
  }

  /**
   * Any request; resolves for every HTTP status (non-JSON failure bodies come back as text). A success
   * answer that is not a JSON object rejects (see notJsonError); so does a write sent whose answer never
   * came, with an AnswerLostError.
   */
  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<RestResponse<T>> {
    this.signal?.throwIfAborted();
    const url = new URL(this.kube.url + path);
    const what = `${method} ${url.pathname}`;
    const write = method !== 'GET' && !/[?&]dryRun=All\b/.test(path);
    // one listener on the run's signal for all requests in flight, not one each (see linkedSignal)
    const shared = write ? this.writeSignal : this.signal;
    const link = shared && linkedSignal(shared);
    try {
      return await this.send(method, path, url, what, write, link?.signal, body, contentType);
    } finally {
      link?.dispose();
    }
  }

  private async send<T>(
    method: string,
    path: string,
    url: URL,
    what: string,
    write: boolean,
    signal: AbortSignal | undefined,
    body: unknown,
    contentType: string,
  ): Promise<RestResponse<T>> {
    const base = await this.requestOptions();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    // One deadline for the request, its retries and the waits between them (a timeout of 0 is none),
    // and not past the end of the wait the request belongs to.
    const own = this.timeoutMs > 0 ? Date.now() + this.timeoutMs : Infinity;
    const deadline = Math.min(own, this.waitDeadline);
    let answer;
    let retries = 0;
    let gaveUp = '';
    for (;;) {
      let sent = false;
      try {
        answer = await exchange(url, {
          ...base,
          method,
          headers: {
            ...base.headers,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}),
          },
          body: payload,
          timeoutMs:
            (retries === 0 && deadline === own) || deadline === Infinity
              ? this.timeoutMs
              : Math.max(1, deadline - Date.now()),
          signal,
          onSent: () => void (sent = true),
        });
      } catch (err) {
        const failure = this.failure(err, what, deadline < own);
        if (!write || !sent) throw failure;
        throw new AnswerLostError(
          failure instanceof UnreachableError
            ? `the Kubernetes API server ${this.kube.server} sent no answer to ${what}: ${describeError(err)}`
            : failure.message,
          { hint: failure instanceof UnreachableError ? undefined : failure.hint, cause: failure },
        );
      }
      // 429 Too Many Requests (API priority and fairness, a rate-limiting proxy): wait as the server
      // asks and send the same request again, as client-go does. The body is a buffer, resent as is.
      if (answer.status !== 429) break;
      if (retries >= MAX_429_RETRIES) break;
      const waitMs = retryAfterMs(answer.headers['retry-after']);
      if (Date.now() + waitMs >= deadline) {
        if (deadline < own) throw this.waitOver(what);
        gaveUp = `; the ${waitMs / 1000}s it asks to wait would pass the ${this.timeoutMs / 1000}s deadline (${this.timeoutFlag})`;
        break;
      }
      await pause(waitMs, signal);
      retries++;
    }
    const { status } = answer;
    let text = answer.body.toString('utf8');
    if (status === 429) text = tooManyRequests(text, retries, gaveUp);
    // No caller can do anything with rejected credentials but stop: one error naming the server.
    if (status === 401) throw credentialsRejected(this.kube);
    const parsed = jsonObject(text);
    if (status >= 200 && status < 300) {
      // Every success answer of the API server is a JSON object; anything else is not one.
      if (!parsed) throw notJsonError(this.kube, what, answer.headers['content-type'], text);
      // and every one but /version's is a Kubernetes object or list, which has a kind
      if (path !== '/version' && typeof parsed.kind !== 'string') throw notKubernetesError(this.kube, what);
    }
    return { status, body: (parsed ?? text) as T };
  }

  /** The error for an exchange that ended without an answer: the interrupt's reason, a deadline, a lost connection. */
  private failure(err: unknown, what: string, waitCut: boolean): MeshError {
    if (this.signal?.aborted && err === this.signal.reason)
      return err instanceof MeshError ? err : new MeshError(describeError(err));
    if (err instanceof ExchangeTimeoutError)
      return waitCut ? this.waitOver(what) : timeoutError(this.kube, this.timeoutMs, what, this.timeoutFlag);
    if (err instanceof AnswerCutError) return answerCutError(this.kube, err, what);
    return this.unreachable(err);
  }

  private waitOver(what: string): WaitDeadlineError {
    return new WaitDeadlineError(
      `the Kubernetes API server ${this.kube.server} did not answer ${what} within the wait`,
    );
  }

  private unreachable(err: unknown): UnreachableError {
    return new UnreachableError(
      `cannot reach the Kubernetes API server ${this.kube.server}: ${describeError(err)}`,
      {
        hint: unreachableHint(this.kube, err),
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

/** How many times a request answered 429 Too Many Requests is sent again. */
export const MAX_429_RETRIES = 5;
/** The longest wait before a retry, whatever `Retry-After` asks. */
const MAX_RETRY_AFTER_MS = 10_000;

/** A 429's `Retry-After` (whole seconds; absent or unreadable: 1 s), capped at 10 s. */
function retryAfterMs(header: string | string[] | undefined): number {
  const value = String(Array.isArray(header) ? header[0] : (header ?? '')).trim();
  const seconds = /^\d+$/.test(value) ? Number(value) : 1;
  return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
}

/** The final 429 answer as a Status whose message says how often the request was retried. */
function tooManyRequests(text: string, retries: number, gaveUp: string): string {
  const parsed = jsonObject(text);
  const message =
    typeof parsed?.message === 'string' && parsed.message
      ? parsed.message
      : `Too many requests${text.trim() ? `: ${firstLine(text.trim())}` : ''}`;
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    reason: typeof parsed?.reason === 'string' ? parsed.reason : 'TooManyRequests',
    code: 429,
    ...(parsed?.details ? { details: parsed.details } : {}),
    message: `${message} (the API server answered 429 Too Many Requests; ${retries > 0 ? `retried ${retries} time(s)` : 'not retried'}${gaveUp})`,
  });
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

/** The one-line error for an answer the connection's end cut short. */
export function answerCutError(kube: KubeContext, err: AnswerCutError, what: string): MeshError {
  return new MeshError(
    `the Kubernetes API server ${kube.server} closed the connection after ${err.received} bytes of the answer (${what})`,
    { hint: 'the server, or a proxy in between, cut the answer short: retry, and check its logs' },
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

/**
 * The one-line error for a success answer that is a JSON object but no Kubernetes object or list (it has
 * no `kind`): read as one, `{}` passed for an empty cluster ("No validation issues found", an install
 * plan with nothing to do) or failed later with "undefined" in the message.
 */
export function notKubernetesError(kube: KubeContext, what: string): MeshError {
  return malformedAnswer(
    kube,
    what,
    'a JSON object that is not a Kubernetes object or list (it has no "kind")',
  );
}

/** The one-line error for a success answer that is not what `what` answers (`an object without "metadata"`). */
export function malformedAnswer(kube: KubeContext, what: string, problem: string): MeshError {
  return new MeshError(`the Kubernetes API server ${kube.server} answered ${what} with ${problem}`, {
    hint: `check that the server of context "${kube.contextName}" is the cluster's API server`,
  });
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

/**
 * The ApiError of a failure answer: the server's message, or `<what>: status N…` when it gave none;
 * `named`: `<what>: <the server's message>` (a 503's "the server is currently unable to handle the
 * request" names no object).
 */
export function apiError(res: RestResponse, what: string, named = false): ApiError {
  const b = res.body as any;
  const reason = typeof b === 'object' && b ? String(b.reason ?? '') : '';
  const own = typeof b === 'object' && b && typeof b.message === 'string' ? (b.message as string) : undefined;
  const message =
    own === undefined
      ? `${what}: status ${res.status}${typeof b === 'string' && b ? `: ${firstLine(b)}` : ''}`
      : named
        ? `${what}: ${own}`
        : own;
  return new ApiError(res.status, reason, message);
}

/** apiError, `what` prefixed unless the server's message already names the object (`name`). */
export function apiErrorNaming(res: RestResponse, what: string, name: string): ApiError {
  const err = apiError(res, what);
  return err.message.includes(name) ? err : apiError(res, what, true);
}

/** OpenSSL's codes for a server certificate no CA the client trusts has signed. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * What to do when the API server could not be reached: a server that answered with a certificate this
 * kubeconfig does not trust is up, and "check that it is reachable" sent users the wrong way.
 */
export function unreachableHint(kube: KubeContext, err: unknown): string {
  const cluster = kube.kc.getCurrentCluster()?.name ?? '';
  let code: unknown;
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 5 && code === undefined;
    i++
  ) {
    code = e.code;
    e = e.cause as typeof e;
  }
  if (typeof code === 'string' && UNTRUSTED.has(code))
    return `the server's certificate is not signed by a CA the kubeconfig trusts for cluster "${cluster}": set its certificate-authority(-data) to the cluster's CA`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's certificate is not issued for the host name in the server URL of cluster "${cluster}": use a name it is issued for, or set tls-server-name`;
  if (code === 'INVALID_PURPOSE')
    return `the server's certificate is not one for a TLS server (its key usage): check the certificate the API server of cluster "${cluster}" presents`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `the server's certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}: check the cluster's certificates and this machine's clock`;
  return `check that the cluster of context "${kube.contextName}" is up and reachable`;
}
