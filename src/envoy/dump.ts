/**
 * The Envoy admin `/config_dump` model: one parse of the bytes, sections located by `@type`, and
 * lazily built typed views (bootstrap, clusters, listeners, routes, endpoints, secrets, ECDS).
 */
import { createRequire } from 'node:module';
import { jsonErrorOffset } from '../manifests/json-error.js';
import { exceedsNodes } from '../manifests/limits.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { withoutBom } from '../util/input.js';
import { FieldTypeError, field, fieldKey, isObj, obj, shownValue, str, typeUrl, type Obj } from './fields.js';
import { jsonValueOffset, lineColumn, pathTo, renderPath, type JsonPath } from './locate.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
export const DumpType = {
  bootstrap: `${ADMIN}BootstrapConfigDump`,
  clusters: `${ADMIN}ClustersConfigDump`,
  endpoints: `${ADMIN}EndpointsConfigDump`,
  listeners: `${ADMIN}ListenersConfigDump`,
  scopedRoutes: `${ADMIN}ScopedRoutesConfigDump`,
  routes: `${ADMIN}RoutesConfigDump`,
  secrets: `${ADMIN}SecretsConfigDump`,
  ecds: `${ADMIN}EcdsConfigDump`,
} as const;

/** A dynamic or static resource with its xDS bookkeeping. */
export interface Resource {
  /** The unpacked resource (Cluster, Listener, RouteConfiguration, ClusterLoadAssignment, Secret). */
  value: Obj;
  versionInfo: string;
  lastUpdated: string;
  dynamic: boolean;
}

export interface SecretResource extends Resource {
  name: string;
  state: 'ACTIVE' | 'WARMING';
}

/** Parses JSON (or YAML) bytes, turning syntax errors into one line that names the source and position. */
export function parseJsonText(text: string, source: string, what: string): unknown {
  // a byte order mark (an editor's UTF-8 signature) is no JSON, and JSON.parse refuses it
  text = withoutBom(text);
  const first = /\S/.exec(text.slice(0, 4096))?.[0];
  if (first !== undefined && first !== '{' && first !== '[') return parseYamlText(text, source, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new MeshError(`${what}: ${source}: ${describeJsonError(text)}`, { exitCode: ExitCode.DATA });
  }
}

function parseYamlText(text: string, source: string, what: string): unknown {
  // js-yaml is loaded only when a YAML dump is actually given.
  const yaml = createRequire(import.meta.url)('js-yaml') as typeof import('js-yaml');
  let value: unknown;
  try {
    // YAML 1.2's core schema: an unquoted 2023-05-15T01:32:52Z stays the string protobuf JSON has there
    // (js-yaml's default schema would make it a Date, printed as {} by -o json|yaml)
    value = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    const first = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new MeshError(`${what}: ${source}: ${first}`, { exitCode: ExitCode.DATA });
  }
  // Without aliases a document has fewer nodes than its text has bytes; a few anchors and aliases can
  // stand for billions of nodes, which every view and -o json|yaml would then walk (Envoy writes none).
  if (ANCHOR.test(text) && exceedsNodes(value, 2 * text.length + 1000))
    throw new MeshError(`${what}: ${source}: YAML aliases expand it past twice its size; refused`, {
      exitCode: ExitCode.DATA,
    });
  return value;
}

