import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { offsetInTree } from '../manifests/positions.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { VALUES_SCHEMA } from './spec-schema.js';
import { docValue, YAML_READ, yamlSyntaxError } from './yaml-doc.js';
import { formatPath, schemaProblems } from './spec.js';
import type { JsonMap } from './values.js';

/**
 * Reads kube-inject's `--valuesFile`: the injector's values as the `values` key of the injector ConfigMap
 * holds them (JSON or YAML), or that whole ConfigMap. Checked against the same schema as an
 * IstioOperator's `spec.values`: a syntax error, an unknown field or a bad value is an error naming the
 * file and line (exit 65). Pure.
 */
export function parseValuesFile(name: string, text: string): JsonMap {
  const file = parseOne(name, text, 0);
  let values = file;
  const root = file.doc.contents;
  if (isMap(root) && (root.get('kind') as unknown) === 'ConfigMap') {
    const data = root.get('data', true);
    const node = isMap(data) ? data.get('values', true) : undefined;
    if (!isScalar(node) || typeof node.value !== 'string')
      throw dataError(`${name}: ConfigMap has no data.values (the injector's values)`);
    // A block scalar's text starts on the line after its `|` header; other strings only get a count.
    const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
    const headerLine = file.lines.linePos(node.range![0]).line;
    values = parseOne(block ? name : `${name} (data.values)`, node.value, block ? headerLine : 0);
  }
  const value = docValue(values.doc, values.name, (o) => `${values.name}:${values.lineAt(o)}`);
  if (value === null || value === undefined) throw dataError(NO_VALUES(values.name));
  if (typeof value !== 'object' || Array.isArray(value))
    throw dataError(`${values.name}:${values.lineOf([])}: the injector values must be a map`);
  const problems = schemaProblems(VALUES_SCHEMA, value);
  if (problems.length > 0)
    throw dataError(
      problems
        .map((p) => `${values.name}:${values.lineOf(p.at)}: ${formatPath(p.at) || '(values)'}: ${p.message}`)
        .join('\n'),
    );
  return value as JsonMap;
}

const dataError = (message: string) => new MeshError(message, { exitCode: ExitCode.DATA });
const NO_VALUES = (name: string) => `${name}: no values (expected a map such as {"global": {"proxy": {…}}})`;

interface Parsed {
  name: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The line of the key (or list item) at `at`, or of the deepest part of it that exists. */
  lineOf(at: readonly string[]): number;
  /** The line of a text offset. */
  lineAt(offset: number): number;
}

/** One YAML/JSON document; `offset` lines are added to every line reported. */
function parseOne(name: string, text: string, offset: number): Parsed {
  const lines = new LineCounter();
  const docs = [...parseAllDocuments(text, { ...YAML_READ, lineCounter: lines })];
  const found = docs.filter((d) => d.contents !== null);
  if (found.length > 1) throw dataError(`${name}: expected one document, found ${found.length}`);
  const doc = found[0] ?? docs[0];
  if (!doc) throw dataError(NO_VALUES(name));
  const err = doc.errors[0];
  if (err) throw yamlSyntaxError(name, err, offset);
  return {
    name,
    doc,
    lines,
    lineAt: (o) => lines.linePos(o).line + offset,
    lineOf(at) {
      return this.lineAt(
        offsetInTree(
          doc.contents,
          at.map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
        ) ?? 0,
      );
    },
  };
}
