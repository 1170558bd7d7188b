/**
 * The `proxy.istio.io/config` annotation as the sidecar injector checks it: the YAML is read into a
 * ProxyConfig on top of the defaults (a value of the wrong type, an unknown enum name or a malformed
 * duration fails; unknown fields are ignored), then the result goes through istiod's ProxyConfig
 * validation (addresses, ports, drain duration, tracing, TLS, private key provider, connection settings).
 * Each problem names the field it is about. A oneof given more than one member (`tracing: {zipkin: …,
 * lightstep: …}`) is no error: Istio's reader sets the members in the order the proto declares them, each
 * replacing the one before, so the last one declared stays and only it is validated (the others must
 * still read as their type).
 */
import jsYaml from 'js-yaml';
import { KUBE_YAML_SCHEMA } from '../../manifests/yaml-schema.js';
import { parseGoDuration } from '../../util/duration.js';
import { goAtoi, goParseAddr, goSplitHostPort } from '../../util/go-net.js';
import { isObject } from '../../util/values.js';

type Obj = Record<string, unknown>;
/** A field's type as the protobuf JSON reader sees it; wrappers (Int32Value, BoolValue) read as their value. */
type T =
  | 'string'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'bool'
  | 'double'
  | 'duration'
  | 'any'
  | { enum: readonly string[] }
  | { msg: Fields; oneofs?: Oneofs }
  | { map: T }
  | { list: T };
interface Fields {
  readonly [camelName: string]: T;
}
/** A message's oneof groups, each its members in the order the proto declares them. */
type Oneofs = ReadonlyArray<readonly string[]>;

const enumOf = (...names: string[]): T => ({ enum: names });
const durations = (...names: string[]): Fields => Object.fromEntries(names.map((n) => [n, 'duration']));

const TLS: T = {
  msg: {
    mode: enumOf('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'),
    clientCertificate: 'string',
    privateKey: 'string',
    caCertificates: 'string',
    credentialName: 'string',
    subjectAltNames: { list: 'string' },
    sni: 'string',
    insecureSkipVerify: 'bool',
    caCrl: 'string',
  },
};
const REMOTE_SERVICE: T = {
  msg: {
    address: 'string',
    tlsSettings: TLS,
    tcpKeepalive: { msg: { probes: 'uint32', ...durations('time', 'interval') } },
  },
};
const HEADER_TAG: T = { msg: { name: 'string', defaultValue: 'string' } };
const POLL: T = { msg: { pollDelay: 'duration', fallback: 'bool' } };
const PROXY_CONFIG_ONEOFS: Oneofs = [['serviceCluster', 'tracingServiceName']];

