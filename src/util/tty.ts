/** Colour is on only for a TTY, with NO_COLOR unset and TERM not "dumb"; FORCE_COLOR forces it. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout, flag?: boolean): boolean {
  if (flag !== undefined) return flag;
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export const ansi = {
  boldRed: (s: string, on: boolean) => (on ? `\x1b[1;31m${s}\x1b[0m` : s),
  yellow: (s: string, on: boolean) => (on ? `\x1b[33m${s}\x1b[0m` : s),
  green: (s: string, on: boolean) => (on ? `\x1b[32m${s}\x1b[0m` : s),
  dim: (s: string, on: boolean) => (on ? `\x1b[2m${s}\x1b[0m` : s),
};
