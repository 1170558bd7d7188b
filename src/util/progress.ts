import type { Progress } from '../kube/installer.js';
import { spinnerAllowed, trackSpinner } from './spinner.js';
import { ansi, colorEnabled } from './tty.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * Progress of a long operation on `stream` (stderr; stdout is never touched). On a terminal: one ora
 * spinner per step showing what it waits for and the time since the step started, ticking; ✔/✘ lines
 * stay. Elsewhere: a plain line when a step starts, when what it waits for changes (not on every poll,
 * with the time so far), and when it ends. Colour only as colorEnabled(stream) says (NO_COLOR).
 */
export async function progressReporter(
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): Promise<Progress> {
  let text = '';
  let since = now();
  const line = () => `${text} (${seconds(now() - since)})`;
  if (!spinnerAllowed(stream)) {
    const write = (s: string) => stream.write(`${s}\n`);
    return {
      start: (t) => {
        [text, since] = [t, now()];
        write(t);
      },
      update: (t) => {
        if (t === text) return;
        text = t;
        write(line());
      },
      succeed: (t) => write(`✔ ${t}`),
      fail: (t) => write(`✘ ${t}`),
    };
  }
  const ora = (await import('ora')).default;
  const on = colorEnabled(stream);
  let spinner: ReturnType<typeof ora> | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const end = (symbol: string, t: string) => {
    clearInterval(ticker);
    if (spinner) trackSpinner(spinner, false);
    spinner?.stopAndPersist({ symbol, text: t });
    spinner = undefined;
  };
  return {
    start: (t) => {
      if (spinner) end('-', line());
      [text, since] = [t, now()];
      // discardStdin off: ora's discarder puts the terminal in raw mode and listens with prependListener,
      // which never sets stdin flowing, so Ctrl+C was neither a signal nor read: it did nothing at all.
      spinner = trackSpinner(ora({ text: line(), stream, color: on ? 'cyan' : false, discardStdin: false }));
      ticker = setInterval(() => spinner && (spinner.text = line()), 100);
    },
    update: (t) => {
      text = t;
      if (spinner) spinner.text = line();
    },
    succeed: (t) => end(ansi.green('✔', on), t),
    fail: (t) => end(ansi.boldRed('✘', on), t),
  };
}
