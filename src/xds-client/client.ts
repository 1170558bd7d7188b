/**
 * A small xDS client: one state-of-the-world ADS request for a (debug) type, answered by the first
 * response of that type, and the Client Status Discovery Service. Transport is @grpc/grpc-js; messages
 * come from the real Envoy protos (./protos.ts), decoded to their JSON shape.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import { ExitCode, MeshError } from '../util/errors.js';
import { isDeadline } from '../util/duration.js';
import { errnoText } from '../util/input.js';
import { loadXdsProtos } from './protos.js';

export const SYNCZ_TYPE = 'istio.io/debug/syncz';
export const CONFIG_DUMP_TYPE = 'istio.io/debug/config_dump';

export type XdsSecurity =
  | { mode: 'plaintext' }
  | {
      mode: 'tls';
      /** Skip server certificate verification (istioctl's default when it uses a token). */
      insecure: boolean;
      /** PEM roots to verify against, and a client certificate for mTLS (`--cert-dir`). */
      rootCert?: Buffer;
      clientCert?: Buffer;
      clientKey?: Buffer;
      /** Expected name in the server certificate (`--authority`). */
      authority?: string;
      /** Bearer token sent with every call (TokenRequest, audience istio-ca). */
      token?: string;
    };

export interface XdsTarget {
  /** host:port to dial. */
  address: string;
  /** What the user knows it as (an istiod pod name, or the address). */
  name: string;
  security: XdsSecurity;
  /**
   * For a target reached through a Kubernetes port-forward: why the forward failed, if it did (nothing
   * listens on the pod port, the tunnel was refused). gRPC sees only the local connection end
   * (`read ECONNRESET`), so these words replace its own.
   */
  forwardFailure?: () => { message: string; hint?: string } | undefined;
}

export interface CallOptions {
  timeoutMs: number;
}

/** A DiscoveryResponse in its JSON shape (snake_case field names, Anys expanded). */
export interface DiscoveryResponse {
  version_info?: string;
  resources?: Array<Record<string, unknown>>;
  type_url?: string;
  nonce?: string;
  control_plane?: { identifier?: string };
}

/** Reads `root-cert.pem`, `cert-chain.pem` and `key.pem` from a directory (istioctl's `--cert-dir`). */
export function readCertDir(
  dir: string,
): Pick<Extract<XdsSecurity, { mode: 'tls' }>, 'rootCert' | 'clientCert' | 'clientKey'> {
  const read = (f: string, what: string, check: (pem: Buffer) => unknown) => {
    const file = join(dir, f);
    const usage = (msg: string) => new MeshError(`--cert-dir: ${msg}`, { exitCode: ExitCode.USAGE });
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch (err) {
      throw usage(`cannot read ${file}: ${errnoText(err)}`);
    }
    // checked here, where the file can be named: TLS would only say `PEM routines::no start line` as the
    // address's error once mesh connects (and never show what a key file holds)
    try {
      check(pem);
    } catch {
      throw usage(`${file} holds no PEM ${what}`);
    }
    return pem;
  };
  const certificate = (pem: Buffer) => new X509Certificate(pem);
  return {
    rootCert: read('root-cert.pem', 'certificate', certificate),
    clientCert: read('cert-chain.pem', 'certificate', certificate),
    clientKey: read('key.pem', 'private key', (pem) => createPrivateKey(pem)),
  };
}

function channelCredentials(grpc: typeof grpcTypes, s: XdsSecurity): grpcTypes.ChannelCredentials {
  if (s.mode === 'plaintext') return grpc.credentials.createInsecure();
  const verify: grpcTypes.VerifyOptions = s.insecure
    ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
    : {};
  const ssl = grpc.credentials.createSsl(
    s.rootCert ?? null,
    s.clientKey ?? null,
    s.clientCert ?? null,
    verify,
  );
  if (!s.token) return ssl;
  const token = s.token;
  const perCall = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    callback(null, md);
  });
  return grpc.credentials.combineChannelCredentials(ssl, perCall);
}

