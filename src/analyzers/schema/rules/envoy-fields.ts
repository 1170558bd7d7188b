/**
 * EnvoyFilter patch values read as the Envoy message their applyTo builds (a Cluster for CLUSTER, an
 * HttpFilter for HTTP_FILTER, …), field by field, with the types in dist/envoy-types.json (written by
 * scripts/build-envoy-types.mjs from the Envoy .proto files that ship with @grpc/grpc-js-xds). What is
 * found, and how it is worded, is what istioctl's validation says (checked against the testbed's istioctl):
 *
 * - a field the message does not have: a warning, `Envoy filter: unknown field "x" in <message>`;
 * - an enum value by a name the enum does not have: an error, `unknown value "\"X\"" for enum <enum>`;
 * - an Any without `@type`: an error;
 * - inside an Any whose type is known, the same, prefixed `can't unmarshal Any nested proto <type URL>: `.
 *
 * One problem per patch, as Istio reports it: Istio decodes the value strictly, then again ignoring unknown
 * fields. So an error anywhere wins over an unknown field, problems inside Anys come before the others, and
 * otherwise fields are read in sorted order (Istio's JSON has its keys sorted). Types the shipped
 * .proto files do not describe, value types (a number where a string belongs) and the WAYPOINT context
 * are not checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PathSegment } from '../../../manifests/path.js';
import { packageRoot } from '../../../util/paths.js';
import { isObject, ownValue } from '../../../util/values.js';

/**
 * kind (`s` scalar, `m` message, `e` enum), the message's or enum's full name (a scalar's proto type), shape
 * (`r` repeated, `k` map), and `p` when the field has presence (a oneof member or proto3 `optional`).
 */
export type Field = readonly [
  kind: 's' | 'm' | 'e',
  type: string,
  shape: '' | 'r' | 'k',
  presence?: '' | 'p',
];

export interface EnvoyTypes {
  messages: Record<string, Record<string, Field>>;
  enums: Record<string, string[]>;
}

/** The Envoy message a patch value becomes, by applyTo. */
export const PATCH_TYPES: Readonly<Record<string, string>> = {
  LISTENER: 'envoy.config.listener.v3.Listener',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
};

const ANY = 'google.protobuf.Any';

/** Where `npm run build` writes the type tables (scripts/build-envoy-types.mjs). */
export const ENVOY_TYPES_FILE = join(packageRoot(), 'dist', 'envoy-types.json');

let loaded: EnvoyTypes | null | undefined;

/** The type tables, read once; null when the build did not write them (nothing is checked then). */
export function envoyTypes(): EnvoyTypes | null {
  if (loaded === undefined) {
    try {
      loaded = JSON.parse(readFileSync(ENVOY_TYPES_FILE, 'utf8')) as EnvoyTypes;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

export interface EnvoyValueProblem {
  level: 'error' | 'warning';
  message: string;
  /** Where in the patch value. */
  path: PathSegment[];
}

interface Found {
  message: string;
  path: PathSegment[];
}

/** The first error and the first unknown field of a message value, Anys first (see the module comment). */
interface Findings {
  error?: Found;
  unknown?: Found;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The one problem Istio reports for a patch value, or undefined. */
export function checkPatchFields(
  applyTo: string,
  value: Record<string, unknown>,
): EnvoyValueProblem | undefined {
  const types = envoyTypes();
  const type = ownValue(PATCH_TYPES, applyTo);
  if (!types || !type || !own(types.messages, type)) return undefined;
  const found = checkMessage(types, type, value, []);
  const first = found.error ?? found.unknown;
  if (!first) return undefined;
  return {
    level: found.error ? 'error' : 'warning',
    message: `Envoy filter: ${first.message}`,
    path: first.path,
  };
}

function checkMessage(
  types: EnvoyTypes,
  type: string,
  value: Record<string, unknown>,
  path: PathSegment[],
): Findings {
  const anys: Array<{ value: unknown; path: PathSegment[] }> = [];
  const outer: Findings = {};
  walk(types, type, value, path, anys, outer);
  const found: Findings = {};
  for (const any of anys) {
    const inner = checkAny(types, any.value, any.path);
    found.error ??= inner.error;
    found.unknown ??= inner.unknown;
  }
  return { error: found.error ?? outer.error, unknown: found.unknown ?? outer.unknown };
}

/** Reads a message's fields in sorted order: unknown fields and enum names here, Anys collected for later. */
function walk(
  types: EnvoyTypes,
  type: string,
  value: Record<string, unknown>,
  path: PathSegment[],
  anys: Array<{ value: unknown; path: PathSegment[] }>,
  found: Findings,
): void {
  const fields = types.messages[type]!;
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (!own(fields, key)) {
      found.unknown ??= { message: `unknown field ${JSON.stringify(key)} in ${type}`, path: [...path, key] };
      continue;
    }
    if (v === null || v === undefined) continue;
    const [kind, fieldType, shape] = fields[key]!;
    if (kind === 's') continue;
    for (const [item, itemPath] of fieldValues(v, shape, [...path, key])) {
      if (kind === 'e') {
        if (typeof item === 'string' && !types.enums[fieldType]?.includes(item))
          found.error ??= {
            message: `unknown value ${JSON.stringify(JSON.stringify(item))} for enum ${fieldType}`,
            path: itemPath,
          };
      } else if (fieldType === ANY) {
        anys.push({ value: item, path: itemPath });
      } else if (isObject(item) && own(types.messages, fieldType)) {
        walk(types, fieldType, item, itemPath, anys, found);
      }
    }
  }
}

/** The values a field holds, with their paths: a repeated field's items, a map's values (by sorted key). */
function fieldValues(v: unknown, shape: Field[2], at: PathSegment[]): Array<[unknown, PathSegment[]]> {
  if (shape === 'r') return Array.isArray(v) ? v.map((x, i) => [x, [...at, i]]) : [];
  if (shape === 'k')
    return isObject(v)
      ? Object.keys(v)
          .sort()
          .map((k) => [v[k], [...at, k]])
      : [];
  return [[v, at]];
}

/** An Any: its `@type` must be there; the contents of a type the tables know are checked as that message. */
function checkAny(types: EnvoyTypes, value: unknown, path: PathSegment[]): Findings {
  if (!isObject(value)) return {};
  const url = value['@type'];
  if (typeof url !== 'string') return { error: { message: "Any JSON doesn't have '@type'", path } };
  const type = url.slice(url.lastIndexOf('/') + 1);
  if (!own(types.messages, type)) return {};
  const { '@type': _url, ...contents } = value;
  const inner = checkMessage(types, type, contents, path);
  const prefixed = (f: Found | undefined) =>
    f && { message: `can't unmarshal Any nested proto ${url}: ${f.message}`, path: f.path };
  return { error: prefixed(inner.error), unknown: prefixed(inner.unknown) };
}
