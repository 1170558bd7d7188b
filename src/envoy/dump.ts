/**
 * The Envoy admin `/config_dump` model: one parse of the bytes, sections located by `@type`, and
 * lazily built typed views (bootstrap, clusters, listeners, routes, endpoints, secrets, ECDS).
 */
import { createRequire } from 'node:module';
import { jsonErrorOffset } from '../manifests/json-error.js';
import { exceedsNodes } from '../manifests/limits.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { withoutBom } from '../util/input.js';
import { arr, field, isObj, obj, str, typeUrl, type Obj } from './fields.js';

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
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `line ${line} column ${column}: unexpected ${JSON.stringify(text[pos])}`;
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

export class ConfigDump {
  private readonly sections = new Map<string, SectionRef>();
  private readonly ecdsSections: SectionRef[] = [];
  private readonly order: SectionRef[] = [];
  private cache = new Map<string, unknown>();
  private parsedRoot?: Obj;

  /**
   * @param root the parsed `{configs: [...]}`, or undefined with `refs` for a lazily parsed text;
   * @param raw the bytes Envoy returned, for pass-through; @param source names the input in errors.
   */
  constructor(
    root: Obj | undefined,
    readonly raw?: string,
    private readonly source = 'config dump',
    refs?: SectionRef[],
  ) {
    this.parsedRoot = root;
    const list =
      refs ??
      arr(root, 'configs')
        .filter(isObj)
        .map((c) => ({ type: typeUrl(c), value: c }));
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
        throw new MeshError(`${UNMARSHAL}: ${this.source}: ${describeJsonErrorAt(this.raw!, pos)}`, {
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

  /** The section, or the error istioctl reports when it is missing. */
  require(type: string): Obj {
    const s = this.section(type);
    if (!s) throw new MeshError(`config dump has no configuration type ${type}`);
    return s;
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
      const s = this.require(DumpType.clusters);
      return [
        ...resources(s, DumpType.clusters, 'dynamic_active_clusters', 'cluster', true),
        ...resources(s, DumpType.clusters, 'static_clusters', 'cluster', false),
      ];
    });
  }

  /** Dynamic listeners with an active state, then static listeners. */
  listeners(): Resource[] {
    return this.memo(DumpType.listeners, () => {
      const s = this.require(DumpType.listeners);
      const out: Resource[] = [];
      const dynamic = typedList(s, DumpType.listeners, 'dynamic_listeners');
      dynamic.forEach((d, i) => {
        const at = `dynamic_listeners[${i}]`;
        expectType(isObj(d), DumpType.listeners, at, 'an object', d);
        const active = field(d, 'active_state');
        if (active === undefined) return;
        expectType(isObj(active), DumpType.listeners, `${at}.active_state`, 'an object', active);
        const l = checkedValue(active as Obj, DumpType.listeners, `${at}.active_state`, 'listener');
        if (l) out.push(resource(active as Obj, l, true));
      });
      return [...out, ...resources(s, DumpType.listeners, 'static_listeners', 'listener', false)];
    });
  }

  /** Dynamic route configurations, then static ones. */
  routes(): Resource[] {
    return this.memo(DumpType.routes, () => {
      const s = this.require(DumpType.routes);
      return [
        ...resources(s, DumpType.routes, 'dynamic_route_configs', 'route_config', true),
        ...resources(s, DumpType.routes, 'static_route_configs', 'route_config', false),
      ];
    });
  }

  /** ClusterLoadAssignments, dynamic then static; a dump without EDS simply has none. */
  endpoints(): Resource[] {
    return this.memo(DumpType.endpoints, () => {
      const s = this.section(DumpType.endpoints);
      if (!s) return [];
      return [
        ...resources(s, DumpType.endpoints, 'dynamic_endpoint_configs', 'endpoint_config', true),
        ...resources(s, DumpType.endpoints, 'static_endpoint_configs', 'endpoint_config', false),
      ];
    });
  }

  secretsDump(): Obj {
    return withoutType(this.require(DumpType.secrets));
  }

  /** Warming secrets first, then active ones (static secrets are not shown, as in istioctl). */
  secrets(): SecretResource[] {
    return this.memo(DumpType.secrets, () => {
      const s = this.require(DumpType.secrets);
      const list = (key: string, state: 'ACTIVE' | 'WARMING') =>
        typedList(s, DumpType.secrets, key)
          .map((d, i) => {
            expectType(isObj(d), DumpType.secrets, `${key}[${i}]`, 'an object', d);
            checkedValue(d as Obj, DumpType.secrets, `${key}[${i}]`, 'secret');
            return d as Obj;
          })
          .map((d) => ({
            name: str(d, 'name'),
            state,
            value: obj(d, 'secret') ?? {},
            versionInfo: str(d, 'version_info'),
            lastUpdated: str(d, 'last_updated'),
            dynamic: true,
          }));
      return [...list('dynamic_warming_secrets', 'WARMING'), ...list('dynamic_active_secrets', 'ACTIVE')];
    });
  }

  /** All EcdsConfigDump sections merged (Envoy emits one per extension kind). */
  ecdsDump(): Obj {
    if (this.ecdsSections.length === 0)
      throw new MeshError(`config dump has no configuration type ${DumpType.ecds}`);
    return { ecds_filters: this.ecdsSections.flatMap((s) => arr(this.value(s), 'ecds_filters')) };
  }

  ecdsFilters(): Resource[] {
    return this.memo(DumpType.ecds, () =>
      resources(this.ecdsDump(), DumpType.ecds, 'ecds_filters', 'ecds_filter', true),
    );
  }
}

function resource(wrapper: Obj, value: Obj, dynamic: boolean): Resource {
  return {
    value,
    versionInfo: str(wrapper, 'version_info'),
    lastUpdated: str(wrapper, 'last_updated'),
    dynamic,
  };
}

function resources(
  section: Obj,
  type: string,
  listField: string,
  valueField: string,
  dynamic: boolean,
): Resource[] {
  const out: Resource[] = [];
  typedList(section, type, listField).forEach((w, i) => {
    expectType(isObj(w), type, `${listField}[${i}]`, 'an object', w);
    const v = checkedValue(w as Obj, type, `${listField}[${i}]`, valueField);
    if (v) out.push(resource(w as Obj, v, dynamic));
  });
  return out;
}

// ---- field types: a section whose fields have the wrong type is reported like a syntax error ----

/** The name field of each resource kind in a dump. */
const NAME_FIELD: Record<string, string> = { endpoint_config: 'cluster_name' };

/** A list field of a section: absent is empty, anything but a list is an error naming the section. */
function typedList(section: Obj, type: string, listField: string): unknown[] {
  const v = field(section, listField);
  if (v === undefined || v === null) return [];
  expectType(Array.isArray(v), type, listField, 'a list', v);
  return v as unknown[];
}

/** The wrapped resource (`cluster`, `listener`, …) of a list entry, with its name checked to be a string. */
function checkedValue(wrapper: Obj, type: string, at: string, valueField: string): Obj | undefined {
  const v = field(wrapper, valueField);
  if (v === undefined || v === null) return undefined;
  expectType(isObj(v), type, `${at}.${valueField}`, 'an object', v);
  const nameField = NAME_FIELD[valueField] ?? 'name';
  const name = field(v, nameField);
  expectType(
    name === undefined || typeof name === 'string',
    type,
    `${at}.${valueField}.${nameField}`,
    'a string',
    name,
  );
  return v as Obj;
}

function expectType(ok: boolean, type: string, at: string, expected: string, got: unknown): void {
  if (ok) return;
  const shown = JSON.stringify(got)?.slice(0, 40) ?? String(got);
  throw new MeshError(`${type.slice(ADMIN.length)}: ${at} must be ${expected}, got ${shown}`, {
    exitCode: ExitCode.DATA,
  });
}

export function withoutType(o: Obj): Obj {
  const { '@type': _t, ...rest } = o;
  return rest;
}