const PROXY_CONFIG: Fields = {
  configPath: 'string',
  binaryPath: 'string',
  serviceCluster: 'string',
  tracingServiceName: enumOf(
    'APP_LABEL_AND_NAMESPACE',
    'CANONICAL_NAME_ONLY',
    'CANONICAL_NAME_AND_NAMESPACE',
  ),
  ...durations('drainDuration', 'discoveryRefreshDelay', 'terminationDrainDuration', 'fileFlushInterval'),
  discoveryAddress: 'string',
  zipkinAddress: 'string',
  statsdUdpAddress: 'string',
  envoyMetricsServiceAddress: 'string',
  proxyAdminPort: 'int32',
  availabilityZone: 'string',
  controlPlaneAuthPolicy: enumOf('NONE', 'MUTUAL_TLS', 'INHERIT'),
  customConfigFile: 'string',
  statNameLength: 'int32',
  concurrency: 'int32',
  proxyBootstrapTemplatePath: 'string',
  interceptionMode: enumOf('REDIRECT', 'TPROXY', 'NONE'),
  tracing: {
    msg: {
      zipkin: { msg: { address: 'string' } },
      lightstep: { msg: { address: 'string', accessToken: 'string' } },
      datadog: { msg: { address: 'string' } },
      stackdriver: {
        msg: {
          debug: 'bool',
          maxNumberOfAttributes: 'int64',
          maxNumberOfAnnotations: 'int64',
          maxNumberOfMessageEvents: 'int64',
        },
      },
      openCensusAgent: { msg: { address: 'string', context: 'any' } },
      customTags: {
        map: {
          msg: { literal: { msg: { value: 'string' } }, environment: HEADER_TAG, header: HEADER_TAG },
          oneofs: [['literal', 'environment', 'header']],
        },
      },
      maxPathTagLength: 'uint32',
      sampling: 'double',
      tlsSettings: TLS,
      enableIstioTags: 'bool',
    },
    oneofs: [['zipkin', 'lightstep', 'datadog', 'stackdriver', 'openCensusAgent']],
  },
  sds: { msg: { enabled: 'bool', k8sSaJwtPath: 'string' } },
  envoyAccessLogService: REMOTE_SERVICE,
  envoyMetricsService: REMOTE_SERVICE,
  proxyMetadata: { map: 'string' },
  runtimeValues: { map: 'string' },
  statusPort: 'int32',
  extraStatTags: { list: 'string' },
  gatewayTopology: {
    msg: { numTrustedProxies: 'uint32', forwardClientCertDetails: 'any', proxyProtocol: 'any' },
  },
  meshId: 'string',
  readinessProbe: 'any',
  proxyStatsMatcher: {
    msg: Object.fromEntries(
      ['inclusionPrefixes', 'inclusionSuffixes', 'inclusionRegexps'].map((n) => [n, { list: 'string' }]),
    ),
  },
  holdApplicationUntilProxyStarts: 'bool',
  caCertificatesPem: { list: 'string' },
  image: { msg: { imageType: 'string' } },
  privateKeyProvider: { msg: { cryptomb: POLL, qat: POLL }, oneofs: [['cryptomb', 'qat']] },
  proxyHeaders: 'any',
  fileFlushMinSizeKb: 'uint32',
  statsCompression: 'bool',
  connectionSettings: {
    msg: {
      profile: 'any',
      listenerPerConnectionBufferLimitBytes: 'int32',
      clusterPerConnectionBufferLimitBytes: 'int32',
      ...durations(
        'httpIdleTimeout',
        'httpMaxConnectionDuration',
        'httpDrainTimeout',
        'httpRequestTimeout',
        'httpRequestHeadersTimeout',
        'httpStreamIdleTimeout',
        'httpMaxStreamDuration',
      ),
      httpMaxConcurrentStreams: 'int32',
      http2InitialStreamWindowSize: 'int32',
      http2InitialConnectionWindowSize: 'int32',
      httpHeadersWithUnderscoresAction: 'any',
      httpMergeSlashes: 'bool',
      httpPathWithEscapedSlashesAction: 'any',
      listenerConnectionLimit: 'int32',
      globalDownstreamConnectionLimit: 'int32',
    },
  },
};

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * A value for a message: a string quoted (cut at 80 characters), a scalar as written, a list or mapping
 * by what it is (its text can be huge: YAML aliases repeat a node, or refer to themselves).
 */
const show = (v: unknown) =>
  typeof v === 'string'
    ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)
    : Array.isArray(v)
      ? 'a list'
      : isObject(v)
        ? 'a mapping'
        : String(v);

const INT_RANGE = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63],
};

/** A number, or a string holding one (the protobuf JSON reader accepts both for integers and doubles). */
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v)) return Number(v);
  return undefined;
}

/**
 * Reads `v` as type `t`: the value with message field names in camelCase, nulls dropped and of each oneof
 * only the member that stays (the last one declared), or a thrown string naming the first field whose value
 * the protobuf JSON reader refuses.
 */
