/**
 * A stand-in for the Kubernetes API server as far as mesh uses it: GET of pods, pod lists (with a
 * label selector), apps/v1 workloads and services from an in-memory list, and the WebSocket
 * port-forward subresource speaking the real protocol: subprotocol negotiation (v4.channel.k8s.io and
 * the base64 variants), channel 0 = data and channel 1 = errors for the one requested port, each
 * channel opened by the port number (2 bytes, little endian), an error text on channel 1 when the
 * target refuses the connection. A real API server cannot forward here (no kubelet), hence this.
 */
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeKubeOptions {
  /** Objects served by GET (each needs apiVersion, kind, metadata.name, metadata.namespace). */
  objects?: any[];
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Where port-forwards to pod (ns/name) port p go: a local port on 127.0.0.1. Default: p itself. */
  forward?: (namespace: string, pod: string, port: number) => number;
  /** Subprotocols the server accepts, in its order of preference. */
  protocols?: string[];
  /** Answer the port-forward upgrade with this status and a Status body instead. */
  rejectPortForward?: { status: number; message: string };
  /** Split the port header of the data channel over two messages (wire-level edge case). */
  splitHeader?: boolean;
  /** Stall every GET this long (for timeout tests). */
  delayMs?: number;
}

export interface FakeKube {
  url: string;
  /** Port-forward WebSockets accepted so far. */
  forwards: number;
  /** Writes a kubeconfig for this server (context "fake", namespace `namespace`) and returns its path. */
  kubeconfig(opts?: { namespace?: string; token?: string }): string;
  close(): Promise<void>;
}

const PLURALS: Record<string, string> = {
  Pod: 'pods',
  Service: 'services',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
  ConfigMap: 'configmaps',
};

function status(res: http.ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code }));
}

/** Matches `a=b,c in (d,e),!f,g` against labels (enough of the selector grammar for tests). */
export function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  const parts = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return parts.every((raw) => {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+) (in|notin) \((.*)\)$/))) {
      const has = m[3]!.split(',').includes(labels[m[1]!] ?? '\0');
      return m[2] === 'in' ? has : !has;
    }
    if ((m = p.match(/^(\S+?)=(.*)$/))) return labels[m[1]!] === m[2];
    if (p.startsWith('!')) return !(p.slice(1) in labels);
    return p in labels;
  });
}

function portForward(ws: WebSocket, port: number, target: number, base64: boolean, split: boolean): void {
  const send = (channel: number, data: Buffer) =>
    base64
      ? ws.send(String(channel) + data.toString('base64'))
      : ws.send(Buffer.concat([Buffer.of(channel), data]));
  const header = Buffer.alloc(2);
  header.writeUInt16LE(port);
  if (split) {
    send(0, header.subarray(0, 1));
    send(0, header.subarray(1));
  } else send(0, header);
  send(1, header);
  const pending: Buffer[] = [];
  let open = false;
  const conn = net.connect(target, '127.0.0.1', () => {
    open = true;
    for (const b of pending) conn.write(b);
  });
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    const channel = isBinary ? raw[0]! : raw.toString('latin1').charCodeAt(0) - 48;
    const payload = isBinary ? raw.subarray(1) : Buffer.from(raw.toString('latin1').slice(1), 'base64');
    if (channel !== 0) return;
    if (open) conn.write(payload);
    else pending.push(payload);
  });
  ws.on('close', () => conn.destroy());
  conn.on('data', (d: Buffer) => send(0, d));
  conn.on('end', () => ws.close(1000));
  conn.on('error', (err) => {
    send(1, Buffer.from(`error forwarding port ${port} to pod fake, uid : ${err.message}`));
    ws.close(1000);
  });
}

export async function startFakeKube(opts: FakeKubeOptions = {}): Promise<FakeKube> {
  const objects = opts.objects ?? [];
  const protocols = opts.protocols ?? ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];
  const authorized = (req: http.IncomingMessage) =>
    opts.token === undefined || req.headers.authorization === `Bearer ${opts.token}`;
  const find = (plural: string, ns: string, name: string) =>
    objects.find(
      (o) => PLURALS[o.kind] === plural && o.metadata?.namespace === ns && o.metadata?.name === name,
    );

  const server = http.createServer((req, res) => {
    const respond = () => {
      if (!authorized(req)) return status(res, 401, 'Unauthorized');
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      // /api/v1/pods | /api/v1/namespaces/ns/<plural>[/name] | /apis/apps/v1/namespaces/ns/<plural>/name
      const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
      if (rest.length === 1 && rest[0] === 'pods') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ kind: 'PodList', items: objects.filter((o) => o.kind === 'Pod') }));
      }
      if (rest[0] !== 'namespaces' || rest.length < 3)
        return status(res, 404, 'the server could not find the requested resource');
      const [, ns, plural, name] = rest as [string, string, string, string | undefined];
      if (name === undefined) {
        const selector = url.searchParams.get('labelSelector') ?? '';
        const items = objects.filter(
          (o) =>
            PLURALS[o.kind] === plural &&
            o.metadata?.namespace === ns &&
            selectorMatches(selector, o.metadata?.labels ?? {}),
        );
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ kind: 'List', items }));
      }
      const obj = find(plural, ns, name);
      if (!obj) return status(res, 404, `${plural} "${name}" not found`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (opts.delayMs) setTimeout(respond, opts.delayMs);
    else respond();
  });

  const fake: FakeKube = {
    url: '',
    forwards: 0,
    kubeconfig: (k = {}) => {
      const dir = mkdtempSync(join(tmpdir(), 'mesh-kubeconfig-'));
      const file = join(dir, 'config');
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: fake',
          'clusters:',
          '- name: fake',
          `  cluster: { server: "${fake.url}", insecure-skip-tls-verify: true }`,
          'contexts:',
          '- name: fake',
          `  context: { cluster: fake, user: fake${k.namespace ? `, namespace: ${k.namespace}` : ''} }`,
          'users:',
          '- name: fake',
          `  user: ${k.token ? `{ token: ${k.token} }` : '{}'}`,
          '',
        ].join('\n'),
      );
      return file;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => protocols.find((p) => offered.has(p)) ?? false,
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/);
    const reject = (code: number, message: string) => {
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
      socket.end(
        `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    };
    if (!authorized(req)) return reject(401, 'Unauthorized');
    if (!m) return reject(404, 'the server could not find the requested resource');
    const [ns, pod] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    if (opts.rejectPortForward) return reject(opts.rejectPortForward.status, opts.rejectPortForward.message);
    if (!find('pods', ns, pod)) return reject(404, `pods "${pod}" not found`);
    const port = Number(url.searchParams.get('ports'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      fake.forwards++;
      const target = opts.forward ? opts.forward(ns, pod, port) : port;
      portForward(ws, port, target, ws.protocol.includes('base64'), Boolean(opts.splitHeader));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return fake;
}

/** A pod object with an istio-proxy container (unless `proxy` is false). */
export function fakePod(
  name: string,
  namespace: string,
  o: {
    labels?: Record<string, string>;
    proxy?: boolean;
    phase?: string;
    ready?: boolean;
    created?: string;
  } = {},
): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: o.labels ?? {},
      creationTimestamp: o.created ?? '2026-01-01T00:00:00Z',
    },
    spec: { containers: [{ name: 'app' }, ...(o.proxy === false ? [] : [{ name: 'istio-proxy' }])] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}
