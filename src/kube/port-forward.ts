/**
 * Kubernetes port-forward over WebSocket, spoken directly: GET (upgrade)
 * `/api/v1/namespaces/<ns>/pods/<pod>/portforward?ports=<port>` with subprotocol `v4.channel.k8s.io`
 * (binary: each message is one channel byte then payload) or a base64 variant (text: the channel as an
 * ASCII digit then base64 payload). Channel 0 carries the data of the port, channel 1 its errors; the
 * server starts each channel with the port number (2 bytes, little endian). One WebSocket carries one
 * TCP connection, so the local listener opens one per accepted connection.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { deadline } from '../util/duration.js';
import { MeshError, describeError } from '../util/errors.js';
import { apiStatusError, unreachableError, type KubeApi } from './api.js';
import { timeoutError } from './rest.js';

export const PORT_FORWARD_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];

const DATA_CHANNEL = 0;
const ERROR_CHANNEL = 1;

export interface PortForwardTarget {
  api: KubeApi;
  namespace: string;
  pod: string;
  port: number;
}

/** An error the server reported on the error channel (e.g. nothing listens on the pod port). */
export class PortForwardError extends MeshError {}

/** One TCP connection to the pod port, carried by one WebSocket. */
class PodStream extends Duplex {
  /** Header bytes still expected per channel (the port number that starts each channel). */
  private readonly headerLeft = [2, 2];
  private readonly headerBytes = [Buffer.alloc(2), Buffer.alloc(2)];

  constructor(
    private readonly ws: WebSocket,
    private readonly target: PortForwardTarget,
  ) {
    super({ allowHalfOpen: false });
    const base64 = ws.protocol.includes('base64');
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (base64 || !isBinary) {
        const text = buf.toString('latin1');
        this.onChannel(text.charCodeAt(0) - 48, Buffer.from(text.slice(1), 'base64'));
      } else {
        this.onChannel(buf[0]!, buf.subarray(1));
      }
    });
    ws.on('close', () => {
      if (!this.destroyed) this.push(null);
    });
    ws.on('error', (err) =>
      this.destroy(new MeshError(`port-forward connection failed: ${describeError(err)}`)),
    );
  }

  private onChannel(channel: number, payload: Buffer): void {
    if (channel !== DATA_CHANNEL && channel !== ERROR_CHANNEL) return;
    let rest = payload;
    const left = this.headerLeft[channel]!;
    if (left > 0) {
      const take = Math.min(left, rest.length);
      rest.copy(this.headerBytes[channel]!, 2 - left, 0, take);
      this.headerLeft[channel] = left - take;
      rest = rest.subarray(take);
      if (this.headerLeft[channel] === 0) {
        const port = this.headerBytes[channel]!.readUInt16LE(0);
        if (port !== this.target.port)
          return void this.destroy(
            new PortForwardError(
              `port-forward: server announced port ${port} instead of ${this.target.port}`,
            ),
          );
      }
    }
    if (rest.length === 0) return;
    if (channel === ERROR_CHANNEL) {
      const { namespace, pod, port } = this.target;
      this.destroy(
        new PortForwardError(
          `port-forward to pod ${pod}.${namespace} port ${port} failed: ${rest.toString('utf8')}`,
        ),
      );
    } else if (!this.push(rest)) {
      this.ws.pause();
    }
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return cb(new MeshError('port-forward connection is closed'));
    if (this.ws.protocol.includes('base64'))
      this.ws.send(String(DATA_CHANNEL) + chunk.toString('base64'), cb);
    else this.ws.send(Buffer.concat([Buffer.of(DATA_CHANNEL), chunk]), cb);
  }

  /** The protocol cannot half-close a channel: the WebSocket closes when the stream is destroyed. */
  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    cb(err);
  }
}

/** Opens one WebSocket port-forward stream to the pod port (resolves once the upgrade succeeded). */
export async function openPodStream(target: PortForwardTarget): Promise<Duplex> {
  const { api, namespace, pod, port } = target;
  const base = await api.requestOptions();
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`;
  const url = api.kube.url.replace(/^http/, 'ws') + path;
  const what = `port-forward to pod ${pod}.${namespace}`;
  return new Promise<Duplex>((resolve, reject) => {
    const ws = new WebSocket(url, PORT_FORWARD_PROTOCOLS, {
      ...(base as WebSocket.ClientOptions),
      perMessageDeflate: false,
    });
    const cancel = deadline(api.timeoutMs, () =>
      fail(timeoutError(api.kube, api.timeoutMs, what, api.timeoutFlag)),
    );
    const fail = (err: MeshError) => {
      cancel();
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      reject(err);
    };
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        fail(apiStatusError(api.kube, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), what)),
      );
      res.on('error', (err) => fail(unreachableError(api.kube, err)));
    });
    ws.once('error', (err) => fail(unreachableError(api.kube, err)));
    ws.once('open', () => {
      cancel();
      ws.removeAllListeners();
      if (!PORT_FORWARD_PROTOCOLS.includes(ws.protocol))
        return fail(new MeshError(`${what}: the server did not agree on a port-forward protocol`));
      resolve(new PodStream(ws, target));
    });
  });
}

export interface PortForward {
  /** The local port on 127.0.0.1 that forwards to the pod. */
  readonly localPort: number;
  /** The last error of a forwarded connection (e.g. the error channel's message), if any. */
  readonly lastError: string | undefined;
  /** Whether that error came from the pod's side (the error channel: e.g. nothing listens on the port). */
  readonly lastErrorFromPod: boolean;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (random port) and forwards every accepted connection to the pod port. */
export async function startPortForward(target: PortForwardTarget): Promise<PortForward> {
  const sockets = new Set<net.Socket>();
  let lastError: string | undefined;
  let lastErrorFromPod = false;
  const failed = (err: unknown) => {
    lastError = describeError(err);
    lastErrorFromPod = err instanceof PortForwardError;
  };
  const server = net.createServer({ pauseOnConnect: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    openPodStream(target).then(
      (stream) => {
        if (sock.destroyed) return void stream.destroy();
        stream.on('error', (err) => {
          failed(err);
          sock.destroy();
        });
        sock.on('close', () => stream.destroy());
        sock.pipe(stream);
        stream.pipe(sock);
        sock.resume();
      },
      (err) => {
        failed(err);
        sock.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const localPort = (server.address() as net.AddressInfo).port;
  return {
    localPort,
    get lastError() {
      return lastError;
    },
    get lastErrorFromPod() {
      return lastErrorFromPod;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
