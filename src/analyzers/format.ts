import { text } from '../util/values.js';

/**
 * Formats message arguments the way istioctl prints them (Go fmt verbs), so message text reads the same:
 * `%s`/`%v` plain (arrays as `[a b]`), `%q` double-quoted, `%d` integer.
 */
export function goFormat(template: string, args: readonly unknown[]): string {
  // A scan for `%` rather than a replace() callback: every finding's message is formatted here. The pieces
  // are joined once, so a message is one flat string, not a tree of the pieces (a million findings'
  // messages are kept until the end: the tree took twice the memory).
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  for (let at = template.indexOf('%'); at >= 0; at = template.indexOf('%', from)) {
    const verb = template.charAt(at + 1);
    if (verb !== 's' && verb !== 'q' && verb !== 'v' && verb !== 'd' && verb !== '%') {
      parts.push(template.slice(from, at + 1));
      from = at + 1;
      continue;
    }
    parts.push(template.slice(from, at));
    from = at + 2;
    if (verb === '%') parts.push('%');
    else {
      const a = args[i++];
      parts.push(verb === 'q' ? quote(a) : plain(a));
    }
  }
  if (from === 0) return template;
  parts.push(template.slice(from));
  return parts.join('');
}

function quote(a: unknown): string {
  if (Array.isArray(a)) return '[' + a.map(quote).join(' ') + ']';
  return JSON.stringify(a === undefined || a === null ? '' : text(a));
}

function plain(a: unknown): string {
  if (Array.isArray(a)) return '[' + a.map(plain).join(' ') + ']';
  if (a === undefined || a === null) return '';
  if (a instanceof Error) return a.message;
  return text(a);
}
