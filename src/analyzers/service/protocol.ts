import { number, ownValue } from '../../util/values.js';

/**
 * The protocol Istio infers for a Kubernetes Service port: `appProtocol` when set, else the port name's
 * prefix (`http-web` → HTTP, `grpc-web…` → gRPC-Web). `undefined` when it cannot tell, in which case Istio
 * sniffs the protocol — except on a few well-known ports that it treats as plain TCP.
 */
const KNOWN: Record<string, string> = {
  tcp: 'TCP',
  udp: 'UDP',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  http: 'HTTP',
  http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2',
  https: 'HTTPS',
  tls: 'TLS',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
  hbone: 'HBONE',
};

/** SMTP, DNS, MySQL and MongoDB: sniffing would break them, so they default to TCP. */
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

export function parseProtocol(name: string): string | undefined {
  return ownValue(KNOWN, name.toLowerCase());
}

export function servicePortProtocol(port: {
  port?: unknown;
  name?: unknown;
  protocol?: unknown;
  appProtocol?: unknown;
}): string | undefined {
  if (port.protocol === 'UDP') return 'UDP';
  let name = typeof port.name === 'string' ? port.name : '';
  if (typeof port.appProtocol === 'string') {
    name = port.appProtocol;
    if (name === 'kubernetes.io/h2c') return 'HTTP2';
    if (name === 'kubernetes.io/ws' || name === 'kubernetes.io/wss') return 'HTTP';
  }
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-Web';
  const dash = name.indexOf('-');
  const parsed = parseProtocol(dash >= 0 ? name.slice(0, dash) : name);
  if (parsed) return parsed;
  return WELL_KNOWN_TCP_PORTS.has(number(port.port)) ? 'TCP' : undefined;
}
