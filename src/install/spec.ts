import { createRequire } from 'node:module';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ExitCode, MeshError } from '../util/errors.js';
import { isDnsLabel, isLabelName } from '../util/names.js';
import { defaultProfile, isProfileName, profileOverlay, PROFILE_NAMES } from './profiles.js';
import { ISTIO_OPERATOR_SCHEMA, takesOnlyString } from './spec-schema.js';
import { isMap, mergeTree, parseSetFlag, PathError, setPath, type Json, type JsonMap } from './values.js';
import { docValue, YAML_READ, yamlSyntaxError } from './yaml-doc.js';

/**
 * What the user gave: `-f` files (already read) in order, injector values (kube-inject's --valuesFile,
 * already parsed and validated), `--set` flags in order, `--revision`.
 */
export interface SpecInputs {
  files?: Array<{ name: string; text: string }>;
  values?: JsonMap;
  sets?: string[];
  revision?: string;
}

/** The merged, validated IstioOperator document and the facts the templates derive from it. */
export interface InstallSpec {
  /** The whole merged document (apiVersion, kind, metadata, spec). */
  operator: JsonMap;
  spec: JsonMap;
  profile: string;
  /** Install name (metadata.name, else "mesh"): the owning-install label of every object. */
  name: string;
  namespace: string;
  /** "" for the default revision. */
  revision: string;
  hub: string;
  tag: string;
}

/** Reads one `-f` file: exactly one IstioOperator document (comments and `---` around it are fine). */
export function parseOperatorFile(name: string, text: string): JsonMap {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_READ, lineCounter: lines }).filter(
    (d) => d.contents !== null,
  );
  if (docs.length !== 1)
    throw new MeshError(`${name}: expected one IstioOperator document, found ${docs.length}`, {
      exitCode: ExitCode.DATA,
    });
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw yamlSyntaxError(name, doc.errors[0]!);
  const value = docValue(doc, name, (offset) => `${name}:${lines.linePos(offset).line}`) as Json;
  if (!isMap(value)) throw new MeshError(`${name}: not a YAML map`, { exitCode: ExitCode.DATA });
  if (value.kind !== 'IstioOperator')
    throw new MeshError(
      `${name}: ${value.kind === undefined ? 'has no kind' : `kind is ${JSON.stringify(value.kind)}`}, expected kind: IstioOperator`,
      { exitCode: ExitCode.DATA },
    );
  return value;
}

type Validator = ((doc: unknown) => boolean) & { errors?: any[] | null };
const validators = new Map<object, Validator>();

/** One schema problem: where (keys from the validated document's root) and what. */
export interface SchemaProblem {
  at: string[];
  message: string;
}

/** `a.b[0].c` for the keys of a problem. */
export function formatPath(at: readonly string[]): string {
  return at.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** Problems of `doc` against `schema` (strict ajv); an unknown field's path ends with its key. */
export function schemaProblems(schema: object, doc: unknown): SchemaProblem[] {
  let validator = validators.get(schema);
  if (!validator) {
    const Ajv = createRequire(import.meta.url)('ajv').default;
    validator = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
      schema,
    ) as Validator;
    validators.set(schema, validator);
  }
  if (validator(doc)) return [];
  const out = new Map<string, SchemaProblem>();
  for (const e of validator.errors ?? []) {
    if (e.keyword === 'anyOf') continue;
    const at = (e.instancePath as string)
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const problem =
      e.keyword === 'additionalProperties'
        ? { at: [...at, e.params.additionalProperty as string], message: 'unknown field' }
        : {
            at,
            message: `${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''}`,
          };
    out.set(`${formatPath(problem.at)}: ${problem.message}`, problem);
  }
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
}

function validate(doc: JsonMap): string[] {
  const problems = schemaProblems(ISTIO_OPERATOR_SCHEMA, doc).map(
    (p) => `${formatPath(p.at) || '(document)'}: ${p.message}`,
  );
  return problems.length > 0 ? problems : [...nameProblems(doc), ...imageProblems(doc)];
}

/**
 * `metadata.name` is written into the `install.operator.istio.io/owning-resource` label of every object:
 * one that is no label value passed `manifest generate` and failed install at the API server, halfway.
 */
function nameProblems(doc: JsonMap): string[] {
  const name = (doc.metadata as JsonMap | undefined)?.name;
  if (typeof name !== 'string' || name === '' || isLabelName(name)) return [];
  return [
    `metadata.name: ${JSON.stringify(name)} is no Kubernetes label value (up to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit): it labels every object installed`,
  ];
}

/** A Docker tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A registry host with an optional port (`gcr.io`, `localhost:5000`, `10.0.0.1:5000`). */
const REGISTRY =
  /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]+)?$/;
/** One part of a repository path: lower-case letters and digits, separated by `.`, `_`, `__` or dashes. */
const PATH_PART = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;

/** Why `hub` cannot start an image reference (`<hub>/<image>:<tag>`), or undefined when it can. */
function hubProblem(hub: string): string | undefined {
  const parts = hub.split('/');
  // as Docker reads a reference: the first part is the registry when it has a "." or ":" or is localhost
  const registry =
    (parts.length > 0 && /[.:]/.test(parts[0]!)) || parts[0] === 'localhost' ? parts.shift()! : undefined;
  if (registry !== undefined && !REGISTRY.test(registry))
    return `"${registry}" is not a registry host[:port]`;
  if (parts.includes('')) return 'it has an empty part (an empty hub, or a "/" at its start or end, or "//")';
  const bad = parts.find((p) => !PATH_PART.test(p));
  if (bad !== undefined)
    return `${JSON.stringify(bad)} is not a repository path part (lower-case letters and digits, with ".", "_" or "-" between them)`;
  return undefined;
}

