/**
 * The Envoy admin `/config_dump` model: one parse of the bytes, sections located by `@type`, and
 * lazily built typed views (bootstrap, clusters, listeners, routes, endpoints, secrets, ECDS).
 */
import { createRequire } from 'node:module';
import { ExitCode, MeshError } from '../util/errors.js';
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
  const trimmed = text.trimStart();
  if (trimmed !== '' && trimmed[0] !== '{' && trimmed[0] !== '[') return parseYamlText(text, source, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new MeshError(`${what}: ${source}: ${describeJsonError(text)}`, { exitCode: ExitCode.DATA });
  }
}

function parseYamlText(text: string, source: string, what: string): unknown {
  // js-yaml is loaded only when a YAML dump is actually given.
  const yaml = createRequire(import.meta.url)('js-yaml') as { load: (s: string) => unknown };
  try {
    return yaml.load(text);
  } catch (err) {
    const first = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new MeshError(`${what}: ${source}: ${first}`, { exitCode: ExitCode.DATA });
  }
}

/**
 * Where JSON text stops being valid: the offset of the first offending character, or the text length
 * when it ends early. Only used after JSON.parse failed (V8's messages carry no position).
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = () => {
    throw i;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (/[0-9a-fA-F]/.test(text[i + 1] ?? '')) i++;
            else {
              i++;
              fail();
            }
          }
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (pos) {
    return typeof pos === 'number' ? pos : 0; // (a stack overflow on absurd nesting reports the start)
  }
}

/** One line about invalid JSON: `line L column C: unexpected 'x'`, or that the text is empty or truncated. */
export function describeJsonError(text: string): string {
  if (text.trim() === '') return 'unexpected end of JSON input (empty)';
  const pos = jsonErrorOffset(text);
  if (pos >= text.length)
    return `unexpected end of JSON input (truncated after ${Buffer.byteLength(text)} bytes)`;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `line ${line} column ${column}: unexpected ${JSON.stringify(text[pos])}`;
}

export class ConfigDump {
  private readonly sections = new Map<string, Obj>();
  private readonly ecdsSections: Obj[] = [];
  private cache = new Map<string, unknown>();

  /** @param root the parsed `{configs: [...]}`; @param raw the bytes Envoy returned, for pass-through. */
  constructor(
    readonly root: Obj,
    readonly raw?: string,
  ) {
    for (const c of arr(root, 'configs')) {
      if (!isObj(c)) continue;
      const t = typeUrl(c);
      if (t === DumpType.ecds) this.ecdsSections.push(c);
      else if (t) this.sections.set(t, c); // the last section of a type wins
    }
  }

  static parse(text: string, source: string): ConfigDump {
    const root = parseJsonText(text, source, 'error unmarshalling config dump response from Envoy');
    if (!isObj(root))
      throw new MeshError(
        `error unmarshalling config dump response from Envoy: ${source}: expected a JSON object`,
        { exitCode: ExitCode.DATA },
      );
    return new ConfigDump(root, text);
  }

  section(type: string): Obj | undefined {
    return this.sections.get(type);
  }

  /** The section, or the error istioctl reports when it is missing. */
  require(type: string): Obj {
    const s = this.sections.get(type);
    if (!s) throw new MeshError(`config dump has no configuration type ${type}`);
    return s;
  }

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
    return this.memo('clusters', () => {
      const s = this.require(DumpType.clusters);
      return [
        ...resources(s, 'dynamic_active_clusters', 'cluster', true),
        ...resources(s, 'static_clusters', 'cluster', false),
      ];
    });
  }

  /** Dynamic listeners with an active state, then static listeners. */
  listeners(): Resource[] {
    return this.memo('listeners', () => {
      const s = this.require(DumpType.listeners);
      const out: Resource[] = [];
      for (const d of arr(s, 'dynamic_listeners')) {
        const active = obj(d, 'active_state');
        const l = obj(active, 'listener');
        if (l) out.push(resource(active!, l, true));
      }
      return [...out, ...resources(s, 'static_listeners', 'listener', false)];
    });
  }

  /** Dynamic route configurations, then static ones. */
  routes(): Resource[] {
    return this.memo('routes', () => {
      const s = this.require(DumpType.routes);
      return [
        ...resources(s, 'dynamic_route_configs', 'route_config', true),
        ...resources(s, 'static_route_configs', 'route_config', false),
      ];
    });
  }

  /** ClusterLoadAssignments, dynamic then static; a dump without EDS simply has none. */
  endpoints(): Resource[] {
    return this.memo('endpoints', () => {
      const s = this.section(DumpType.endpoints);
      if (!s) return [];
      return [
        ...resources(s, 'dynamic_endpoint_configs', 'endpoint_config', true),
        ...resources(s, 'static_endpoint_configs', 'endpoint_config', false),
      ];
    });
  }

  secretsDump(): Obj {
    return withoutType(this.require(DumpType.secrets));
  }

  /** Warming secrets first, then active ones (static secrets are not shown, as in istioctl). */
  secrets(): SecretResource[] {
    return this.memo('secrets', () => {
      const s = this.require(DumpType.secrets);
      const list = (key: string, state: 'ACTIVE' | 'WARMING') =>
        arr(s, key)
          .filter(isObj)
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
    return { ecds_filters: this.ecdsSections.flatMap((s) => arr(s, 'ecds_filters')) };
  }

  ecdsFilters(): Resource[] {
    return this.memo('ecds', () => resources(this.ecdsDump(), 'ecds_filters', 'ecds_filter', true));
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

function resources(section: Obj, listField: string, valueField: string, dynamic: boolean): Resource[] {
  const out: Resource[] = [];
  for (const w of arr(section, listField)) {
    const v = field(w, valueField);
    if (isObj(w) && isObj(v)) out.push(resource(w, v, dynamic));
  }
  return out;
}

export function withoutType(o: Obj): Obj {
  const { '@type': _t, ...rest } = o;
  return rest;
}
