/**
 * The Envoy admin `/config_dump` model: one parse of the bytes, sections located by `@type`, and
 * lazily built typed views (bootstrap, clusters, listeners, routes, endpoints, secrets, ECDS).
 */
import { createRequire } from 'node:module';
import { jsonErrorOffset, stringEnd } from '../manifests/json-error.js';
import { exceedsNodes } from '../manifests/limits.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { TableTooLongError } from '../render/tabwriter.js';
import { withoutBom } from '../util/input.js';
import { mayHoldPrivateKey, redactPrivateKeysIn } from './certs.js';
import { warn } from '../util/output.js';
import {
  FieldTypeError,
  camel,
  field,
  fieldKey,
  isObj,
  obj,
  shownValue,
  str,
  typeUrl,
  type Obj,
} from './fields.js';
import { exactYamlSchema, mayHoldInexactNumber, parseJsonExactly } from './exact-numbers.js';
import {
  jsonValueOffset,
  lineColumn,
  numberAt,
  pathsIn,
  pathTo,
  renderPath,
  textMemo,
  type JsonPath,
  type TextMemo,
} from './locate.js';

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
  /**
   * An entry without its `secret` (`value` is then empty): the error to give where the secret is needed
   * (`dump.json: line 5 column 5: SecretsConfigDump: dynamic_active_secrets[0] has no secret`, exit 65).
   */
  noSecret?: MeshError;
}

/**
 * Parses JSON (or YAML) bytes, turning syntax errors into one line that names the source and position.
 * `exact`: numbers JSON.parse would change are kept as their text (see exact-numbers.ts).
 */
export function parseJsonText(text: string, source: string, what: string, exact = false): unknown {
  // a byte order mark (an editor's UTF-8 signature) is no JSON, and JSON.parse refuses it
  text = withoutBom(text);
  const first = /\S/.exec(text.slice(0, 4096))?.[0];
  if (first !== undefined && first !== '{' && first !== '[') return parseYamlText(text, source, what);
  try {
    return exact ? parseJsonExactly(text) : JSON.parse(text);
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
    // (js-yaml's default schema would make it a Date, printed as {} by -o json|yaml); a number a
    // JavaScript number cannot hold as written is kept as its text (exact-numbers.ts)
    value = yaml.load(text, { schema: exactYamlSchema(yaml) });
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

/** istioctl's first words when a config dump cannot be read. */
export const UNMARSHAL = 'error unmarshalling config dump response from Envoy';

/** An error about what the input holds, said with the input (when it has a name). */
function withInput(err: MeshError, source: string | undefined): MeshError {
  if (source === undefined) return err;
  return new MeshError(`${source}: ${err.message}`, { exitCode: err.exitCode, hint: err.hint });
}

/**
 * A dump nested far deeper than any Envoy writes overflows the stack of the code that walks it (YAML
 * output, field conversion): that is unusable input (exit 65), not a runtime failure. Checking every
 * dump's depth up front would cost a pass over tens of megabytes on every run, so it is caught here,
 * said with the input and, for JSON text, the line and column where it nests deepest.
 */
export function nestingError(err: unknown, source?: string, text?: string): unknown {
  if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) return err;
  const parts = source === undefined ? [] : [source];
  const pos = text === undefined ? undefined : deepestOffset(text);
  if (pos !== undefined) parts.push(lineColumn(text!, pos));
  parts.push('the input nests objects and lists too deeply to process (Envoy never writes such dumps)');
  return new MeshError(parts.join(': '), { exitCode: ExitCode.DATA });
}

/**
 * The offset of the bracket where a JSON text first reaches its deepest nesting; undefined for YAML.
 * A pass over the text, run only once a dump has proved too deep.
 */
function deepestOffset(text: string): number | undefined {
  const first = /\S/.exec(withoutBom(text.slice(0, 4096)))?.[0];
  if (first !== '{' && first !== '[') return undefined;
  let depth = 0;
  let deepest = 0;
  let at: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if (c === '{' || c === '[') {
      if (++depth > deepest) [deepest, at] = [depth, i];
    } else if (c === '}' || c === ']') depth--;
  }
  return at;
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
 * whole), so a section is only ever parsed from a slice that is a complete JSON object. An object nested
 * in a section can look the same (an admin `@type` first, `}, {` before it); telling it apart here would
 * take a pass over the text, so a slice that then does not parse is checked by `ConfigDump.reindex`.
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

/** Thrown by `value` once the dump was indexed again (`reindex`): the caller reads it anew (`reread`). */
class IndexRebuilt extends Error {}