function read(v: unknown, t: T, path: string): unknown {
  if (v === null || v === undefined || t === 'any') return v;
  const fail = (want: string): never => {
    throw `${path}: ${show(v)} is not ${want}`;
  };
  if (t === 'string') return typeof v === 'string' ? v : fail('a string');
  if (t === 'bool') return typeof v === 'boolean' ? v : fail('a boolean (true or false)');
  if (t === 'double') {
    if (typeof v === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(v)) return Number(v);
    return numeric(v) ?? fail('a number');
  }
  if (t === 'int32' || t === 'uint32' || t === 'int64') {
    const n = numeric(v);
    const [min, max] = INT_RANGE[t];
    return n !== undefined && Number.isInteger(n) && n >= min! && n <= max!
      ? n
      : fail(t === 'uint32' ? 'a non-negative integer' : 'an integer');
  }
  if (t === 'duration') {
    if (typeof v !== 'string') return fail('a duration (a string such as 5s)');
    const ns = /\s/.test(v) ? undefined : parseGoDuration(v);
    return ns ?? fail('a duration (e.g. 5s, 1m30s)');
  }
  if ('enum' in t) {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    return typeof v === 'string' && t.enum.includes(v) ? v : fail(`one of ${t.enum.join(', ')}`);
  }
  if ('list' in t) {
    if (!Array.isArray(v)) return fail('a list');
    return v.map((item, i) => read(item, t.list, `${path}[${i}]`));
  }
  if (!isObject(v)) return fail('a mapping');
  const out: Obj = {};
  for (const [key, value] of Object.entries(v)) {
    if ('map' in t) {
      const item = read(value, t.map, `${path}.${key}`);
      if (item !== null && item !== undefined) out[key] = item;
      continue;
    }
    const name = camel(key);
    const ft = t.msg[name];
    if (ft === undefined) continue; // unknown fields are ignored
    const item = read(value, ft, path === '' ? name : `${path}.${name}`);
    if (item !== null && item !== undefined) out[name] = item;
  }
  if ('msg' in t)
    for (const members of t.oneofs ?? []) {
      const given = members.filter((name) => name in out);
      for (const replaced of given.slice(0, -1)) delete out[replaced];
    }
  return out;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const obj = (v: unknown): Obj | undefined => (isObject(v) ? v : undefined);

/** Host names and IP addresses as istiod's FQDN check reads them. */
function fqdnProblem(host: string): boolean {
  if (host === '' || host.length > 255) return true;
  const labels = host.split('.');
  if (goAtoi(labels[labels.length - 1]!) !== null) return true;
  return labels.some(
    (l, i) =>
      !(i === labels.length - 1 && l === '') &&
      !(l.length <= 63 && /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(l)),
  );
}

/** Why `addr` is not `host:port` with a port from 1 to 65535 and a host name or IP address. */
function addressProblem(addr: string): string | undefined {
  const split = goSplitHostPort(addr);
  if (typeof split === 'string') return `${JSON.stringify(addr)} is not host:port (${split})`;
  const [host, p] = split;
  const port = goAtoi(p);
  if (port === null) return `port ${JSON.stringify(p)} of ${JSON.stringify(addr)} is not a number`;
  if (port < 1 || port > 65535) return `port ${port} of ${JSON.stringify(addr)} is not in the range 1..65535`;
  if (fqdnProblem(host) && typeof goParseAddr(host) === 'string')
    return `${JSON.stringify(host)} is not a valid host name or IP address`;
  return undefined;
}

function tlsProblems(tls: Obj): string[] {
  const out: string[] = [];
  const mode = tls.mode;
  const credentialName = str(tls.credentialName);
  if (credentialName.startsWith('configmap://'))
    out.push(
      `credentialName ${JSON.stringify(credentialName)}: a configmap:// credential cannot be used here`,
    );
  if (tls.insecureSkipVerify === true) {
    const sans = tls.subjectAltNames !== undefined;
    if ((mode === 'SIMPLE' || mode === 1) && (tls.caCertificates || credentialName || sans))
      out.push(
        'insecureSkipVerify: true leaves no room for caCertificates, credentialName or subjectAltNames',
      );
    if ((mode === 'MUTUAL' || mode === 2) && (tls.caCertificates || sans))
      out.push('insecureSkipVerify: true leaves no room for caCertificates or subjectAltNames');
  }
  const simpleOrMutual = ['SIMPLE', 'MUTUAL', 1, 2].includes(mode as string);
  if (simpleOrMutual && credentialName !== '') {
    if (tls.clientCertificate || tls.caCertificates || tls.privateKey || tls.caCrl)
      out.push('credentialName leaves no room for clientCertificate, privateKey, caCertificates or caCrl');
    return out;
  }
  if (mode === 'MUTUAL' || mode === 2) {
    if (!tls.clientCertificate) out.push('clientCertificate is required for mode MUTUAL');
    if (!tls.privateKey) out.push('privateKey is required for mode MUTUAL');
  }
  return out;
}

/** The problems istiod's ProxyConfig validation finds in `pc` (a value `read` returned), defaults applied. */
function validate(pc: Obj): string[] {
  const out: string[] = [];
  const at = (path: string, problem: string | undefined) => {
    if (problem !== undefined) out.push(`${path}: ${problem}`);
  };
  if ('configPath' in pc && pc.configPath === '') out.push('configPath must not be empty');
  if ('binaryPath' in pc && pc.binaryPath === '') out.push('binaryPath must not be empty');
  if ('serviceCluster' in pc && pc.serviceCluster === '') out.push('serviceCluster must not be empty');
  if ('drainDuration' in pc) {
    const ns = num(pc.drainDuration);
    if (ns < 1e6) out.push(`drainDuration must be at least 1ms`);
    else if (ns % 1e6 !== 0) out.push('drainDuration supports millisecond precision only');
    else if (ns % 1e9 !== 0) out.push('drainDuration supports whole seconds only');
  }
  if ('discoveryAddress' in pc) {
    const addr = str(pc.discoveryAddress);
    at('discoveryAddress', addr === '' ? 'must be set (istiod host:port)' : addressProblem(addr));
  }
  const tracing = obj(pc.tracing);
  const lightstep = obj(tracing?.lightstep);
  if (lightstep) {
    at('tracing.lightstep.address', addressProblem(str(lightstep.address)));
    if (!lightstep.accessToken) out.push('tracing.lightstep.accessToken is required');
  }
  for (const tracer of ['zipkin', 'datadog']) {
    const t = obj(tracing?.[tracer]);
    if (t) at(`tracing.${tracer}.address`, addressProblem(str(t.address).replace('$(HOST_IP)', '127.0.0.1')));
  }
  const tls = obj(tracing?.tlsSettings);
  if (tls) for (const p of tlsProblems(tls)) out.push(`tracing.tlsSettings: ${p}`);
  for (const key of ['statsdUdpAddress', 'envoyMetricsServiceAddress'])
    if (str(pc[key]) !== '') at(key, addressProblem(str(pc[key])));
  for (const key of ['envoyMetricsService', 'envoyAccessLogService']) {
    const addr = str(obj(pc[key])?.address);
    if (addr !== '') at(`${key}.address`, addressProblem(addr));
  }
  for (const key of ['proxyAdminPort', 'statusPort'])
    if (key in pc && (num(pc[key]) < 1 || num(pc[key]) > 65535))
      out.push(`${key}: ${num(pc[key])} is not a port number (1-65535)`);
  const cpap = pc.controlPlaneAuthPolicy;
  if (cpap !== undefined && !['NONE', 'MUTUAL_TLS', 0, 1].includes(cpap as string))
    out.push(`controlPlaneAuthPolicy: ${show(cpap)} is not NONE or MUTUAL_TLS`);
  const pkp = obj(pc.privateKeyProvider);
  if (pkp) {
    const kind = ['cryptomb', 'qat'].find((k) => obj(pkp[k]));
    if (!kind) out.push('privateKeyProvider: needs a provider (cryptomb or qat)');
    else if (!('pollDelay' in obj(pkp[kind])!)) out.push(`privateKeyProvider.${kind}.pollDelay is required`);
    else if (num(obj(pkp[kind])!.pollDelay) === 0)
      out.push(`privateKeyProvider.${kind}.pollDelay must not be 0`);
  }
  const cs = obj(pc.connectionSettings);
  if (cs) {
    for (const [field, value] of Object.entries(cs)) {
      if (typeof value !== 'number') continue;
      const fieldType = (PROXY_CONFIG.connectionSettings as { msg: Fields }).msg[field];
      let rule: string | undefined;
      if (fieldType === 'duration' || field.endsWith('BufferLimitBytes'))
        rule = value < 0 ? 'must not be negative' : undefined;
      else if (field.startsWith('http2Initial')) rule = value < 65535 ? 'must be at least 65535' : undefined;
      else if (fieldType === 'int32') rule = value <= 0 ? 'must be positive' : undefined;
      if (rule) out.push(`connectionSettings.${field}: ${rule}`);
    }
  }
  return out;
}

/** Why the annotation's value is not a ProxyConfig istiod accepts (all problems, "; "-separated). */
export function proxyConfigProblem(value: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = jsYaml.load(value, { schema: KUBE_YAML_SCHEMA });
  } catch (err) {
    return `not valid YAML: ${(err as { reason?: string }).reason ?? (err as Error).message}`;
  }
  return proxyConfigValueProblem(parsed);
}

/**
 * Why a proxy config already read from YAML (the annotation's, or a mesh config's `defaultConfig`, which
 * istiod validates the same way) is not one istiod accepts; undefined when it is.
 */
export function proxyConfigValueProblem(parsed: unknown): string | undefined {
  if (parsed === null || parsed === undefined) return undefined;
  if (!isObject(parsed)) return 'must be a ProxyConfig mapping';
  let pc: Obj;
  try {
    pc = read(parsed, { msg: PROXY_CONFIG, oneofs: PROXY_CONFIG_ONEOFS }, '') as Obj;
  } catch (problem) {
    if (typeof problem === 'string') return problem;
    throw problem;
  }
  const problems = validate(pc);
  return problems.length === 0 ? undefined : problems.join('; ');
}
