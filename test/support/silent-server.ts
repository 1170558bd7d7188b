/**
 * A Kubernetes API server that never answers: it accepts TCP connections on 127.0.0.1 and, in `tls`
 * mode, completes the TLS handshake (a certificate for 127.0.0.1 made by `openssl` at test time) and then
 * reads requests without ever writing a byte; in `tcp` mode it does not even answer the TLS handshake.
 * What a hung API server, or a firewall that swallows packets after the connect, looks like.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { writeLoopbackServingCert } from './certs.js';

export interface SilentServer {
  url: string;
  /** Connections accepted so far (TLS: with a completed handshake). */
  readonly connections: number;
  /** Resolves once the server has accepted `n` connections. */
  accepted(n?: number): Promise<void>;
  /** A kubeconfig for this server (context "silent", a bearer token, the server's CA). */
  kubeconfig: string;
  /** Cuts every open connection (the client sees a reset). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startSilentServer(mode: 'tls' | 'tcp' = 'tls'): Promise<SilentServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-silent-'));
  const { certFile, keyFile } = writeLoopbackServingCert(dir, 'silent');
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume(); // read the request, never answer
    connections++;
    for (const w of waiters.filter((x) => connections >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const server =
    mode === 'tls'
      ? tls.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, onConnection)
      : net.createServer(onConnection);
  if (mode === 'tls') server.on('connection', (raw: net.Socket) => sockets.add(raw));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const kubeconfig = writeKubeconfig(dir, 'silent', url, certFile);
  return {
    url,
    get connections() {
      return connections;
    },
    accepted: (n = 1) =>
      connections >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    kubeconfig,
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A kubeconfig in `dir` for a stand-in at `url` (context `name`, a bearer token or the `user` given as
 * YAML, the server's CA when it speaks TLS, more of the cluster's fields in `cluster` as YAML flow
 * entries, the context's namespace, `default` unless given); its path (`file` in `dir`, `kubeconfig` unless given).
 */
export function writeKubeconfig(
  dir: string,
  name: string,
  url: string,
  certFile?: string,
  opts: { user?: string; file?: string; cluster?: string; namespace?: string } = {},
): string {
  const kubeconfig = join(dir, opts.file ?? 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${name}`,
      `  cluster: {server: "${url}"${certFile ? `, certificate-authority: "${certFile}"` : ''}${opts.cluster ? `, ${opts.cluster}` : ''}}`,
      'users:',
      `- name: ${name}`,
      `  user: ${opts.user ?? `{token: ${name}-token}`}`,
      'contexts:',
      `- name: ${name}`,
      `  context: {cluster: ${name}, user: ${name}, namespace: ${opts.namespace ?? 'default'}}`,
      `current-context: ${name}`,
      '',
    ].join('\n'),
  );
  return kubeconfig;
}

/**
 * `server` listening on a loopback port, with a kubeconfig (context `ci`, its namespace `namespace`, else
 * `default`) for it in a temporary folder: what the test API server stand-ins share. `close` stops the
 * server and removes the folder.
 */
export async function serveWithKubeconfig(
  server: http.Server,
  prefix: string,
  namespace?: string,
): Promise<{ url: string; kubeconfig: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    kubeconfig: writeKubeconfig(dir, 'ci', url, undefined, { namespace }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
