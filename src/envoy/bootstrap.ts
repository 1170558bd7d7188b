/** `proxy-config bootstrap -o short`: Istio and Envoy versions from the bootstrap node. */
import { mapValue, num, obj, path } from './fields.js';

export interface VersionSummary {
  istioVersion: string;
  istioProxySha: string;
  envoyVersion: string;
}

function metaString(meta: unknown, key: string): string {
  const v = meta && typeof meta === 'object' ? (meta as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : '';
}

/** Envoy's `major.minor.patch[-label][/revision.status][/build.type][/ssl.version]`. */
export function envoyVersion(buildVersion: unknown): string {
  const v = obj(buildVersion, 'version');
  let s = `${num(v, 'major_number')}.${num(v, 'minor_number')}.${num(v, 'patch')}`;
  const meta = mapValue(buildVersion, 'metadata');
  const label = metaString(meta, 'build.label');
  if (label) s += `-${label}`;
  for (const key of ['revision.status', 'build.type', 'ssl.version']) {
    const value = metaString(meta, key);
    if (value) s += `/${value}`;
  }
  return s;
}

export function versionSummary(bootstrap: unknown): VersionSummary {
  const node = obj(bootstrap, 'node');
  const meta = mapValue(node, 'metadata');
  const sha = metaString(meta, 'ISTIO_PROXY_SHA');
  const colon = sha.indexOf(':');
  return {
    istioVersion: metaString(meta, 'ISTIO_VERSION'),
    istioProxySha: colon >= 0 ? sha.slice(colon + 1) : sha,
    envoyVersion: envoyVersion(path(node, 'user_agent_build_version')),
  };
}

/** The `Label:\tvalue` lines (rendered with padding 1); the Istio lines only when known. */
export function versionRows(v: VersionSummary): string[][] {
  const rows: string[][] = [];
  if (v.istioVersion) rows.push(['Istio Version:', v.istioVersion]);
  if (v.istioProxySha) rows.push(['Istio Proxy Version:', v.istioProxySha]);
  rows.push(['Envoy Version:', v.envoyVersion]);
  return rows;
}
