import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { whileWaiting } from '../../../src/util/spinner.js';

/** A stderr stand-in that records what is written; `isTTY` as a terminal or a pipe would report it. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, {
    isTTY,
    columns: 80,
    text: () => chunks.join(''),
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return w;
}

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('whileWaiting (spinner on stderr)', () => {
  const env = { ...process.env };
  it('shows the spinner on a terminal once a wait passes the threshold, then removes it', async () => {
    delete process.env.CI; // ora stays quiet in CI
    try {
      const err = stream(true);
      expect(await whileWaiting(() => 'Reading proxies: 3/5', later(400, 42), err, 50)).toBe(42);
      expect(err.text()).toContain('Reading proxies: 3/5');
    } finally {
      process.env = env;
    }
  });

  it('shows nothing for a short wait, nor ever on a pipe', async () => {
    delete process.env.CI;
    try {
      const tty = stream(true);
      expect(await whileWaiting('quick', later(5, 'ok'), tty, 200)).toBe('ok');
      await later(250, null);
      expect(tty.text()).toBe('');
      const pipe = stream(false);
      await whileWaiting('slow', later(300, 'ok'), pipe, 50);
      expect(pipe.text()).toBe('');
    } finally {
      process.env = env;
    }
  });

  it('passes failures through', async () => {
    await expect(whileWaiting('x', Promise.reject(new Error('boom')), stream(false))).rejects.toThrow('boom');
  });
});