export class ConfigDump {
  /** The sections of each type, in dump order (Envoy writes several ECDS sections, one of any other). */
  private sections = new Map<string, SectionRef[]>();
  private order: SectionRef[] = [];
  private cache = new Map<string, unknown>();
  private parsedRoot?: Obj;
  private lenient = false;
  /** Numbers JSON.parse would change are kept as their text (`keepExactNumbers`). */
  private exact = false;
  /** Where the whole text is first not JSON, once it was parsed after a section would not (`reindex`). */
  private wholeError?: number;
  /** Types whose repeated sections were warned about. */
  private readonly warned = new Set<string>();
  /** What views left out since `readLeniently` (each once). */
  readonly problems: DumpProblem[] = [];
  /** Their messages, to note each once. */
  private readonly problemMessages = new Set<string>();
  /** What locating values in the text has learnt (see `TextMemo`). */
  private readonly located = textMemo();

  /**
   * The text may hold a private key (`mayHoldPrivateKey`): every value parsed from it has its private key
   * blocks redacted (`redactPrivateKeysIn`), and `raw` is not given out.
   */
  private readonly keyMaterial: boolean;

  /**
   * @param root the parsed `{configs: [...]}`, or undefined with `refs` for a lazily parsed text;
   * @param text the bytes Envoy returned, for pass-through and for the line and column of errors;
   * @param source names the input (a file, stdin, a proxy) in errors.
   */
  constructor(
    root: Obj | undefined,
    private readonly text?: string,
    private readonly source?: string,
    refs?: SectionRef[],
  ) {
    this.keyMaterial = text !== undefined && mayHoldPrivateKey(text);
    if (root !== undefined && this.keyMaterial) redactPrivateKeysIn(root);
    this.parsedRoot = root;
    this.index(refs ?? this.configsOf(root));
  }

  /**
   * The bytes Envoy returned, to pass through as they are (`proxy-config all -o json`); undefined when they
   * may hold a private key (a PEM key block in a certificate chain, which Envoy does not redact): the
   * dump is then printed from its values, where such blocks read `[redacted]`.
   */
  get raw(): string | undefined {
    return this.keyMaterial ? undefined : this.text;
  }

  /** The `configs[]` entries of a parsed dump (entries that are not objects are no sections). */
  private configsOf(root: Obj | undefined): SectionRef[] {
    const configs = field(root, 'configs');
    if (configs !== undefined && configs !== null && !Array.isArray(configs))
      throw this.fieldError(undefined, [fieldKey(root, 'configs')], 'a list', shownValue(configs));
    return ((configs as unknown[] | null | undefined) ?? []).flatMap((c, index) =>
      isObj(c) ? [{ type: typeUrl(c), value: c, index }] : [],
    );
  }