function makeClient(target: XdsTarget, service: 'ads' | 'csds', what: 'services' | 'config') {
  const protos = loadXdsProtos(what);
  const { grpc } = protos;
  const Client = grpc.makeGenericClientConstructor(protos[service], service);
  const channelOptions: grpcTypes.ChannelOptions = {
    'grpc.max_receive_message_length': MAX_XDS_MESSAGE_BYTES,
    // Never retry on our own: a failure is reported with the replica's name.
    'grpc.enable_retries': 0,
  };
  if (target.security.mode === 'tls' && target.security.authority)
    channelOptions['grpc.ssl_target_name_override'] = target.security.authority;
  return {
    grpc,
    client: new Client(target.address, channelCredentials(grpc, target.security), channelOptions),
  };
}

/** gRPC's deadline for a call of `timeoutMs` (--timeout); 0 (or beyond a timer's range) means none, as everywhere in mesh. */
export function callDeadline(timeoutMs: number): Date | number {
  return isDeadline(timeoutMs) ? new Date(Date.now() + timeoutMs) : Infinity;
}

/** One line for a failed call, naming the replica and saying what to check. */
/**
 * The largest answer mesh takes from an xDS server: a proxy's config dump of a large mesh is tens of
 * megabytes; a 510 MB answer, decoded at once (no deadline can fire meanwhile), exhausted the heap after
 * running minutes past --timeout, and a server announcing 4 GiB was read into memory until the timeout.
 */
export const MAX_XDS_MESSAGE_BYTES = 256 * 1024 * 1024;

/** How errors name a target: its address, after its name when it has one of its own. */
const whereOf = (target: XdsTarget) =>
  target.name.includes(target.address) ? target.name : `${target.name} (${target.address})`;

/** A call's error, marked when the server had answered with gRPC response headers first. */
type CallFailure = { grpcAnswer?: boolean };

/** Marks `err` (a grpc-js status object) as coming after gRPC response headers, when they came. */
function afterHeaders(err: unknown, grpcAnswer: boolean): unknown {
  return grpcAnswer && typeof err === 'object' && err !== null ? { ...err, grpcAnswer } : err;
}

/** Whether response metadata (the server's headers) says the answer is gRPC. */
function isGrpcAnswer(metadata: grpcTypes.Metadata): boolean {
  return metadata.get('content-type').some((v) => String(v).startsWith('application/grpc'));
}

export function describeCallError(target: XdsTarget, err: unknown, timeoutMs: number): MeshError {
  const e = err as { code?: number; details?: string; message?: string };
  const where = whereOf(target);
  const details = (e.details ?? e.message ?? String(err))
    .split('\n')[0]!
    .replace(/\s*Resolution note:\s*$/, '');
  // The server answered as gRPC (its headers said application/grpc), then ended the stream before the
  // answer's end and status: a server restarting or crashing mid-answer, not a wrong port.
  if ((err as CallFailure).grpcAnswer && /^Received RST_STREAM/.test(details))
    return new MeshError(`${where}: connection lost mid-answer: ${details}`, {
      hint: 'the server ended its answer before the end (a replica restarting or overloaded?): try again',
    });
  switch (e.code) {
    case 4: // DEADLINE_EXCEEDED
      return new MeshError(`${where}: no answer within ${timeoutMs / 1000}s`, {
        hint: 'raise --timeout, or check that the address is an xDS server',
      });
    case 14: // UNAVAILABLE
      // grpc-js's words for a server that does not speak HTTP/2 (istiod's HTTP/1.1 port 15014, a web server)
      if (/Protocol error/.test(details)) return notGrpc(where, `answered HTTP/1, not gRPC: ${details}`);
      if (target.security.mode === 'tls' && NOT_TLS.test(details)) return notTls(where, 'unknown');
      if (details === STREAM_CLOSED) return new MeshError(`${where}: ${details}`);
      // a connection that was made and then lost (a replica ending mid-answer): the port was right
      if (!NEVER_CONNECTED.test(details))
        return new MeshError(`${where}: connection lost: ${details}`, {
          hint: 'the server ended the connection after it was made (a replica restarting or overloaded?): try again',
        });
      return new MeshError(`${where}: unreachable: ${details}`, {
        hint:
          target.security.mode === 'plaintext'
            ? 'is it a plaintext xDS port (istiod: 15010)? for the TLS port 15012 drop --plaintext'
            : 'is it a TLS xDS port (istiod: 15012)? for plaintext (15010) add --plaintext',
      });
    case 16: // UNAUTHENTICATED
      return new MeshError(`${where}: authentication rejected: ${details}`, {
        hint: 'istiod accepts a Kubernetes token for audience istio-ca, or a client certificate (--cert-dir)',
      });
    case 7: // PERMISSION_DENIED
      return new MeshError(`${where}: permission denied: ${details}`);
    case 8: // RESOURCE_EXHAUSTED
      return new MeshError(`${where}: response too large: ${details}`, {
        // (an HTTP/2 server answering with a web page: its first bytes read as a huge message length)
        hint: `mesh takes answers of up to ${MAX_XDS_MESSAGE_BYTES / 1048576} MiB from an xDS server; is it an xDS port? istiod serves xDS on 15010 (plaintext) and 15012 (TLS)`,
      });
    default:
      // grpc-js's words for an HTTP/2 answer without gRPC (a web server, a proxy, a wrong port): an error
      // status, or a 200 that ends without a gRPC status
      if (/^Received HTTP status code \d+|Call ended without gRPC status/.test(details))
        return notGrpc(where, `answered HTTP, not gRPC: ${details}`);
      return new MeshError(`${where}: ${details}`);
  }
}

