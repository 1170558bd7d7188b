import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { firstNotJson, goValue } from '../manifests/json-form.js';
import { describeError, ExitCode, MeshError } from '../util/errors.js';

/**
 * The one-line error for a YAML syntax error (the `yaml` package's, thrown or in `doc.errors`): the
 * source, the line when the parser knows it (plus `lineOffset`, for a document that starts further down)
 * and the first line of the message, whose ` at line L, column C:` (an excerpt follows it) becomes
 * ` at column C`; exit 65.
 */
export function yamlSyntaxError(
  source: string,
  err: { message: string; linePos?: ReadonlyArray<{ line: number }> },
  lineOffset = 0,
): MeshError {
  const first = err.message.split('\n')[0]!;
  const at = / at line (\d+), column (\d+):?$/.exec(first);
  const what = at ? `${first.slice(0, at.index)} at column ${at[2]}` : first;
  const line = err.linePos?.[0]?.line ?? (at ? Number(at[1]) : undefined);
  return new MeshError(`${source}${line !== undefined ? `:${line + lineOffset}` : ''}: ${what}`, {
    exitCode: ExitCode.DATA,
  });
}

/**
 * A parsed YAML document as plain data, its plain scalars read as kubectl and istioctl read them (Go's
 * YAML 1.1 reader: `yes` and `on` are booleans, `017` is octal; see manifests/yaml-schema.ts), which the
 * `yaml` package's YAML 1.2 would read otherwise. The document itself is left as it was written. The
 * parser refuses aliases that would expand without bound (a "billion laughs" file): that is unusable input
 * naming the file (exit 65), not a runtime failure, and so is what has no JSON form (`.inf`, a null key:
 * kubectl and istioctl refuse it), named by `at` (the source and line of a text offset) when given.
 */
export function docValue(doc: Document.Parsed, source: string, at?: (offset: number) => string): unknown {
  const notJson = firstNotJson(doc);
  if (notJson)
    throw new MeshError(`${at?.(notJson.offset) ?? source}: ${notJson.message}`, { exitCode: ExitCode.DATA });
  try {
    // the copy only when some scalar reads otherwise: copying costs more than reading (a 39-document
    // manifest: ≈ 100 ms against ≈ 15 ms)
    let differs = false;
    visit(doc, {
      Scalar(_, node) {
        if (goValue(node) === node.value) return undefined;
        differs = true;
        return visit.BREAK;
      },
    });
    if (!differs) return doc.toJS();
    const read = doc.clone();
    visit(read, {
      Scalar(_, node) {
        node.value = goValue(node);
      },
    });
    return read.toJS();
  } catch (err) {
    throw new MeshError(`${source}: ${describeError(err)}`, { exitCode: ExitCode.DATA });
  }
}

/** YAML text as plain data, read as docValue reads it; a syntax error is thrown (the `yaml` package's). */
export function yamlValue(text: string, source: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...YAML_READ, lineCounter: lines });
  if (doc.errors.length > 0) throw doc.errors[0];
  return docValue(doc, source, (offset) => `${source}:${lines.linePos(offset).line}`);
}

/**
 * Options for the `yaml` parser. Merge keys (`<<: *defaults`) are read as Kubernetes and istioctl read
 * them (YAML 1.1's, which `yaml` leaves out of YAML 1.2 unless asked). Quiet: it reports what it does not
 * stop on (a mapping used as a key, as an unrendered `{{ … }}` template is) as a Node process warning on
 * stderr, which users of a CLI should not see; mesh reads those documents' problems itself.
 */
export const YAML_READ = { logLevel: 'error', merge: true } as const;