/**
 * The hubs and tags of the document that would render image references a container runtime refuses (a
 * pod that never starts, found only after the install waited for it): istioctl refuses them too.
 */
function imageProblems(doc: JsonMap): string[] {
  const spec = (doc.spec ?? {}) as JsonMap;
  const places: Array<[string, unknown]> = [['spec', spec]];
  const global = ((spec.values as JsonMap | undefined)?.global ?? undefined) as JsonMap | undefined;
  if (global) places.push(['spec.values.global', global]);
  for (const [name, c] of Object.entries((spec.components ?? {}) as JsonMap)) {
    if (Array.isArray(c)) c.forEach((g, i) => places.push([`spec.components.${name}[${i}]`, g]));
    else places.push([`spec.components.${name}`, c]);
  }
  const problems: string[] = [];
  for (const [at, m] of places) {
    if (!isMap(m)) continue;
    if (typeof m.hub === 'string') {
      const why = hubProblem(m.hub);
      if (why) problems.push(`${at}.hub: bad hub ${JSON.stringify(m.hub)}: ${why}`);
    }
    if (m.tag !== undefined && !TAG.test(String(m.tag)))
      problems.push(
        `${at}.tag: bad tag ${JSON.stringify(String(m.tag))}: a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
      );
  }
  return problems;
}

/**
 * Merges the inputs into one IstioOperator document, lowest precedence first (each step with
 * `mergeTree`): the `default` profile → the chosen profile (`spec.profile` as the files and flags set it)
 * → `-f` files left to right → injector values (as `spec.values`); then `--set` flags left to right
 * are written into that tree (so `[name:x]` selectors find the profile's list entries) → `--revision`.
 * Then validates it against the schema: every unknown field or bad value is reported with its path.
 */
export function resolveSpec(inputs: SpecInputs): InstallSpec {
  let files: JsonMap = { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: {} };
  for (const f of inputs.files ?? []) files = mergeTree(files, parseOperatorFile(f.name, f.text)) as JsonMap;
  if (inputs.values) files = mergeTree(files, { spec: { values: inputs.values } }) as JsonMap;
  let sets: Array<{ path: string; value: Json }>;
  try {
    sets = (inputs.sets ?? []).map((flag) => parseSetFlag(flag, takesOnlyString));
  } catch (err) {
    throw usage(err);
  }
  // a spec or profile of the wrong type would otherwise be dropped (spec) or read as "[object Object]"
  if (files.spec !== undefined && !isMap(files.spec))
    throw new MeshError(`invalid install spec: spec: must be object, got ${JSON.stringify(files.spec)}`, {
      exitCode: ExitCode.USAGE,
    });
  const fileSpec = (files.spec ?? {}) as JsonMap;
  const profileSet = sets.filter((s) => s.path === 'profile').pop();
  const profileValue = profileSet?.value ?? fileSpec.profile ?? 'default';
  if (typeof profileValue === 'object')
    throw new MeshError(
      `invalid install spec: spec.profile: must be string, got ${JSON.stringify(profileValue)}`,
      {
        exitCode: ExitCode.USAGE,
      },
    );
  const profile = String(profileValue);
  if (!isProfileName(profile))
    throw new MeshError(`spec.profile: unknown profile "${profile}"`, {
      exitCode: ExitCode.USAGE,
      hint: `built-in profiles: ${PROFILE_NAMES.join(', ')}`,
    });
  let spec = mergeTree(mergeTree(defaultProfile(), profileOverlay(profile)), fileSpec) as JsonMap;
  try {
    for (const s of sets) setPath(spec, s.path, s.value);
  } catch (err) {
    throw usage(err);
  }
  if (inputs.revision !== undefined) spec = mergeTree(spec, { revision: inputs.revision }) as JsonMap;
  const operator = { ...files, spec };
  const problems = validate(operator);
  if (problems.length > 0)
    throw new MeshError(
      `invalid install spec: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`,
      { exitCode: ExitCode.USAGE },
    );
  return derive(operator, profile);
}

function usage(err: unknown): unknown {
  return err instanceof PathError ? new MeshError(err.message, { exitCode: ExitCode.USAGE }) : err;
}

/** A revision name ("" or `default` for the default revision) must be a DNS-1123 label: exit 64 if not. */
export function checkRevision(revision: string): void {
  if (revision !== '' && revision !== 'default' && !isDnsLabel(revision))
    throw new MeshError(`revision "${revision}" is not a DNS-1123 label`, {
      exitCode: ExitCode.USAGE,
      hint: 'use lower-case letters, digits and "-", starting and ending with a letter or digit (e.g. 1-30)',
    });
}

function derive(operator: JsonMap, profile: string): InstallSpec {
  const spec = operator.spec as JsonMap;
  const values = spec.values as JsonMap;
  const global = (values.global ?? {}) as JsonMap;
  const meta = (operator.metadata ?? {}) as JsonMap;
  // Explicit values win over the spec's short forms, as in istioctl's translation (install.md §1.4).
  const revisionRaw = String(values.revision ?? spec.revision ?? '');
  const revision = revisionRaw === 'default' ? '' : revisionRaw;
  checkRevision(revision);
  // (every source of the namespace is a DNS-1123 label already: the schema validated it)
  const namespace = String(global.istioNamespace ?? spec.namespace ?? meta.namespace ?? 'istio-system');
  return {
    operator,
    spec,
    profile,
    name: String(meta.name ?? 'mesh'),
    namespace,
    revision,
    hub: String(global.hub ?? spec.hub),
    tag: String(global.tag ?? spec.tag),
  };
}
