// A proxyless gRPC workload, as Istio runs them: @grpc/grpc-js-xds bootstrapped (GRPC_XDS_BOOTSTRAP)
// against istiod, opening a channel to an xds:/// target so that it subscribes to LDS/RDS/CDS/EDS, ACKs
// or NACKs what istiod sends, and serving CSDS (grpc-js admin services) with the config it holds.
// Prints `{"csds":"127.0.0.1:<port>"}` on stdout once serving; runs until killed.
// Usage: GRPC_XDS_BOOTSTRAP=bootstrap.json node xds-proxy.mjs xds:///catalog.shop.svc.cluster.local:8080
import grpc from '@grpc/grpc-js';
import xds from '@grpc/grpc-js-xds';

xds.register();
const target = process.argv[2];
const channel = new grpc.Channel(target, grpc.credentials.createInsecure(), {});
// connecting is what makes the client resolve the target through xDS
const poke = () => {
  const state = channel.getConnectivityState(true);
  channel.watchConnectivityState(state, Date.now() + 5_000, () => poke());
};
poke();

const server = new grpc.Server();
grpc.addAdminServicesToServer(server);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`bind: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ csds: `127.0.0.1:${port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
