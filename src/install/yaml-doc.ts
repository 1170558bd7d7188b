import type { Document } from 'yaml';
import { describeError, ExitCode, MeshError } from '../util/errors.js';

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
