import type { ErrorObject } from 'ajv';
import { formatPath, type PathSegment } from '../../manifests/path.js';
import { deref, objectSchema, type SchemaKind, type SchemaNode } from './compile.js';

/** One structural problem: the text after "Schema validation error: " and the field it is about. */
export interface SchemaIssue {
  /** Field path, e.g. `spec.http[0].route[0].weight`; for a missing field, the path it would have. */
  path: string;
  message: string;
}

/** Turns ajv errors into messages that name the field, what was expected and what was found. */
export function describeErrors(
  errors: readonly ErrorObject[],
  data: unknown,
  entry: SchemaKind,
): SchemaIssue[] {
  const schemas = new SchemaWalker(entry);
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  // A value of the wrong type fails its other keywords (enum, pattern…) too; the type error says it all.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const err of errors) {
    if (err.keyword !== 'type' && wrongType.has(err.instancePath)) continue;
    const segs = segmentsOf(err.instancePath, data);
    const issue = describe(err, segs, valueAt(data, segs), schemas);
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

function describe(err: ErrorObject, segs: PathSegment[], value: unknown, schemas: SchemaWalker): SchemaIssue {
  const path = formatPath(segs);
  const at = (text: string): SchemaIssue => ({ path, message: `${path}: ${text}` });
  const p = err.params as Record<string, any>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      const where = path === '' ? '' : ` in ${path}`;
      const hint = schemas.suggestField(segs, field);
      return { path: formatPath([...segs, field]), message: `unknown field "${field}"${where}${hint}` };
    }
    case 'required': {
      const field = String(p.missingProperty);
      const where = path === '' ? '' : ` in ${path}`;
      return { path: formatPath([...segs, field]), message: `missing required field "${field}"${where}` };
    }
    case 'type':
      return at(`must be ${[p.type].flat().join(' or ')}, got ${describeValue(value)}`);
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const hint = typeof value === 'string' ? closest(value, allowed) : undefined;
      const suffix = hint ? ` (did you mean "${hint}"?)` : '';
      return at(`must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}${suffix}`);
    }
    case 'pattern': {
      const description = schemas.nodeAt(segs)?.description;
      const expected = description ? `be ${description}` : `match the pattern ${p.pattern}`;
      return at(`must ${expected}, got ${JSON.stringify(value)}`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(`must be ${p.comparison} ${p.limit}, got ${describeValue(value)}`);
    case 'minLength':
      return at(p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long`);
    case 'maxLength':
      return at(`must be at most ${p.limit} characters long, got ${String(value).length}`);
    case 'minItems':
      return at(`must have at least ${p.limit} item(s), got ${(value as unknown[]).length}`);
    case 'maxItems':
      return at(`must have at most ${p.limit} items, got ${(value as unknown[]).length}`);
    case 'minProperties':
      return at(`must have at least ${p.limit} entr${p.limit === 1 ? 'y' : 'ies'}`);
    case 'maxProperties':
      return at(`must have at most ${p.limit} entries, got ${Object.keys(value as object).length}`);
    case 'not': {
      const exclusive = exclusiveFields(schemas.nodeAt(segs)?.not, value);
      if (exclusive)
        return { path: formatPath([...segs, exclusive.last]), message: `${path}: ${exclusive.text}` };
      return at(err.message ?? 'is not allowed');
    }
    default:
      return at(err.message ?? `fails "${err.keyword}"`);
  }
}

/**
 * Mutually exclusive fields are written `not: {anyOf: [{required: [a, b]}, …]}` (one branch per forbidden
 * pair). Names the fields found together and, for the field to point at, the last of them in the document.
 */
function exclusiveFields(not: any, value: unknown): { text: string; last: string } | undefined {
  const pairs: string[][] | undefined = not?.anyOf?.map((b: any) => b.required);
  if (!pairs || pairs.some((r) => !Array.isArray(r)) || !value || typeof value !== 'object') return undefined;
  const keys = Object.keys(value);
  const found = keys.filter((k) => pairs.some((r) => r.includes(k) && r.every((f) => keys.includes(f))));
  if (found.length < 2) return undefined;
  const group = [...new Set(pairs.flat())].filter((f) =>
    pairs.some((r) => r.includes(f) && r.some((g) => found.includes(g))),
  );
  const clique = group.every((a) =>
    group.every((b) => a === b || pairs.some((r) => r.includes(a) && r.includes(b))),
  );
  const text =
    clique && group.length > 2
      ? `only one of ${group.join(', ')} may be set (found ${found.join(', ')})`
      : `${found.join(' and ')} cannot be set together`;
  return { text, last: found[found.length - 1]! };
}

/** `string "50"`, `number 1.5`, `boolean true`, `object`, `array`. */
function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** Splits a JSON pointer; a segment is an array index only where the data there is an array. */
function segmentsOf(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segs: PathSegment[] = [];
  let cur: any = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(cur) ? Number(key) : key;
    segs.push(seg);
    cur = cur?.[seg];
  }
  return segs;
}

function valueAt(data: unknown, segs: readonly PathSegment[]): unknown {
  let cur: any = data;
  for (const s of segs) cur = cur?.[s];
  return cur;
}

/** Reads the schema nodes that apply at a path (only on the error path: validation never needs this). */
class SchemaWalker {
  private readonly root: any;
  constructor(entry: SchemaKind) {
    this.root = objectSchema(entry);
  }

  /** The schema of the value at `segs`, $refs resolved. */
  nodeAt(segs: readonly PathSegment[]): any {
    return this.walk(segs)?.schema;
  }

  /** " (did you mean …?)" for an unknown field: a near miss, a field up to two levels down, or one level up. */
  suggestField(segs: readonly PathSegment[], field: string): string {
    const here = this.walk(segs);
    if (!here) return '';
    const near = closest(field, Object.keys(here.schema.properties ?? {}));
    if (near) return ` (did you mean "${near}"?)`;
    const nested = this.findBelow(here, field, 2);
    if (nested) return ` (did you mean "${nested}"?)`;
    let up = segs.length - 1;
    while (up >= 0 && typeof segs[up] === 'number') up--;
    if (up >= 0) {
      const parentSegs = segs.slice(0, up);
      if (this.nodeAt(parentSegs)?.properties?.[field] !== undefined)
        return ` ("${field}" belongs in ${formatPath(parentSegs) || 'the top level'})`;
    }
    return '';
  }

  /** `a.b.field` when `field` is a property of an object (or list of objects) at most `depth` levels down. */
  private findBelow(node: SchemaNode, field: string, depth: number): string | undefined {
    const subs: Array<[string, SchemaNode]> = [];
    for (const name of Object.keys(node.schema.properties ?? {})) {
      let sub = this.child(node, name);
      if (sub?.schema.type === 'array') sub = this.child(sub, 0);
      if (sub) subs.push([name, sub]);
    }
    const direct = subs.find(([, sub]) => sub.schema.properties?.[field] !== undefined);
    if (direct) return `${direct[0]}.${field}`;
    if (depth <= 1) return undefined;
    for (const [name, sub] of subs) {
      const deeper = this.findBelow(sub, field, depth - 1);
      if (deeper) return `${name}.${deeper}`;
    }
    return undefined;
  }

  private walk(segs: readonly PathSegment[]): SchemaNode | undefined {
    let node: SchemaNode | undefined = deref(this.root, '');
    for (const seg of segs) node = node && this.child(node, seg);
    return node;
  }

  private child(node: SchemaNode, seg: PathSegment): SchemaNode | undefined {
    const s = node.schema;
    let next: any;
    if (typeof seg === 'number') next = s.items;
    else
      next =
        s.properties?.[seg] ??
        (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    return next === undefined ? undefined : deref(next, node.file);
  }
}

/**
 * The candidate closest to `word`: the same name but for case, `_` and `-`; else within 1–2 edits; else one
 * name containing the other (`matchLabels` for `labels`).
 */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const w = norm(word);
  const exact = candidates.find((c) => norm(c) === w);
  if (exact) return exact;
  const limit = w.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(w, norm(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== undefined || w.length < 4) return best;
  const containing = candidates.filter(
    (c) => norm(c).includes(w) || (norm(c).length >= 4 && w.includes(norm(c))),
  );
  return containing.length === 1 ? containing[0] : undefined;
}

/** Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
