import { constants } from 'node:os';
import { MeshError } from './errors.js';

export interface Interrupt {
  /** Aborted at the first Ctrl+C or SIGTERM; its reason is the MeshError to end with. */
  readonly signal: AbortSignal;
  /** What the command is doing now, for the message (`applying`, `deleting`, `waiting …`). */
  during(what: string): void;
  /** Stops listening (call when the interruptible part is over). */
  dispose(): void;
  /** The signal received first (SIGINT for Ctrl+C), once one was. */
  readonly received: NodeJS.Signals | undefined;
}

/**
 * Ctrl+C (or SIGTERM) while a command changes the cluster: the first one aborts `signal` with
 * `interrupted (Ctrl+C) while <what>`, so the command stops its writes and reports what it did instead of
 * dying silently halfway; a second one ends mesh at once (exit 130, 143 for SIGTERM). (`on`, not `once`: signal-exit,
 * which ora loads, re-raises the signal when it sees no other listener left.)
 */
export function interruptible(what: string): Interrupt {
  const controller = new AbortController();
  let doing = what;
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signalExitCode(sig));
    received = sig;
    controller.abort(new MeshError(`interrupted (${sig === 'SIGINT' ? 'Ctrl+C' : sig}) while ${doing}`));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    during: (next) => void (doing = next),
    dispose: () => void process.off('SIGINT', onSignal).off('SIGTERM', onSignal),
    get received() {
      return received;
    },
  };
}

/** A shell's exit status for a process the signal ended: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + constants.signals[sig];
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
  else {
    // Removed by hand once one fires: the `signal` option of addEventListener would put a listener of
    // its own on the result for each source, next to those of every request that uses it.
    const listeners = signals.map((s) => {
      const onAbort = () => {
        signals.forEach((o, i) => o.removeEventListener('abort', listeners[i]!));
        controller.abort(s.reason);
      };
      s.addEventListener('abort', onAbort, { once: true });
      return onAbort;
    });
  }
  return controller.signal;
}

/** The requests linked to each signal (see linkedSignal), and its one listener. */
const links = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * A signal aborted (with its reason) when `signal` aborts, for one request: `dispose` unlinks it when the
 * request ends. However many requests run at once on `signal` (`--concurrency`, a readiness poll of 16
 * CRDs), `signal` gets one listener, not one per request: with one each, 11 requests in flight made Node
 * print `MaxListenersExceededWarning: Possible EventTarget memory leak detected` on every install.
 */
export function linkedSignal(signal: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  if (signal.aborted) {
    controller.abort(signal.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  let linked = links.get(signal);
  if (!linked) {
    const set = new Set<AbortController>();
    links.set(signal, (linked = set));
    signal.addEventListener(
      'abort',
      () => {
        links.delete(signal);
        for (const c of set) c.abort(signal.reason);
      },
      { once: true },
    );
  }
  linked.add(controller);
  const own = linked;
  return { signal: controller.signal, dispose: () => void own.delete(controller) };
}

/** A signal that aborts `ms` after `signal` does, with its reason. */
export function later(signal: AbortSignal, ms: number): AbortSignal {
  const controller = new AbortController();
  const abort = () => void setTimeout(() => controller.abort(signal.reason), ms).unref();
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  return controller.signal;
}
