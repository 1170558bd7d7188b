import { MeshError } from './errors.js';

export interface Interrupt {
  /** Aborted at the first Ctrl+C or SIGTERM; its reason is the MeshError to end with. */
  readonly signal: AbortSignal;
  /** What the command is doing now, for the message (`applying`, `deleting`, `waiting …`). */
  during(what: string): void;
  /** Stops listening (call when the interruptible part is over). */
  dispose(): void;
}

/**
 * Ctrl+C (or SIGTERM) while a command changes the cluster: the first one aborts `signal` with
 * `interrupted (Ctrl+C) while <what>`, so the command stops its writes and reports what it did instead of
 * dying silently halfway; a second one ends mesh at once (exit 130). (`on`, not `once`: signal-exit,
 * which ora loads, re-raises the signal when it sees no other listener left.)
 */
export function interruptible(what: string): Interrupt {
  const controller = new AbortController();
  let doing = what;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new MeshError(`interrupted (${sig === 'SIGINT' ? 'Ctrl+C' : sig}) while ${doing}`));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    during: (next) => void (doing = next),
    dispose: () => void process.off('SIGINT', onSignal).off('SIGTERM', onSignal),
  };
}

/** Sleeps `ms`, or less when `signal` aborts meanwhile (then throws its reason). */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
  signal?.throwIfAborted();
}

/**
 * A signal aborted when the first of `signals` aborts, with its reason (AbortSignal.any, which Node has
 * only from 20.3; mesh runs on every Node 20).
 */
export function eitherSignal(...signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  const aborted = signals.find((s) => s.aborted);
  if (aborted) controller.abort(aborted.reason);
  else
    for (const s of signals)
      s.addEventListener('abort', () => controller.abort(s.reason), {
        once: true,
        signal: controller.signal,
      });
  return controller.signal;
}

/** A signal that aborts `ms` after `signal` does, with its reason. */
export function later(signal: AbortSignal, ms: number): AbortSignal {
  const controller = new AbortController();
  const abort = () => void setTimeout(() => controller.abort(signal.reason), ms).unref();
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  return controller.signal;
}
