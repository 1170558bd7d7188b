/**
 * Value checks for the Istio annotations whose values the sidecar injector parses. Each returns undefined
 * for a usable value, else a short reason (the `problem` of IST0125 InvalidAnnotation).
 */
import { goParsePrefixError } from '../../util/go-net.js';
import { goBool } from '../../util/flags.js';
import { proxyConfigProblem } from './proxy-config.js';

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

/** Comma-separated CIDRs; an empty list is fine. */
function cidrList(value: string): string | undefined {
  if (value === '') return undefined;
  for (const c of value.split(',')) {
    const problem = goParsePrefixError(c);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Comma-separated Linux interface names as istiod checks them: each (trimmed) 1-15 characters, a letter
 * then letters, digits, `_`, `.` or `-`. An empty value is fine; an empty item is not.
 */
function interfaceList(value: string): string | undefined {
  if (value === '') return undefined;
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name === '') return 'empty interface name';
    if (name.length > 15) return `interface name "${name}" is too long (max 15 characters)`;
    if (!/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(name))
      return `interface name "${name}" contains invalid characters (a letter, then letters, digits, _ . -)`;
  }
  return undefined;
}

/** Kubernetes resource quantity: 100m, 0.5, 128Mi, 1G, 1e3, with an optional sign (+100m, -1). */
function quantity(value: string): string | undefined {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/.test(value)
    ? undefined
    : `"${value}" is not a resource quantity (e.g. 100m, 128Mi)`;
}

function bool(value: string): string | undefined {
  return goBool(value) !== undefined ? undefined : `"${value}" is not a boolean`;
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
  ['proxy.istio.io/config', proxyConfigProblem],
  ['sidecar.istio.io/proxyCPU', quantity],
  ['sidecar.istio.io/proxyCPULimit', quantity],
  ['sidecar.istio.io/proxyMemory', quantity],
  ['sidecar.istio.io/proxyMemoryLimit', quantity],
]);
