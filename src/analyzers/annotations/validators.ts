/**
 * Value checks for the Istio annotations whose values the sidecar injector parses. Each returns undefined
 * for a usable value, else a short reason (the `problem` of IST0125 InvalidAnnotation).
 */
import { isIP } from 'node:net';
import jsYaml from 'js-yaml';
import { number, text } from '../../util/values.js';
import { KUBE_YAML_SCHEMA } from '../../manifests/yaml-schema.js';

type Validator = (value: string) => string | undefined;

const INTERCEPTION_MODES = ['REDIRECT', 'TPROXY', 'NONE'];

function uint(value: string, max: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= max ? n : undefined;
}

function portProblem(value: string): string | undefined {
  return uint(value.trim(), 65535) === undefined ? `"${value}" is not a port number (0-65535)` : undefined;
}

/** Comma-separated ports; an empty list is fine. */
function portList(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  for (const p of trimmed.split(',')) {
    const problem = portProblem(p);
    if (problem) return problem;
  }
  return undefined;
}

function cidrProblem(cidr: string): string | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return `"${cidr}" is not a CIDR (address/prefix length)`;
  const addr = cidr.slice(0, slash);
  const family = isIP(addr);
  const bits = uint(cidr.slice(slash + 1), family === 6 ? 128 : 32);
  if (family === 0 || bits === undefined) return `"${cidr}" is not a CIDR (address/prefix length)`;
  return undefined;
}

/** Comma-separated CIDRs; an empty list is fine. */
function cidrList(value: string): string | undefined {
  if (value === '') return undefined;
  for (const c of value.split(',')) {
    const problem = cidrProblem(c);
    if (problem) return problem;
  }
  return undefined;
}

/** Comma-separated network interface names (Linux: 1-15 characters, no spaces or slashes). */
function interfaceList(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (!/^[^\s/]{1,15}$/.test(name)) return `"${raw}" is not a network interface name`;
  }
  return undefined;
}

/** Kubernetes resource quantity: 100m, 0.5, 128Mi, 1G, 1e3. */
function quantity(value: string): string | undefined {
  return /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/.test(value)
    ? undefined
    : `"${value}" is not a resource quantity (e.g. 100m, 128Mi)`;
}

function bool(value: string): string | undefined {
  return ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)
    ? undefined
    : `"${value}" is not a boolean`;
}

const DURATION = /^(0|(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+)$/; // \u00b5: MICRO SIGN

/** The parts of `proxy.istio.io/config` (a ProxyConfig in YAML) that the injector rejects when wrong. */
function proxyConfig(value: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = jsYaml.load(value, { schema: KUBE_YAML_SCHEMA });
  } catch (err) {
    return `not valid YAML: ${(err as { reason?: string }).reason ?? (err as Error).message}`;
  }
  if (parsed === null || parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return 'must be a ProxyConfig mapping';
  const pc = parsed as Record<string, unknown>;
  for (const key of ['drainDuration', 'terminationDrainDuration', 'parentShutdownDuration']) {
    const d = pc[key];
    if (d !== undefined && (typeof d !== 'string' || !DURATION.test(d)))
      return `${key}: "${text(d)}" is not a duration (e.g. 5s)`;
  }
  for (const key of ['proxyAdminPort', 'statusPort']) {
    const p = pc[key];
    if (p !== undefined && (uint(text(p), 65535) === undefined || number(p) === 0))
      return `${key}: "${text(p)}" is not a port number (1-65535)`;
  }
  for (const key of ['concurrency', 'statNameLength']) {
    const n = pc[key];
    if (n !== undefined && uint(text(n), 2 ** 31 - 1) === undefined)
      return `${key}: "${text(n)}" must be a non-negative integer`;
  }
  if (pc.discoveryAddress !== undefined) {
    const addr = text(pc.discoveryAddress);
    const colon = addr.lastIndexOf(':');
    if (colon <= 0 || uint(addr.slice(colon + 1), 65535) === undefined)
      return `discoveryAddress: "${addr}" must be host:port`;
  }
  if (pc.interceptionMode !== undefined && !INTERCEPTION_MODES.includes(text(pc.interceptionMode)))
    return `interceptionMode: "${text(pc.interceptionMode)}" is not one of ${INTERCEPTION_MODES.join(', ')}`;
  if (
    pc.proxyMetadata !== undefined &&
    (typeof pc.proxyMetadata !== 'object' || Array.isArray(pc.proxyMetadata))
  )
    return 'proxyMetadata must be a map of strings';
  return undefined;
}

export const VALIDATORS: ReadonlyMap<string, Validator> = new Map<string, Validator>([
  [
    'sidecar.istio.io/interceptionMode',
    (v) =>
      INTERCEPTION_MODES.includes(v) ? undefined : `"${v}" is not one of ${INTERCEPTION_MODES.join(', ')}`,
  ],
  ['status.sidecar.istio.io/port', portProblem],
  ...['initialDelaySeconds', 'periodSeconds', 'failureThreshold'].map((k): [string, Validator] => [
    `readiness.status.sidecar.istio.io/${k}`,
    (v) => (uint(v, 2 ** 32 - 1) === undefined ? `"${v}" is not a non-negative integer` : undefined),
  ]),
  ['traffic.sidecar.istio.io/includeOutboundIPRanges', (v) => (v === '*' ? undefined : cidrList(v))],
  ['traffic.sidecar.istio.io/excludeOutboundIPRanges', cidrList],
  ['traffic.sidecar.istio.io/includeInboundPorts', (v) => (v === '*' ? undefined : portList(v))],
  ['traffic.sidecar.istio.io/excludeInboundPorts', portList],
  ['traffic.sidecar.istio.io/excludeOutboundPorts', portList],
  ['traffic.sidecar.istio.io/excludeInterfaces', interfaceList],
  ['traffic.sidecar.istio.io/kubevirtInterfaces', interfaceList],
  ['istio.io/reroute-virtual-interfaces', interfaceList],
  ['prometheus.istio.io/merge-metrics', bool],
  ['proxy.istio.io/config', proxyConfig],
  ['sidecar.istio.io/proxyCPU', quantity],
  ['sidecar.istio.io/proxyCPULimit', quantity],
  ['sidecar.istio.io/proxyMemory', quantity],
  ['sidecar.istio.io/proxyMemoryLimit', quantity],
]);
