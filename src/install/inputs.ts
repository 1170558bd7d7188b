import { Command } from 'commander';
import { readNamedInput } from '../util/input.js';
import { usageError } from '../util/errors.js';
import { resolveSpec, type InstallSpec } from './spec.js';
import type { JsonMap } from './values.js';
import { collect } from '../util/flags.js';

/** The rendering flags every install-family command takes (same names as istioctl's). */
export function addSpecOptions(cmd: Command, fileFlag = '-f, --filename <file>'): Command {
  return cmd
    .option(fileFlag, 'IstioOperator file (repeatable, merged left to right; - = stdin)', collect, [])
    .option(
      '-s, --set <path=value>',
      'set a spec field, e.g. values.global.proxy.logLevel=debug (repeatable)',
      collect,
      [],
    )
    .option('-r, --revision <name>', 'control plane revision (a DNS-1123 label)');
}

/** Reads the `-f` files (stdin at most once) and resolves the install spec (with injector `values`). */
export async function specFromOptions(
  opts: {
    filename?: string[] | string;
    operatorFileName?: string[];
    set: string[];
    revision?: string;
  },
  values?: JsonMap,
): Promise<InstallSpec> {
  const names = opts.operatorFileName ?? (Array.isArray(opts.filename) ? opts.filename : []);
  if (names.filter((f) => f === '-').length > 1) throw usageError('-f - (stdin) can be given only once');
  const files: Array<{ name: string; text: string }> = [];
  // a file that does not exist or cannot be read: exit 66, as every command's input file
  for (const f of names) files.push({ name: f === '-' ? '<stdin>' : f, text: await readNamedInput(f) });
  return resolveSpec({
    files,
    ...(values ? { values } : {}),
    sets: opts.set,
    ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
  });
}
