/**
 * Ctrl+C and SIGTERM while a command changes the cluster: the first aborts the work (which then reports
 * what it did), a second ends mesh at once with the exit status a shell gives a process the signal ended.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { interruptible } from '../../../src/util/interrupt.js';

describe('interruptible', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const [first, second, code] of [
    ['SIGINT', 'SIGINT', 130],
    ['SIGINT', 'SIGTERM', 143],
    ['SIGTERM', 'SIGTERM', 143],
  ] as const)
    it(`${first} aborts with the work named, a second ${second} exits ${code}`, () => {
      const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
      const interrupt = interruptible('applying');
      try {
        process.emit(first, first);
        expect(interrupt.signal.aborted).toBe(true);
        expect((interrupt.signal.reason as Error).message).toBe(
          `interrupted (${first === 'SIGINT' ? 'Ctrl+C' : 'SIGTERM'}) while applying`,
        );
        expect(interrupt.received).toBe(first);
        expect(exit).not.toHaveBeenCalled();
        process.emit(second, second);
        expect(exit).toHaveBeenCalledWith(code);
      } finally {
        interrupt.dispose();
      }
    });
});
