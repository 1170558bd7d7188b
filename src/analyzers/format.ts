/**
 * Formats message arguments the way istioctl prints them (Go fmt verbs), so message text reads the same:
 * `%s`/`%v` plain (arrays as `[a b]`), `%q` double-quoted, `%d` integer.
 */
export function goFormat(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%([sqvd%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (verb === 'q') return quote(a);
    return plain(a);
  });
}

function quote(a: unknown): string {
  if (Array.isArray(a)) return `[${a.map(quote).join(' ')}]`;
  return JSON.stringify(a === undefined || a === null ? '' : String(a));
}

function plain(a: unknown): string {
  if (Array.isArray(a)) return `[${a.map(plain).join(' ')}]`;
  if (a === undefined || a === null) return '';
  if (a instanceof Error) return a.message;
  return String(a);
}
