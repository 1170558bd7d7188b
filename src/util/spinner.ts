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

/** Spinners on the screen now, and how many steps have lent the terminal to another program. */
const shown = new Set<Ora>();
let lent = 0;

/**
 * Starts `spinner`, or (`on` false) forgets it as it ends. While the terminal is lent (lendTerminal) it
 * starts when the terminal is back: even one frame would erase the line a prompt is on.
 */
export function trackSpinner(spinner: Ora, on = true): Ora {
  if (!on) shown.delete(spinner);
  else {
    shown.add(spinner);
    if (lent === 0) spinner.start();
  }
  return spinner;
}

/**
 * Runs `work` while another program (a credential plugin asking for a login) writes to the terminal
 * and reads from it: spinners stop drawing over its prompt, and start again after.
 */
export async function lendTerminal<T>(work: () => Promise<T>): Promise<T> {
  if (lent++ === 0) for (const s of shown) s.stop();
  try {
    return await work();
  } finally {
    if (--lent === 0) for (const s of shown) s.start();
  }
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
      // discardStdin off: ora's discarder puts the terminal in raw mode and reads it, so Ctrl+C was
      // neither a signal nor seen: mesh waited on to --timeout (and a plugin's prompt got no answer)
      const s = (spinner = trackSpinner(ora({ text: current(), stream, color, discardStdin: false })));
      if (typeof text === 'function') frames = setInterval(() => (s.text = current()), 100);
    });
  }, afterMs);
  try {
    return await work;
  } finally {
    done = true;
    clearTimeout(timer);
    clearInterval(frames);
    if (spinner) trackSpinner(spinner, false);
    spinner?.stop();
  }
}
