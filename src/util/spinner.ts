import type { Ora } from 'ora';
import { colorEnabled } from './tty.js';

/**
 * Whether a spinner may animate on `stream`: a terminal that has a width, TERM not "dumb", and not under CI
 * (where ora itself would stay still). Elsewhere progress is plain lines. A terminal that reports 0 columns
 * (`docker run -t`, some CI pseudo-terminals, `script` without a terminal) made ora clear an infinite
 * number of lines on every frame: mesh wrote gigabytes of escape codes and, the loop being synchronous,
 * never ended, not even on SIGTERM.
 */
export function spinnerAllowed(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && stream.columns !== 0 && env.TERM !== 'dumb' && !('CI' in env);
}

/**
 * Awaits `work`, showing a spinner with `text` on `stream` (stderr) once the wait has lasted `afterMs`
 * (one second): only where spinnerAllowed says. Short waits, pipes and files see nothing; stdout is never
 * touched. A `text` function is asked again on every frame (progress).
 */
export async function whileWaiting<T>(
  text: string | (() => string),
  work: Promise<T>,
  stream: NodeJS.WriteStream = process.stderr,
  afterMs = 1000,
): Promise<T> {
  if (!spinnerAllowed(stream)) return work;
  const current = typeof text === 'function' ? text : () => text;
  let spinner: Ora | undefined;
  let frames: NodeJS.Timeout | undefined;
  let done = false;
  const timer = setTimeout(() => {
    void import('ora').then(({ default: ora }) => {
      if (done) return;
      const color = colorEnabled(stream) ? 'cyan' : false;
      const shown = (spinner = ora({ text: current(), stream, color }).start());
      if (typeof text === 'function') frames = setInterval(() => (shown.text = current()), 100);
    });
  }, afterMs);
  try {
    return await work;
  } finally {
    done = true;
    clearTimeout(timer);
    clearInterval(frames);
    spinner?.stop();
  }
}
