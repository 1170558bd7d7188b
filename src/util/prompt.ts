/** Questions on the terminal before a change: the prompt on stderr, the answer from stdin. */
import { MeshError, usageError } from './errors.js';

/** Whether a question can be asked: stdin and stderr are a terminal. */
export const interactive = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** One line from the terminal (the prompt on stderr). Ctrl+C or Ctrl+D aborts: nothing is changed. */
export async function ask(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } catch (err) {
    if ((err as Error).name === 'AbortError')
      throw new MeshError(
        `aborted (${(err as Error).message.replace(/^Aborted with /, '')}): nothing was changed`,
      );
    throw err;
  } finally {
    rl.close();
  }
}

/**
 * Asks before a destructive change: on a terminal unless `-y` (`opts.skipConfirmation`); off a terminal
 * `-y` is required (exit 64). Any answer but y/yes aborts: nothing is changed.
 */
export async function confirm(opts: Record<string, any>, question: string): Promise<void> {
  if (opts.skipConfirmation) return;
  if (!interactive())
    throw usageError(`${question.replace(/\?$/, '')}: refusing without -y (not a terminal)`);
  const answer = (await ask(`${question} [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new MeshError('aborted: nothing was changed');
}