/** A YAML anchor (`&name` where a node starts), which aliases (`*name`) can repeat. */
const ANCHOR = /(?:^|[\s[{,:-])&[^\s[\]{},]/m;

/** One line about invalid JSON: `line L column C: unexpected 'x'`, or that the text is empty or truncated. */
export function describeJsonError(text: string): string {
  if (text.trim() === '') return 'unexpected end of JSON input (empty)';
  return describeJsonErrorAt(text, jsonErrorOffset(text));
}

/** The error at a known offset of the text (line and column are 1-based). */
export function describeJsonErrorAt(text: string, pos: number): string {
  if (pos >= text.length)
    return `unexpected end of JSON input (truncated after ${Buffer.byteLength(text)} bytes)`;
  return `${lineColumn(text, pos)}: unexpected ${JSON.stringify(text[pos])}`;
}

const UNMARSHAL = 'error unmarshalling config dump response from Envoy';

/**
 * A dump nested far deeper than any Envoy writes overflows the stack of the code that walks it (YAML
 * output, field conversion): that is unusable input (exit 65), not a runtime failure. Checking every
 * dump's depth up front would cost a pass over tens of megabytes on every run, so it is caught here.
 */
export function nestingError(err: unknown): unknown {
  if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) return err;
  return new MeshError(
    'the input nests objects and lists too deeply to process (Envoy never writes such dumps)',
    {
      exitCode: ExitCode.DATA,
    },
  );
}

/** One `configs[]` entry: parsed, or still a slice of the text (parsed on first use). */
interface SectionRef {
  type: string;
  value?: Obj;
  start?: number;
  end?: number;
  /** Its index in `configs` of a dump parsed whole (where the text is searched for a field's position). */
  index?: number;
}

/**
 * What a lenient read (`readLeniently`) left out: a section, list or resource of the wrong shape, or a
 * section the dump does not have. `error` is the one line a strict read would have thrown.
 */
export interface DumpProblem {
  /** The section's `@type`. */
  type: string;
  /** The dump has no such section at all (rather than a damaged one). */
  missing: boolean;
  error: MeshError;
}

const isWs = (c: string | undefined) => c === ' ' || c === '\n' || c === '\r' || c === '\t';

/**
 * Finds the `configs[]` sections of a dump text without parsing it: each section is an object whose
 * first key is `"@type": "type.googleapis.com/envoy.admin.v3.<X>"`, and the text between sections must be
 * exactly `}, {`. Returns undefined when the text does not have that shape (the caller then parses it
 * whole), so a section is only ever parsed from a slice that is a complete JSON object.
 */
export function indexSections(text: string): SectionRef[] | undefined {
  const refs: SectionRef[] = [];
  const skipBack = (i: number) => {
    while (i >= 0 && isWs(text[i])) i--;
    return i;
  };
  let expectEnd = -1; // where the previous section's closing brace must be found
  for (let p = text.indexOf(ADMIN); p >= 0; p = text.indexOf(ADMIN, p + 1)) {
    const close = text.indexOf('"', p);
    if (close < 0) return undefined;
    const m = /"@type"\s*:\s*"$/.exec(text.slice(Math.max(0, p - 40), p));
    if (!m) return undefined;
    const open = skipBack(p - m[0].length - 1);
    if (text[open] !== '{') return undefined;
    const before = skipBack(open - 1);
    if (refs.length === 0) {
      if (!/^\s*\{\s*"configs"\s*:\s*\[\s*$/.test(text.slice(0, open))) return undefined;
    } else {
      if (text[before] !== ',') return undefined;
      expectEnd = skipBack(before - 1);
      if (text[expectEnd] !== '}') return undefined;
      refs[refs.length - 1]!.end = expectEnd + 1;
    }
    refs.push({ type: text.slice(p, close), start: open });
  }
  if (refs.length === 0) return undefined;
  // the last section is followed by `] }`
  let i = skipBack(text.length - 1);
  if (text[i] !== '}') return undefined;
  i = skipBack(i - 1);
  if (text[i] !== ']') return undefined;
  i = skipBack(i - 1);
  if (text[i] !== '}') return undefined;
  refs[refs.length - 1]!.end = i + 1;
  return refs;
}

/** A section the dump does not have: istioctl's words, with the input named (exit 65). */
export class MissingSectionError extends MeshError {
  constructor(
    readonly type: string,
    source?: string,
  ) {
    const what = `config dump has no configuration type ${type}`;
    super(source === undefined ? what : `${source}: ${what}`, { exitCode: ExitCode.DATA });
  }
}

export class ConfigDump {
  private readonly sections = new Map<string, SectionRef>();
  private readonly ecdsSections: SectionRef[] = [];
  private readonly order: SectionRef[] = [];
  private cache = new Map<string, unknown>();
  private parsedRoot?: Obj;
  private lenient = false;
  /** What views left out since `readLeniently` (each once). */
  readonly problems: DumpProblem[] = [];

  /**
   * @param root the parsed `{configs: [...]}`, or undefined with `refs` for a lazily parsed text;
   * @param raw the bytes Envoy returned, for pass-through and for the line and column of errors;
   * @param source names the input (a file, stdin, a proxy) in errors.
   */
  constructor(
    root: Obj | undefined,
    readonly raw?: string,
    private readonly source?: string,
    refs?: SectionRef[],
  ) {
    this.parsedRoot = root;
    let list = refs;
    if (!list) {
      const configs = field(root, 'configs');
      if (configs !== undefined && configs !== null && !Array.isArray(configs))
        throw this.fieldError(undefined, [fieldKey(root, 'configs')], 'a list', shownValue(configs));
      list = ((configs as unknown[] | null | undefined) ?? []).flatMap((c, index) =>
        isObj(c) ? [{ type: typeUrl(c), value: c, index }] : [],
      );
    }
    for (const ref of list) {
      this.order.push(ref);
      if (ref.type === DumpType.ecds) this.ecdsSections.push(ref);
      else if (ref.type) this.sections.set(ref.type, ref); // the last section of a type wins
    }
  }

  /**
   * Parses dump text. A well-formed Envoy dump is only indexed here and each section is parsed when a
   * view first needs it, so `proxy-config cluster` never pays for listeners or endpoints.
   */
  static parse(text: string, source: string): ConfigDump {
    const refs = indexSections(text);
    if (refs) return new ConfigDump(undefined, text, source, refs);
    const root = parseJsonText(text, source, UNMARSHAL);
    if (!isObj(root))
      throw new MeshError(`${UNMARSHAL}: ${source}: expected a JSON object`, { exitCode: ExitCode.DATA });
    return new ConfigDump(root, text, source);
  }

  /**
   * From now on the views (clusters, listeners, routes, endpoints, secrets, ECDS) leave out what they
   * cannot read — a missing or damaged section, a list or resource of the wrong shape — and note it in
   * `problems`, rather than throwing: for comparisons, which compare what can be read.
   */
  readLeniently(): this {
    this.lenient = true;
    this.cache.clear();
    return this;
  }

  /** The whole dump as parsed JSON (parses any section not parsed yet). */
  get root(): Obj {
    this.parsedRoot ??= { configs: this.order.map((r) => this.value(r)) };
    return this.parsedRoot;
  }

  private value(ref: SectionRef): Obj {
    if (ref.value === undefined) {
      const slice = this.raw!.slice(ref.start, ref.end);
      try {
        ref.value = JSON.parse(slice) as Obj;
      } catch {
        const pos = ref.start! + jsonErrorOffset(slice);
        const at = describeJsonErrorAt(this.raw!, pos);
        throw new MeshError(`${UNMARSHAL}: ${this.source ?? 'config dump'}: ${at} in ${short(ref.type)}`, {
          exitCode: ExitCode.DATA,
        });
      }
    }
    return ref.value;
  }

  section(type: string): Obj | undefined {
    const ref = this.sections.get(type);
    return ref ? this.value(ref) : undefined;
  }

  /** The section, or the error istioctl reports when it is missing (with the input named: exit 65). */
  require(type: string): Obj {
    const s = this.section(type);
    if (!s) throw this.missing(type);
    return s;
  }

  private missing(type: string): MissingSectionError {
    return new MissingSectionError(type, this.source);
  }

  /**
   * Drops a section's parsed value and the view built on it (a later use parses it again). `proxy-config
   * all` releases each section once its table is written, so the heap holds one big section at a time.
   */
  release(type: string): void {
    const ref = this.sections.get(type);
    if (ref?.start === undefined) return; // only sections that can be parsed again from the text
    ref.value = undefined;
    this.cache.delete(type);
    this.parsedRoot = undefined;
  }

  /** The view built on a section type, built once (and again after `release`). */
  private memo<T>(key: string, build: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, build());
    return this.cache.get(key) as T;
  }

  // ---- where a problem is: input, position, section, JSON path ----

  /**
   * `<input>: line L column C: <Section>: <path> <what>`: each part that is known (the line and column
   * only when the dump is JSON text).
   */
  private describe(ref: SectionRef | undefined, path: JsonPath, what: string): string {
    const parts: string[] = [];
    if (this.source !== undefined) parts.push(this.source);
    const pos = this.offset(ref, path);
    if (pos !== undefined) parts.push(lineColumn(this.raw!, pos));
    if (ref) parts.push(short(ref.type));
    parts.push(`${renderPath(path)} ${what}`);
    return parts.join(': ');
  }

  /** Where the value at `path` (inside the section, or from the root without one) starts in the text. */
  private offset(ref: SectionRef | undefined, path: JsonPath): number | undefined {
    if (this.raw === undefined) return undefined;
    if (!ref) return jsonValueOffset(this.raw, path);
    if (ref.start !== undefined) return jsonValueOffset(this.raw, path, ref.start);
    if (ref.index !== undefined) return jsonValueOffset(this.raw, ['configs', ref.index, ...path]);
    return undefined;
  }

  /** `<path> must be <expected>, got <shown>`, located. */
  private fieldError(ref: SectionRef | undefined, path: JsonPath, expected: string, shown: string) {
    return new MeshError(this.describe(ref, path, `must be ${expected}, got ${shown}`), {
      exitCode: ExitCode.DATA,
    });
  }

  /**
   * A wrong-type error of a view built on this dump (`field filters must be a list`), said with the input,
   * the line and column, the section and the JSON path of the field; any other error as it is.
   */
  explain(err: unknown): unknown {
    if (!(err instanceof FieldTypeError)) return err;
    const tail = err.index === undefined ? [err.key] : [err.key, err.index];
    for (const ref of this.order) {
      if (ref.value === undefined) continue;
      const at = pathTo(ref.value, err.holder);
      if (at !== undefined) return this.fieldError(ref, [...at, ...tail], err.expected, err.shown);
    }
    if (this.source === undefined) return err;
    return new MeshError(`${this.source}: ${err.message}`, { exitCode: ExitCode.DATA });
  }

  /** A problem: thrown, or noted when reading leniently. */
  private problem(type: string, error: MeshError, missing = false): void {
    if (!this.lenient) throw error;
    if (!this.problems.some((p) => p.error.message === error.message))
      this.problems.push({ type, missing, error });
  }

  /**
   * True when `ok`; else the problem at `path` (built only then: this runs for every resource) is thrown,
   * or noted (false) when reading leniently.
   */
  private check(ok: boolean, ref: SectionRef, path: () => JsonPath, expected: string, got: unknown): boolean {
    if (!ok) this.problem(ref.type, this.fieldError(ref, path(), expected, shownValue(got)));
    return ok;
  }

  /** The section a view reads; undefined (noted) when it is missing or damaged and read leniently. */
  private open(type: string, required = true): SectionRef | undefined {
    const ref = this.sections.get(type);
    if (!ref) {
      if (required) this.problem(type, this.missing(type), true);
      return undefined;
    }
    return this.parsed(ref) ? ref : undefined;
  }

  /** Parses a section (its syntax error is a problem of that section). */
  private parsed(ref: SectionRef): boolean {
    try {
      this.value(ref);
      return true;
    } catch (err) {
      if (!(err instanceof MeshError)) throw err;
      this.problem(ref.type, err);
      return false;
    }
  }

  /** A list field of a section (absent is empty) and its key as written. */
  private entries(ref: SectionRef, listField: string): { key: string; list: unknown[] } {
    const s = ref.value!;
    const key = fieldKey(s, listField);
    const v = s[key];
    if (v === undefined || v === null) return { key, list: [] };
    if (!this.check(Array.isArray(v), ref, () => [key], 'a list', v)) return { key, list: [] };
    return { key, list: v as unknown[] };
  }

  /**
   * The wrapped resource (`cluster`, `listener`, …) of a list entry, its name checked to be a string:
   * undefined when the entry has none, null when it cannot be read (noted when reading leniently).
   */
  private wrapped(
    ref: SectionRef,
    entry: unknown,
    at: () => JsonPath,
    valueField: string,
  ): Obj | undefined | null {
    if (!this.check(isObj(entry), ref, at, 'an object', entry)) return null;
    const key = fieldKey(entry, valueField);
    const v = (entry as Obj)[key];
    if (v === undefined || v === null) return undefined;
    if (!this.check(isObj(v), ref, () => [...at(), key], 'an object', v)) return null;
    const nameField = fieldKey(v, NAME_FIELD[valueField] ?? 'name');
    const name = (v as Obj)[nameField];
    const named = name === undefined || typeof name === 'string';
    if (!this.check(named, ref, () => [...at(), key, nameField], 'a string', name)) return null;
    return v as Obj;
  }

  private resources(ref: SectionRef, listField: string, valueField: string, dynamic: boolean): Resource[] {
    const out: Resource[] = [];
    const { key, list } = this.entries(ref, listField);
    list.forEach((w, i) => {
      const v = this.wrapped(ref, w, () => [key, i], valueField);
      if (v) out.push(resource(w as Obj, v, dynamic));
    });
    return out;
  }

  // ---- views ----

  /** BootstrapConfigDump (with `@type` removed). */
  bootstrapDump(): Obj {
    return withoutType(this.require(DumpType.bootstrap));
  }

  bootstrap(): Obj {
    return obj(this.require(DumpType.bootstrap), 'bootstrap') ?? {};
  }

  /** Dynamic active clusters, then static clusters (warming clusters are not shown, as in istioctl). */
  clusters(): Resource[] {
    return this.memo(DumpType.clusters, () => {
      const ref = this.open(DumpType.clusters);
      if (!ref) return [];
      return [
        ...this.resources(ref, 'dynamic_active_clusters', 'cluster', true),
        ...this.resources(ref, 'static_clusters', 'cluster', false),
      ];
    });
  }

  /** Dynamic listeners with an active state, then static listeners. */
  listeners(): Resource[] {
    return this.memo(DumpType.listeners, () => {
      const ref = this.open(DumpType.listeners);
      if (!ref) return [];
      const out: Resource[] = [];
      const { key: listKey, list } = this.entries(ref, 'dynamic_listeners');
      list.forEach((d, i) => {
        if (!this.check(isObj(d), ref, () => [listKey, i], 'an object', d)) return;
        const key = fieldKey(d, 'active_state');
        const active = (d as Obj)[key];
        if (active === undefined) return;
        const activeAt = () => [listKey, i, key];
        if (!this.check(isObj(active), ref, activeAt, 'an object', active)) return;
        const l = this.wrapped(ref, active, activeAt, 'listener');
        if (l) out.push(resource(active as Obj, l, true));
      });
      return [...out, ...this.resources(ref, 'static_listeners', 'listener', false)];
    });
  }

  /** Dynamic route configurations, then static ones. */
  routes(): Resource[] {
    return this.memo(DumpType.routes, () => {
      const ref = this.open(DumpType.routes);
      if (!ref) return [];
      return [
        ...this.resources(ref, 'dynamic_route_configs', 'route_config', true),
        ...this.resources(ref, 'static_route_configs', 'route_config', false),
      ];
    });
  }

  /** ClusterLoadAssignments, dynamic then static; a dump without EDS simply has none. */
  endpoints(): Resource[] {
    return this.memo(DumpType.endpoints, () => {
      const ref = this.open(DumpType.endpoints, false);
      if (!ref) return [];
      return [
        ...this.resources(ref, 'dynamic_endpoint_configs', 'endpoint_config', true),
        ...this.resources(ref, 'static_endpoint_configs', 'endpoint_config', false),
      ];
    });
  }

  secretsDump(): Obj {
    return withoutType(this.require(DumpType.secrets));
  }

  /** Warming secrets first, then active ones (static secrets are not shown, as in istioctl). */
  secrets(): SecretResource[] {
    return this.memo(DumpType.secrets, () => {
      const ref = this.open(DumpType.secrets);
      if (!ref) return [];
      const list = (key: string, state: 'ACTIVE' | 'WARMING'): SecretResource[] =>
        this.entries(ref, key).list.flatMap((d, i) => {
          const secret = this.wrapped(ref, d, () => [key, i], 'secret');
          if (secret === null) return [];
          return [
            {
              name: str(d, 'name'),
              state,
              value: secret ?? {},
              versionInfo: str(d, 'version_info'),
              lastUpdated: str(d, 'last_updated'),
              dynamic: true,
            },
          ];
        });
      return [...list('dynamic_warming_secrets', 'WARMING'), ...list('dynamic_active_secrets', 'ACTIVE')];
    });
  }

  /** All EcdsConfigDump sections merged (Envoy emits one per extension kind). */
  ecdsDump(): Obj {
    if (this.ecdsSections.length === 0) throw this.missing(DumpType.ecds);
    return {
      ecds_filters: this.ecdsSections.flatMap((ref) =>
        this.parsed(ref) ? this.entries(ref, 'ecds_filters').list : [],
      ),
    };
  }

  /** The filters of every ECDS section; a dump without one has none when read leniently. */
  ecdsFilters(): Resource[] {
    return this.memo(DumpType.ecds, () => {
      if (this.ecdsSections.length === 0 && !this.lenient) throw this.missing(DumpType.ecds);
      return this.ecdsSections.flatMap((ref) =>
        this.parsed(ref) ? this.resources(ref, 'ecds_filters', 'ecds_filter', true) : [],
      );
    });
  }
}

/**
 * A wrong-type error met while reading any parsed JSON input (Envoy's `/clusters?format=json` answer, a
 * config dump), said with the input, the line and column (JSON text), the section of a dump and the JSON
 * path; any other error as it is.
 */
export function explainIn(err: unknown, root: unknown, text: string | undefined, source: string): unknown {
  if (!(err instanceof FieldTypeError)) return err;
  const at = pathTo(root, err.holder);
  if (at === undefined) return new MeshError(`${source}: ${err.message}`, { exitCode: ExitCode.DATA });
  const path = [...at, err.key, ...(err.index === undefined ? [] : [err.index])];
  const parts = [source];
  const pos = text === undefined ? undefined : jsonValueOffset(text, path);
  if (pos !== undefined) parts.push(lineColumn(text!, pos));
  const configs = field(root, 'configs');
  let inner: JsonPath = path;
  const type = path[0] === 'configs' && Array.isArray(configs) ? typeUrl(configs[path[1] as number]) : '';
  if (type !== '') {
    parts.push(short(type));
    inner = path.slice(2);
  }
  parts.push(`${renderPath(inner)} must be ${err.expected}, got ${err.shown}`);
  return new MeshError(parts.join(': '), { exitCode: ExitCode.DATA });
}

/** `ClustersConfigDump` for its type URL. */
function short(type: string): string {
  return type.startsWith(ADMIN) ? type.slice(ADMIN.length) : type;
}

function resource(wrapper: Obj, value: Obj, dynamic: boolean): Resource {
  return {
    value,
    versionInfo: str(wrapper, 'version_info'),
    lastUpdated: str(wrapper, 'last_updated'),
    dynamic,
  };
}

/** The name field of each resource kind in a dump. */
const NAME_FIELD: Record<string, string> = { endpoint_config: 'cluster_name' };

export function withoutType(o: Obj): Obj {
  const { '@type': _t, ...rest } = o;
  return rest;
}