  private index(list: SectionRef[]): void {
    this.order = list;
    this.sections = new Map();
    for (const ref of list) {
      if (!ref.type) continue;
      const same = this.sections.get(ref.type);
      if (same) same.push(ref);
      else this.sections.set(ref.type, [ref]);
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

  /**
   * From now on numbers JSON.parse would change (`1e400`, 18446744073709551615) are read as their text,
   * for outputs that write the dump's values back (`-o json|yaml`): a pass over each section's text, and
   * a slower parse of a section that may hold such a number. One read already is read again.
   */
  keepExactNumbers(): this {
    if (this.exact || this.text === undefined) return this;
    this.exact = true;
    const raw = this.text;
    if (this.order.some((ref) => ref.start !== undefined)) {
      // sections of the text: those parsed already are parsed again when they may hold such a number
      const stale = this.order.filter(
        (ref) => ref.value !== undefined && mayHoldInexactNumber(raw.slice(ref.start, ref.end)),
      );
      if (stale.length === 0) return this;
      for (const ref of stale) ref.value = undefined;
      this.parsedRoot = undefined;
    } else {
      // parsed whole (not laid out as Envoy writes dumps); a YAML dump is read exactly already
      const text = withoutBom(raw);
      if (!/^\s*[{[]/.test(text) || !mayHoldInexactNumber(text)) return this;
      this.parsedRoot = this.parseJson(text);
      this.index(this.configsOf(this.parsedRoot));
    }
    this.cache.clear();
    return this;
  }

  private parseJson(text: string): Obj {
    const value = (this.exact ? parseJsonExactly(text) : JSON.parse(text)) as Obj;
    if (this.keyMaterial) redactPrivateKeysIn(value);
    return value;
  }

  /** The whole dump as parsed JSON (parses any section not parsed yet). */
  get root(): Obj {
    this.parsedRoot ??= this.reread(() => ({ configs: this.order.map((r) => this.value(r)) }));
    return this.parsedRoot;
  }

  private value(ref: SectionRef): Obj {
    if (ref.value === undefined) {
      const slice = this.text!.slice(ref.start, ref.end);
      try {
        ref.value = this.parseJson(slice);
      } catch {
        if (this.reindex()) throw new IndexRebuilt();
        throw this.syntaxError(ref, ref.start! + jsonErrorOffset(slice));
      }
    }
    return ref.value;
  }

  /**
   * A section's syntax error at `pos`. A real section's slice fails where the whole text does; one
   * failing before the whole text's first error was cut by a nested object taken for a section (see
   * `reindex`), so that first error of the whole text is the one to show, of no section.
   */
  private syntaxError(ref: SectionRef, pos: number): MeshError {
    const at =
      pos < this.wholeError!
        ? describeJsonErrorAt(this.text!, this.wholeError!)
        : `${describeJsonErrorAt(this.text!, pos)} in ${short(ref.type)}`;
    return new MeshError(`${UNMARSHAL}: ${this.source ?? 'config dump'}: ${at}`, { exitCode: ExitCode.DATA });
  }

  /**
   * A section's slice of the text is no JSON while the whole text is: `indexSections` took an object
   * nested in a section for a section (its `@type` is an admin type and `}, {` precedes it, as between
   * sections; only a parse tells them apart). The dump is indexed again from a whole parse: a pass over
   * the text that only such dumps, and damaged ones (once), pay for. False when the whole is no JSON.
   */
  private reindex(): boolean {
    if (this.wholeError !== undefined) return false;
    const text = withoutBom(this.text!);
    try {
      // an object with `configs` first: indexSections saw its text start so
      this.parsedRoot = this.parseJson(text);
    } catch {
      this.wholeError = this.text!.length - text.length + jsonErrorOffset(text);
      return false;
    }
    this.index(this.configsOf(this.parsedRoot));
    this.cache.clear();
    return true;
  }

  /** Runs `read` again when it met a section the index had wrong: every section is parsed by then. */
  private reread<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof IndexRebuilt)) throw err;
      return read();
    }
  }

  /** Whether the dump has a section of this type (found in its text, not parsed). */
  has(type: string): boolean {
    return (this.sections.get(type)?.length ?? 0) > 0;
  }

  /** The section of a type (several merged: see `merged`), or undefined when the dump has none. */
  section(type: string): Obj | undefined {
    const values = this.reread(() => (this.sections.get(type) ?? []).map((ref) => this.value(ref)));
    this.warnRepeated(type, values.length);
    return values.length > 1 ? merged(values) : values[0];
  }

