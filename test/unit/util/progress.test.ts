import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressReporter } from '../../../src/util/progress.js';
import { spinnerAllowed } from '../../../src/util/spinner.js';

/** A stream that records what is written; `isTTY` as a terminal would say. */
function stream(isTTY: boolean) {
  const out: string[] = [];
  return { out, s: { isTTY, write: (t: string) => out.push(t) } as unknown as NodeJS.WriteStream };
}

afterEach(() => vi.unstubAllEnvs());

describe('progress', () => {
  it('animates only on a terminal, not under CI nor with TERM=dumb', () => {
    expect(spinnerAllowed(stream(true).s, { TERM: 'xterm' })).toBe(true);
    expect(spinnerAllowed(stream(false).s, { TERM: 'xterm' })).toBe(false);
    expect(spinnerAllowed(stream(true).s, { TERM: 'dumb' })).toBe(false);
    expect(spinnerAllowed(stream(true).s, { TERM: 'xterm', CI: 'true' })).toBe(false);
    // a terminal that reports no width: ora would clear Infinity lines a frame
    const zero = { ...stream(true).s, columns: 0 } as NodeJS.WriteStream;
    expect(spinnerAllowed(zero, { TERM: 'xterm' })).toBe(false);
  });

  it('plain lines: a step, each change of what it waits for with the time so far (not every poll), the end', async () => {
    vi.stubEnv('CI', 'true');
    const { out, s } = stream(true);
    let now = 1000;
    const p = await progressReporter(s, () => now);
    p.start('Pilot: applying 3 object(s)');
    now += 1500;
    p.update('Pilot: waiting for Deployment/ns/istiod (0/1 replicas ready; no pods yet)');
    now += 1000;
    p.update('Pilot: waiting for Deployment/ns/istiod (0/1 replicas ready; no pods yet)');
    now += 1000;
    p.update('Pilot: waiting for Deployment/ns/istiod (0/1 replicas ready; pod istiod-x: phase Pending)');
    p.succeed('Pilot: 3 object(s) applied and ready (3.5s)');
    expect(out.join('')).toBe(
      [
        'Pilot: applying 3 object(s)',
        'Pilot: waiting for Deployment/ns/istiod (0/1 replicas ready; no pods yet) (1.5s)',
        'Pilot: waiting for Deployment/ns/istiod (0/1 replicas ready; pod istiod-x: phase Pending) (3.5s)',
        '✔ Pilot: 3 object(s) applied and ready (3.5s)',
        '',
      ].join('\n'),
    );
  });
});
