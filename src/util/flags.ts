import type { Command } from 'commander';
import { usageError } from './errors.js';

/** Commander's parser for a repeatable flag: each value is added to the list of those before it. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const GO_BOOLS = new Map<string, boolean>([
  ...['1', 't', 'T', 'true', 'TRUE', 'True'].map((s): [string, boolean] => [s, true]),
  ...['0', 'f', 'F', 'false', 'FALSE', 'False'].map((s): [string, boolean] => [s, false]),
]);

/**
 * A boolean as Go's strconv.ParseBool reads it (istioctl's flags and `--set` values, the annotations
 * istiod reads); undefined for any other spelling.
 */
export function goBool(text: string): boolean | undefined {
  return GO_BOOLS.get(text);
}

/**
 * pflag's `=` syntax (istioctl's, kubectl's) for every flag of `command`, rewritten before commander parses:
 * - a boolean flag, i.e. one that takes no value: `--flag=true|false` and `-f=…`, in Go's spellings.
 *   Commander takes no `=value` on such flags, so true becomes `--flag` and false `--no-flag` when the
 *   command has that, else nothing (the flag stays unset); any other value is a usage error. The next
 *   argument is never a bool flag's value (`--use-kube FILE` keeps FILE a path).
 * - a short flag that takes a value: `-n=istio-system` is `-n istio-system` (commander would read
 *   `=istio-system`); `--namespace=…` commander already reads.
 * Arguments after `--` are left alone.
 */
export function pflagArgs(command: Command, args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return [...out, ...args.slice(i)];
    const m = /^(--[^=]+|-[^-=])=(.*)$/s.exec(arg);
    const flag = m?.[1];
    const takesValue = m && command.options.find((o) => (o.required || o.optional) && o.short === flag);
    if (takesValue) {
      // attached, as commander reads `-nVALUE` whatever VALUE starts with; an empty value stands alone
      if (m[2] === '') out.push(flag!, '');
      else out.push(`${flag}${m[2]}`);
      continue;
    }
    const option = command.options.find(
      (o) => !o.negate && !o.required && !o.optional && (o.long === flag || o.short === flag),
    );
    if (!m || !option?.long) {
      out.push(arg);
      continue;
    }
    const value = goBool(m[2]!);
    if (value === undefined)
      throw usageError(`invalid argument "${m[2]}" for "${flag}" flag: expected true or false`);
    const negation = `--no-${option.long.slice(2)}`;
    if (value) out.push(option.long);
    else if (command.options.some((o) => o.long === negation)) out.push(negation);
  }
  return out;
}