/**
 * grpc-js's words when no connection was ever made (refused, no such host, a TLS or HTTP/2 handshake
 * that failed): only then is the address or port in question.
 */
const NEVER_CONNECTED = /^No connection established|^Name resolution failed|^Failed to connect/;

/** A stream the server ended without answering the request (no fault of the connection). */
const STREAM_CLOSED = 'stream closed before a response arrived';

/** OpenSSL's words when the server answered the TLS handshake with bytes that are not TLS. */
const NOT_TLS = /wrong version number/i;

/** What a server that does not speak TLS speaks instead, as far as `plaintextProtocol` can tell. */
export type Plaintext = 'HTTP/1' | 'HTTP/2' | 'unknown';

function notTls(where: string, spoken: Plaintext): MeshError {
  if (spoken === 'HTTP/1')
    return new MeshError(
      `${where}: unreachable: it answers plaintext HTTP/1, not TLS (a web or monitoring port, such as istiod's 15014?)`,
      { hint: 'istiod serves xDS on 15012 (TLS) and 15010 (plaintext, with --plaintext)' },
    );
  const what =
    spoken === 'HTTP/2'
      ? "it answers plaintext HTTP/2, not TLS (gRPC without TLS, as on istiod's xDS port 15010)"
      : 'it answered the TLS handshake with something that is not TLS';
  return new MeshError(`${where}: unreachable: ${what}`, {
    hint: "for a plaintext xDS port (istiod: 15010) add --plaintext; istiod's TLS xDS port is 15012",
  });
}

/**
 * What the server at `address` speaks without TLS, found by sending it HTTP/2's connection preface: an
 * HTTP/2 server answers with its SETTINGS frame, an HTTP/1 server with `HTTP/1.x 400` or `505`. One
 * short-lived connection, within `ms`; `unknown` when the answer is neither or does not come.
 */
export function plaintextProtocol(address: string, ms: number): Promise<Plaintext> {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(address);
  if (!m) return Promise.resolve('unknown');
  return new Promise<Plaintext>((resolve) => {
    const socket = net.connect({ host: m[1]!, port: Number(m[2]) });
    const done = (p: Plaintext) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => done('unknown'), ms);
    socket.on('error', () => done('unknown'));
    socket.on('connect', () =>
      // the client preface, then an empty SETTINGS frame (length 0, type 4, no flags, stream 0)
      socket.write(
        Buffer.concat([
          Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
          Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
        ]),
      ),
    );
    let got = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.subarray(0, 5).toString('latin1') === 'HTTP/') done('HTTP/1');
      else if (got.length >= 9) done(got[3] === 4 ? 'HTTP/2' : 'unknown');
    });
    socket.on('end', () => done('unknown'));
  });
}

/**
 * describeCallError, and for a TLS handshake that the server answered with something that is not TLS,
 * what it speaks instead (`plaintextProtocol`, within 2 s).
 */
export async function describeCallFailure(
  target: XdsTarget,
  err: unknown,
  timeoutMs: number,
): Promise<MeshError> {
  const e = err as { code?: number; details?: string; message?: string };
  const details = e.details ?? e.message ?? '';
  const forward = e.code === 14 ? target.forwardFailure?.() : undefined;
  if (forward) {
    const hint = forward.hint === undefined ? {} : { hint: forward.hint };
    return new MeshError(`${whereOf(target)}: ${forward.message}`, hint);
  }
  if (e.code === 14 && target.security.mode === 'tls' && NOT_TLS.test(details)) {
    const where = whereOf(target);
    const ms = isDeadline(timeoutMs) ? Math.min(timeoutMs, 2000) : 2000;
    return notTls(where, await plaintextProtocol(target.address, ms));
  }
  return describeCallError(target, err, timeoutMs);
}

