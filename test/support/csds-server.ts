/**
 * A stand-in CSDS endpoint (what a proxyless gRPC client serves), speaking the real protocol: every
 * `FetchClientStatus` is answered with `config`, the ClientConfigs in their JSON shape.
 */
import type * as grpc from '@grpc/grpc-js';
import { loadXdsProtos } from '../../src/xds-client/protos.js';

export interface CsdsStandIn {
  address: string;
  close(): Promise<void>;
}

export async function startCsdsServer(config: Array<Record<string, unknown>>): Promise<CsdsStandIn> {
  const { grpc: g, csds } = loadXdsProtos();
  const server = new g.Server();
  server.addService(csds, {
    FetchClientStatus(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      callback(null, { config });
    },
    StreamClientStatus(call: grpc.ServerDuplexStream<unknown, unknown>) {
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', g.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, close: async () => server.forceShutdown() };
}
