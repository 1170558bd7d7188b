/**
 * One HTTP(S) exchange, the way every mesh client needs it and Node's `http.request` (or node-fetch, which
 * client-node uses) does not give it: it settles exactly once, on every way an exchange can end. A
 * connection closed before the whole answer arrived is an error (node-fetch 2 never settled when an answer
 * with a Content-Length was cut short, and the CLI then exited 0 with nothing printed); so are a deadline
 * passing (one for connect, TLS and the whole answer, 0 = none) and an aborted signal. A gzip answer is
 * inflated, as fetch does; an answer larger than MAX_ANSWER_BYTES, as sent or inflated, is an error.
 */
import http from 'node:http';
import https from 'node:https';
import { gunzip } from 'node:zlib';
import { deadline } from './duration.js';
import { MAX_INPUT_BYTES } from './input.js';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The connection closed before the whole answer arrived. */
export class AnswerCutError extends Error {
  constructor(readonly received: number) {
    super(`the connection closed after ${received} bytes of the answer`);
  }
}

/** The answer (or what a gzip answer inflates to) is larger than the exchange takes. */
export class AnswerTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes / 1048576} MiB, more than mesh reads of one answer`);
  }
}

/**
 * The most an exchange takes of one answer, also once inflated: as much as any input (the body is read as
 * text). A gzip answer of a few megabytes that inflates to gigabytes, or an endless one, ended the process
 * by exhausting memory before.
 */
const MAX_ANSWER_BYTES = MAX_INPUT_BYTES;

/**
 * The deadline passed before the answer was complete: before it began, or (`partial`) part-way, with the
 * bytes received and, when the answer said it, its length. A server that stops sending, or that trickles,
 * is then told apart from one that never answered.
 */
export class ExchangeTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly partial?: { received: number; length?: number },
  ) {
    super(
      partial
        ? `answer incomplete after ${timeoutMs / 1000}s (${partial.received}${partial.length !== undefined ? ` of ${partial.length}` : ''} bytes received)`
        : `no answer within ${timeoutMs / 1000}s`,
    );
  }
}

export interface ExchangeOptions extends https.RequestOptions {
  body?: string | Buffer;
  /** One deadline for the whole exchange; 0 or absent: none. */
  timeoutMs?: number;
  /** Ends the exchange; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called once the whole request is written: from then on the server may act on it, answer or not. */
  onSent?: () => void;
}

export function exchange(url: URL, opts: ExchangeOptions = {}): Promise<HttpAnswer> {
  const { body, timeoutMs = 0, signal, onSent, ...requestOptions } = opts;
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    // once the answer began: what of it arrived (for a deadline that passes part-way)
    let partial: { received: number; length?: number } | undefined;
    const finish = (err: unknown, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      cancel();
      signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        req.destroy();
        reject(err);
      } else resolve(answer!);
    };
    const onAbort = () => finish(signal!.reason ?? new Error('aborted'));
    const req = transport.request(
      url,
      {
        ...requestOptions,
        headers: { 'Accept-Encoding': 'gzip', ...requestOptions.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const length = Number(res.headers['content-length']);
        partial = { received: 0, ...(Number.isSafeInteger(length) ? { length } : {}) };
        const progress = partial;
        res.on('data', (c: Buffer) => {
          received += c.length;
          progress.received = received;
          if (received > MAX_ANSWER_BYTES) return finish(new AnswerTooLargeError(MAX_ANSWER_BYTES));
          chunks.push(c);
        });
        const cut = () => finish(new AnswerCutError(received));
        res.on('aborted', cut);
        res.on('error', cut);
        res.on('close', () => {
          if (!res.complete) cut();
        });
        res.on('end', () => {
          if (!res.complete) return cut();
          const answer = (b: Buffer) => ({ status: res.statusCode ?? 0, headers: res.headers, body: b });
          const raw = Buffer.concat(chunks);
          if (!/^\s*(x-)?gzip\s*$/i.test(String(res.headers['content-encoding'] ?? '')))
            return finish(undefined, answer(raw));
          gunzip(raw, { maxOutputLength: MAX_ANSWER_BYTES }, (err, inflated) =>
            finish(
              err
                ? (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
                  ? new AnswerTooLargeError(MAX_ANSWER_BYTES)
                  : new Error(`the gzip answer does not inflate: ${err.message}`)
                : undefined,
              answer(inflated),
            ),
          );
        });
      },
    );
    const cancel = deadline(timeoutMs, () => finish(new ExchangeTimeoutError(timeoutMs, partial)));
    req.on('error', (err) => finish(err));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (onSent) req.once('finish', onSent);
    req.end(body);
  });
}