function notGrpc(where: string, what: string): MeshError {
  return new MeshError(`${where}: ${what}`, {
    hint: 'is it an xDS port? istiod serves xDS on 15010 (plaintext) and 15012 (TLS)',
  });
}

/** The node that mesh presents to the control plane when it asks debug questions. */
export function debugNode(namespace: string): Record<string, unknown> {
  return {
    id: `sidecar~127.0.0.1~mesh-${process.pid}.${namespace}~${namespace}.svc.cluster.local`,
    metadata: {
      GENERATOR: 'event',
      NAMESPACE: namespace,
      // istiod gates features on the client's version; the highest one asks for everything.
      ISTIO_VERSION: '65536.65536.65536',
    },
  };
}

/**
 * Opens an ADS stream, sends one DiscoveryRequest for `typeUrl` and resolves with the first response of
 * that type (or with no type, which can only answer the one request). Debug responses are not ACKed; the
 * stream is cancelled once answered.
 */
export function adsRequest(
  target: XdsTarget,
  typeUrl: string,
  resourceNames: string[],
  opts: CallOptions & { namespace: string },
): Promise<DiscoveryResponse> {
  // sync status needs only the service protos; anything else carries config
  const { grpc, client } = makeClient(target, 'ads', typeUrl === SYNCZ_TYPE ? 'services' : 'config');
  return new Promise<DiscoveryResponse>((resolve, reject) => {
    let settled = false;
    const deadline = callDeadline(opts.timeoutMs);
    const call = (client as any).StreamAggregatedResources({ deadline }) as grpcTypes.ClientDuplexStream<
      unknown,
      DiscoveryResponse
    >;
    let grpcAnswer = false;
    call.on('metadata', (m: grpcTypes.Metadata) => (grpcAnswer = isGrpcAnswer(m)));
    const finish = (err: unknown, value?: DiscoveryResponse) => {
      if (settled) return;
      settled = true;
      call.cancel();
      client.close();
      if (err) void describeCallFailure(target, afterHeaders(err, grpcAnswer), opts.timeoutMs).then(reject);
      else resolve(value!);
    };
    call.on('data', (res: DiscoveryResponse) => {
      // One request is outstanding on this stream: an answer that leaves type_url empty answers it.
      if (res.type_url === typeUrl || !res.type_url) finish(undefined, res);
    });
    call.on('error', (err: { code?: number }) => {
      if (err.code !== grpc.status.CANCELLED || !settled) finish(err);
    });
    call.on('end', () => finish({ code: grpc.status.UNAVAILABLE, details: STREAM_CLOSED }));
    call.write({
      node: debugNode(opts.namespace),
      type_url: typeUrl,
      resource_names: resourceNames,
      response_nonce: `mesh-${Date.now()}`,
    });
  });
}

/** A ClientConfig from CSDS or from istiod's syncz, in its JSON shape. */
export interface ClientConfig {
  node?: { id?: string; metadata?: Record<string, unknown> };
  generic_xds_configs?: Array<Record<string, any>>;
  xds_config?: Array<Record<string, any>>;
  [k: string]: unknown;
}

/** CSDS `FetchClientStatus`: the config an xDS client (Envoy, a proxyless gRPC app) holds. */
export function fetchClientStatus(target: XdsTarget, opts: CallOptions): Promise<ClientConfig[]> {
  const { client } = makeClient(target, 'csds', 'config');
  return new Promise<ClientConfig[]>((resolve, reject) => {
    const deadline = callDeadline(opts.timeoutMs);
    let grpcAnswer = false;
    const call = (client as any).FetchClientStatus(
      {},
      { deadline },
      (err: unknown, res: { config?: ClientConfig[] } | undefined) => {
        client.close();
        if (err) void describeCallFailure(target, afterHeaders(err, grpcAnswer), opts.timeoutMs).then(reject);
        else resolve(res?.config ?? []);
      },
    ) as grpcTypes.ClientUnaryCall;
    call.on('metadata', (m: grpcTypes.Metadata) => (grpcAnswer = isGrpcAnswer(m)));
  });
}
