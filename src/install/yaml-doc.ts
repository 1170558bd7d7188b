import type { Document } from 'yaml';
import { describeError, ExitCode, MeshError } from '../util/errors.js';

/**
 * The one-line error for a YAML syntax error (the `yaml` package's, thrown or in `doc.errors`): the
 * source, the line when the parser knows it (`?` otherwise) and the first line of the message; exit 65.
 */
export function yamlSyntaxError(
  source: string,
  err: { message: string; linePos?: ReadonlyArray<{ line: number }> },
): MeshError {
  return new MeshError(`${source}:${err.linePos?.[0]?.line ?? '?'}: ${err.message.split('\n')[0]}`, {
    exitCode: ExitCode.DATA,
  });
}

/**
 * A parsed YAML document as plain data. The parser refuses aliases that would expand without bound (a
 * "billion laughs" file): that is unusable input naming the file (exit 65), not a runtime failure.
 */
export function docValue(doc: Document.Parsed, source: string): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    throw new MeshError(`${source}: ${describeError(err)}`, { exitCode: ExitCode.DATA });
  }
}

/**
 * Options for the `yaml` parser. Merge keys (`<<: *defaults`) are read as Kubernetes and istioctl read
 * them (YAML 1.1's, which `yaml` leaves out of YAML 1.2 unless asked). Quiet: it reports what it does not
 * stop on (a mapping used as a key, as an unrendered `{{ … }}` template is) as a Node process warning on
 * stderr, which users of a CLI should not see; mesh reads those documents' problems itself.
 */
export const YAML_READ = { logLevel: 'error', merge: true } as const;
