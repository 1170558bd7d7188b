import type { Ora } from 'ora';
import { colorEnabled } from './tty.js';

/**
 * Awaits `work`, showing a spinner with `text` on `stream` (stderr) once the wait has lasted `afterMs`
 * (one second): only on a TTY, and ora itself stays quiet for TERM=dumb and in CI. Short waits, pipes and
 * files see nothing; stdout is never touched. A `text` function is asked again on every frame (progress).
 */
export async function whileWaiting<T>(
  text: string | (() => string),
  work: Promise<T>,
  stream: NodeJS.WriteStream = process.stderr,
  afterMs = 1000,
): Promise<T> {
  if (!stream.isTTY) return work;
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
