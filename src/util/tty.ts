import { Chalk } from 'chalk';

/** Colour is on only for a TTY, with NO_COLOR unset and TERM not "dumb"; FORCE_COLOR forces it. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout, flag?: boolean): boolean {
  if (flag !== undefined) return flag;
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/** Colours for text that is shown only when `on` (see colorEnabled, which decides; chalk only paints). */
const paint = new Chalk({ level: 1 });

export const ansi = {
  boldRed: (s: string, on: boolean) => (on ? paint.bold.red(s) : s),
  yellow: (s: string, on: boolean) => (on ? paint.yellow(s) : s),
  green: (s: string, on: boolean) => (on ? paint.green(s) : s),
  dim: (s: string, on: boolean) => (on ? paint.dim(s) : s),
};
