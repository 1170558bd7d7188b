/**
 * Objects declared to exist outside the inputs (`--external "Kind ns/name"`, `--external-file FILE`):
 * references to them count as resolved instead of missing. A pattern is `Kind namespace/name` for
 * namespaced kinds or `Kind name` for cluster-scoped ones; `*` matches any run of characters in each part,
 * and the kind is the bare kind (`Gateway` covers the Istio and the Gateway API kind), compared ignoring case.
 */
import { errnoText, readFlagFile } from '../util/input.js';
import { MeshError, usageError } from '../util/errors.js';
import { glob } from './suppress.js';

export interface ExternalPattern {
  /** The pattern as written. */
  text: string;
  kind: RegExp;
  namespace: RegExp | undefined;
  name: RegExp;
}

const PATTERN = /^(\S+)\s+(?:([^/\s]+)\/)?([^/\s]+)$/;

/** Parses one pattern; undefined when it is not `Kind ns/name` or `Kind name`. */
export function parseExternalPattern(text: string): ExternalPattern | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, kind, namespace, name] = m;
  return {
    text: text.trim(),
    kind: new RegExp(glob(kind!).source, 'i'),
    namespace: namespace === undefined ? undefined : glob(namespace),
    name: glob(name!),
  };
}

const HINT = 'write "Kind namespace/name" (or "Kind name" for cluster-scoped kinds); * is a wildcard';

/**
 * The patterns of `--external` values and of `--external-file` files (one pattern a line; blank lines and
 * `#` comments are ignored). A malformed pattern or an unreadable file is a usage error naming it.
 */
export function readExternalPatterns(values: readonly string[], files: readonly string[]): ExternalPattern[] {
  const out: ExternalPattern[] = [];
  for (const v of values) {
    const p = parseExternalPattern(v);
    if (!p) throw usageError(`invalid --external "${v}"`, HINT);
    out.push(p);
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFlagFile(file, 'cannot read --external-file ');
    } catch (err) {
      if (err instanceof MeshError) throw err;
      throw usageError(`cannot read --external-file ${file}: ${errnoText(err)}`);
    }
    text.split(/\r?\n/).forEach((line, i) => {
      const body = line.replace(/(^|\s)#.*$/, '').trim();
      if (body === '') return;
      const p = parseExternalPattern(body);
      // (the line as JSON, at most 80 characters: a binary file's bytes are not sent to the terminal)
      if (!p)
        throw usageError(
          `${file}:${i + 1}: invalid external object ${JSON.stringify(body.length > 80 ? `${body.slice(0, 80)}…` : body)}`,
          HINT,
        );
      out.push(p);
    });
  }
  return out;
}

/** Whether `Kind namespace/name` (namespace '' for cluster-scoped objects) is declared external. */
export function isExternal(
  patterns: readonly ExternalPattern[],
  kind: string,
  namespace: string,
  name: string,
): boolean {
  return patterns.some(
    (p) =>
      p.kind.test(kind) &&
      p.name.test(name) &&
      (p.namespace === undefined ? namespace === '' : p.namespace.test(namespace)),
  );
}
