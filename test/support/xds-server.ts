/**
 * A stand-in xDS server speaking the real protocol (grpc-js, the real Envoy protos) for the faults the
 * real istiod cannot be made to produce on demand: a stream reset mid-response, a huge answer, an empty
 * answer, silence. Each ADS request is answered by `answer(request)`.
 */
import http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';
import { loadXdsProtos } from '../../src/xds-client/protos.js';

export type Answer =
  | { kind: 'respond'; response: Record<string, unknown> }
  /** Sends nothing and closes the stream with this gRPC status. */
  | { kind: 'fail'; code: number; details: string }
  /** Never answers. */
  | { kind: 'silent' };

export interface XdsStandIn {
  address: string;
  requests: Array<Record<string, any>>;
  metadata: grpc.Metadata[];
  close(): Promise<void>;
}

export async function startXdsServer(
  answer: (req: Record<string, any>) => Answer,
  credentials?: grpc.ServerCredentials,
): Promise<XdsStandIn> {
  const { grpc: g, ads } = loadXdsProtos();
  const server = new g.Server({ 'grpc.max_send_message_length': -1 });
  const requests: Array<Record<string, any>> = [];
  const metadata: grpc.Metadata[] = [];
  server.addService(ads, {
    StreamAggregatedResources(call: grpc.ServerDuplexStream<any, any>) {
      metadata.push(call.metadata);
      call.on('data', (req: Record<string, any>) => {
        requests.push(req);
        const a = answer(req);
        if (a.kind === 'respond') call.write(a.response);
        else if (a.kind === 'fail') call.emit('error', { code: a.code, details: a.details });
      });
      call.on('error', () => undefined);
    },
    DeltaAggregatedResources(call: grpc.ServerDuplexStream<any, any>) {
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials ?? g.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    requests,
    metadata,
    close: async () => server.forceShutdown(),
  };
}

/**
 * An HTTP/2 server that starts a gRPC response (headers, then the first half of a length-prefixed
 * message) and resets the stream: what a crashing or restarting replica looks like on the wire.
 */
export async function startResettingServer(): Promise<{ address: string; close(): Promise<void> }> {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => undefined); // the reset is the point
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1_000_000, 1);
    stream.write(Buffer.concat([header, Buffer.alloc(1000)]), () =>
      setTimeout(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), 10),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