  /**
   * Envoy writes one section of each type but ECDS; a dump with more (edited by hand, or pasted together)
   * is read whole, its views listing the resources of each in order, and said once per type. Only of a
   * dump read from a named input: one built in memory from a dump already read (drift) would say it again.
   */
  private warnRepeated(type: string, count: number): void {
    if (count < 2 || type === DumpType.ecds || this.source === undefined || this.warned.has(type)) return;
    this.warned.add(type);
    warn(
      `warning: ${this.source}: ${count} ${short(type)} sections (Envoy writes one); reading them all, in order`,
    );
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
    // only sections that can be parsed again from the text
    const refs = (this.sections.get(type) ?? []).filter((ref) => ref.start !== undefined);
    if (refs.length === 0) return;
    for (const ref of refs) ref.value = undefined;
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
  private describe(
    ref: SectionRef | undefined,
    path: JsonPath,
    what: string,
    pos = this.offset(ref, path),
  ): string {
    const parts: string[] = [];
    if (this.source !== undefined) parts.push(this.source);
    if (pos !== undefined) parts.push(lineColumn(this.text!, pos, this.located));
    if (ref) parts.push(short(ref.type));
    parts.push(`${renderPath(path)} ${what}`);
    return parts.join(': ');
  }

  /** Where the value at `path` (inside the section, or from the root without one) starts in the text. */
  private offset(ref: SectionRef | undefined, path: JsonPath): number | undefined {
    if (this.text === undefined) return undefined;
    if (!ref) return jsonValueOffset(this.text, path, 0, this.located);
    if (ref.start !== undefined) return jsonValueOffset(this.text, path, ref.start, this.located);
    if (ref.index !== undefined)
      return jsonValueOffset(this.text, ['configs', ref.index, ...path], 0, this.located);
    return undefined;
  }

  /** `<path> must be <expected>, got <shown>`, located; a number as the text writes it. */
  private fieldError(ref: SectionRef | undefined, path: JsonPath, expected: string, shown: string) {
    const pos = this.offset(ref, path);
    const got = (pos !== undefined && numberAt(this.text!, pos)) || shown;
    return new MeshError(this.describe(ref, path, `must be ${expected}, got ${got}`, pos), {
      exitCode: ExitCode.DATA,
    });
  }

  /**
   * A wrong-type error of a view built on this dump (`field filters must be a list`), said with the input,
   * the line and column, the section and the JSON path of the field; a dump nested too deeply with the
   * input and where (`nestingError`); any other error as it is.
   */
  explain(err: unknown): unknown {
    if (err instanceof TableTooLongError) return withInput(err, this.source);
    if (!(err instanceof FieldTypeError)) return nestingError(err, this.source, this.text);
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
    if (this.problemMessages.has(error.message)) return;
    this.problemMessages.add(error.message);
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

  /**
   * The sections a view reads, parsed; those missing or damaged are left out (noted) when read leniently.
   * A view reads every section of its type, in order (see `warnRepeated`).
   */
  private open(type: string, required = true): SectionRef[] {
    return this.reread(() => {
      const refs = this.sections.get(type) ?? [];
      if (refs.length === 0 && required) this.problem(type, this.missing(type), true);
      const readable = refs.filter((ref) => this.parsed(ref));
      this.warnRepeated(type, refs.length);
      return readable;
    });
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

  /** The resources of a list field in each of the sections, in order. */
  private resources(refs: SectionRef[], listField: string, valueField: string, dynamic: boolean): Resource[] {
    const out: Resource[] = [];
    for (const ref of refs) {
      const { key, list } = this.entries(ref, listField);
      list.forEach((w, i) => {
        const v = this.wrapped(ref, w, () => [key, i], valueField);
        if (v) out.push(resource(w as Obj, v, dynamic));
      });
    }
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
      const refs = this.open(DumpType.clusters);
      return [
        ...this.resources(refs, 'dynamic_active_clusters', 'cluster', true),
        ...this.resources(refs, 'static_clusters', 'cluster', false),
      ];
    });
  }

  /** Dynamic listeners with an active state, then static listeners. */
  listeners(): Resource[] {
    return this.memo(DumpType.listeners, () => {
      const refs = this.open(DumpType.listeners);
      return [
        ...refs.flatMap((ref) => this.activeListeners(ref)),
        ...this.resources(refs, 'static_listeners', 'listener', false),
      ];
    });
  }

  /** The dynamic listeners of a section that have an active state. */
  private activeListeners(ref: SectionRef): Resource[] {
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
    return out;
  }

  /** Dynamic route configurations, then static ones. */
  routes(): Resource[] {
    return this.memo(DumpType.routes, () => {
      const refs = this.open(DumpType.routes);
      return [
        ...this.resources(refs, 'dynamic_route_configs', 'route_config', true),
        ...this.resources(refs, 'static_route_configs', 'route_config', false),
      ];
    });
  }

  /** ClusterLoadAssignments, dynamic then static; a dump without EDS simply has none. */
  endpoints(): Resource[] {
    return this.memo(DumpType.endpoints, () => {
      const refs = this.open(DumpType.endpoints, false);
      return [
        ...this.resources(refs, 'dynamic_endpoint_configs', 'endpoint_config', true),
        ...this.resources(refs, 'static_endpoint_configs', 'endpoint_config', false),
      ];
    });
  }

  secretsDump(): Obj {
    return withoutType(this.require(DumpType.secrets));
  }

  /** Warming secrets first, then active ones (static secrets are not shown, as in istioctl). */
  secrets(): SecretResource[] {
    return this.memo(DumpType.secrets, () => {
      const refs = this.open(DumpType.secrets);
      const list = (key: string, state: 'ACTIVE' | 'WARMING'): SecretResource[] =>
        refs.flatMap((ref) =>
          this.entries(ref, key).list.flatMap((d, i) => {
            const secret = this.wrapped(ref, d, () => [key, i], 'secret');
            if (secret === null) return [];
            const entry: SecretResource = {
              name: str(d, 'name'),
              state,
              value: secret ?? {},
              versionInfo: str(d, 'version_info'),
              lastUpdated: str(d, 'last_updated'),
              dynamic: true,
            };
            if (secret === undefined)
              entry.noSecret = new MeshError(this.describe(ref, [key, i], 'has no secret'), {
                exitCode: ExitCode.DATA,
              });
            return [entry];
          }),
        );
      return [...list('dynamic_warming_secrets', 'WARMING'), ...list('dynamic_active_secrets', 'ACTIVE')];
    });
  }

  /** All EcdsConfigDump sections merged (Envoy emits one per extension kind). */
  ecdsDump(): Obj {
    const refs = this.open(DumpType.ecds);
    return { ecds_filters: refs.flatMap((ref) => this.entries(ref, 'ecds_filters').list) };
  }

  /** The filters of every ECDS section; a dump without one has none when read leniently. */
  ecdsFilters(): Resource[] {
    return this.memo(DumpType.ecds, () =>
      this.resources(this.open(DumpType.ecds, !this.lenient), 'ecds_filters', 'ecds_filter', true),
    );
  }
}

/**
 * Sections of one type read as one, the way protobuf merges messages: list fields concatenated in order,
 * any other field taken from the last section that has it (names matched in either spelling).
 */
function merged(sections: Obj[]): Obj {
  const out: Obj = {};
  for (const section of sections)
    for (const [key, v] of Object.entries(section)) {
      const at = Object.keys(out).find((k) => camel(k) === camel(key)) ?? key;
      const before = out[at];
      out[at] = Array.isArray(before) && Array.isArray(v) ? [...before, ...v] : v;
    }
  return out;
}

/** The values of the dynamic resources among `list` (what a comparison of proxies or replicas reads). */
export function dynamicValues(list: Resource[]): Obj[] {
  return list.filter((r) => r.dynamic).map((r) => r.value);
}

/**
 * A dump holding these dynamic resources only: clusters, active listeners, route configurations and,
 * when `ecds` is given (even empty: the dump then says it has none), extension configs.
 */
export function dumpOfResources(parts: {
  clusters: Obj[];
  listeners: Obj[];
  routes: Obj[];
  ecds?: Obj[];
}): ConfigDump {
  return new ConfigDump({
    configs: [
      { '@type': DumpType.clusters, dynamic_active_clusters: parts.clusters.map((cluster) => ({ cluster })) },
      {
        '@type': DumpType.listeners,
        dynamic_listeners: parts.listeners.map((listener) => ({
          name: str(listener, 'name'),
          active_state: { listener },
        })),
      },
      {
        '@type': DumpType.routes,
        dynamic_route_configs: parts.routes.map((route_config) => ({ route_config })),
      },
      ...(parts.ecds
        ? [{ '@type': DumpType.ecds, ecds_filters: parts.ecds.map((ecds_filter) => ({ ecds_filter })) }]
        : []),
    ],
  });
}

/** What `explainIn` learns about one input, for its next error (see `TextMemo`, `pathsIn`). */
export interface InputMemo {
  paths: (target: object) => JsonPath | undefined;
  text: TextMemo;
}

/** For explaining many errors of one parsed input: each is then found without a walk over all of it. */
export function inputMemo(root: unknown): InputMemo {
  return { paths: pathsIn(root), text: textMemo() };
}

/**
 * A wrong-type error met while reading any parsed JSON input (Envoy's `/clusters?format=json` answer, a
 * config dump), said with the input, the line and column (JSON text), the section of a dump and the JSON
 * path; an input nested too deeply with the input and where (`nestingError`); any other error as it is.
 */
export function explainIn(
  err: unknown,
  root: unknown,
  text: string | undefined,
  source: string,
  memo?: InputMemo,
): unknown {
  if (err instanceof TableTooLongError) return withInput(err, source);
  if (!(err instanceof FieldTypeError)) return nestingError(err, source, text);
  const at = memo ? memo.paths(err.holder) : pathTo(root, err.holder);
  if (at === undefined) return new MeshError(`${source}: ${err.message}`, { exitCode: ExitCode.DATA });
  const path = [...at, err.key, ...(err.index === undefined ? [] : [err.index])];
  const parts = [source];
  const pos = text === undefined ? undefined : jsonValueOffset(text, path, 0, memo?.text);
  if (pos !== undefined) parts.push(lineColumn(text!, pos, memo?.text));
  const got = (pos !== undefined && numberAt(text!, pos)) || err.shown;
  const configs = field(root, 'configs');
  let inner: JsonPath = path;
  const type = path[0] === 'configs' && Array.isArray(configs) ? typeUrl(configs[path[1] as number]) : '';
  if (type !== '') {
    parts.push(short(type));
    inner = path.slice(2);
  }
  parts.push(`${renderPath(inner)} must be ${err.expected}, got ${got}`);
  return new MeshError(parts.join(': '), { exitCode: ExitCode.DATA });
}

/** `ClustersConfigDump` for its type URL. */
export function short(type: string): string {
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
