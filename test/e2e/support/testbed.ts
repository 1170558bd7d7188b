// Starts the real servers built by scripts/testbed/setup (etcd, kube-apiserver and, on request,
// kube-controller-manager, kube-scheduler with kwok, and istiod) on 127.0.0.1 with free ports and a
// private temp dir, and stops them again. Every listener is bound to loopback; nothing here dials any
// other address.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  statSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { clientsFor } from './kube.js';
import {
  KWOK_CRDS,
  KWOK_NODE,
  KWOK_NODE_ANNOTATION,
  KWOK_NODE_ANNOTATION_VALUE,
  establishCrds,
  registerKwokNode,
  writeKubeletServingCert,
  writeKwokConfig,
} from './kwok.js';

const repoRoot = join(import.meta.dirname, '../../..');
const LOOPBACK = '127.0.0.1';
export const ISTIO_NAMESPACE = 'istio-system';

export interface TestbedOptions {
  /** Also run kube-controller-manager (garbage collection, namespace deletion, ServiceAccounts, Deployments → ReplicaSets). */
  controllerManager?: boolean;
  /** Also run istiod (pilot-discovery) against the API server, in namespace istio-system. */
  istiod?: boolean;
  /** Extra environment for istiod (feature flags such as ENABLE_DEBUG_ENDPOINT_AUTH=false). */
  istiodEnv?: Record<string, string>;
  /**
   * Runs once the API server is up and istio-system exists, before istiod starts: for objects istiod
   * reads only when it starts (its injector ConfigMap decides whether it serves `/inject` at all).
   */
  beforeIstiod?: (kubeconfig: string) => Promise<void>;
  /** More istiod replicas (same API server and namespace), each with its pod name and own environment. */
  istiodReplicas?: Array<{
    podName: string;
    env?: Record<string, string>;
    /** Reach the API server through a TCP relay that `cutApiServer(podName)` cuts. */
    apiServerRelay?: boolean;
  }>;
  /**
   * Also run kube-scheduler and kwok with one simulated node (`kwok-node-0`): pods are scheduled to
   * it, run through their lifecycle by kwok (Running, Ready, pod IPs) and reachable by port-forward
   * through the API server, wherever kwok's PortForward resources send their ports.
   */
  nodes?: boolean;
  /** How long to wait for each server to become ready. */
  readyTimeoutMs?: number;
}

export interface IstiodInfo {
  podName: string;
  httpUrl: string;
  grpcAddress: string;
  secureGrpcAddress: string;
  monitoringUrl: string;
  /** istiod's https listener (`--httpsAddr`): the sidecar injector webhook's `/inject`, when it serves one. */
  webhookAddress: string;
}

/** What tests need to reach the testbed; plain data so vitest can hand it from globalSetup to workers. */
export interface TestbedInfo {
  /** Kubeconfig authenticating as `admin` (group system:masters). */
  kubeconfig: string;
  /** Kubeconfig authenticating as `mesh-e2e-user`, who has no RBAC grants at all. */
  restrictedKubeconfig: string;
  server: string;
  caFile: string;
  binDir: string;
  istiod?: IstiodInfo;
  /** The replicas asked for with `istiodReplicas`, in that order. */
  istiodReplicas?: IstiodInfo[];
  /** The kwok node pods can run on (with `nodes`). */
  node?: string;
  /** Process ids of the servers' tethers (each server is a child of its tether). */
  pids: Record<string, number>;
  startupMs: number;
}

export interface Testbed extends TestbedInfo {
  stop(): Promise<void>;
  /**
   * Closes the relay between a replica (started with `apiServerRelay`) and the API server and refuses
   * new connections: the replica keeps serving what its informers last saw.
   */
  cutApiServer(podName: string): void;
}

/** Where scripts/testbed/setup puts the binaries (it owns the cache layout; this only asks it). */
export function testbedBinDir(): string {
  if (process.env.MESH_TESTBED_BIN) return process.env.MESH_TESTBED_BIN;
  return execFileSync(join(repoRoot, 'scripts/testbed/setup'), ['--bin-dir'], { encoding: 'utf8' }).trim();
}

export function requireBinary(binDir: string, name: string): string {
  const path = join(binDir, name);
  if (!existsSync(path)) {
    throw new Error(
      `testbed binary ${path} is missing: run \`npm run testbed:setup\` (or scripts/testbed/setup ${name})`,
    );
  }
  return path;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, LOOPBACK, () => srv.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral port range: where bind(0) and every outbound connection take their port. */
function ephemeralPorts(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (Number(low) > 0 && Number(high) >= Number(low)) return [Number(low), Number(high)];
  } catch {
    // not Linux
  }
  return [32768, 60999];
}

const PORT_FLOOR = 10_000;

/**
 * A free loopback port for a server, released before the server binds it. It is taken from below the
 * ephemeral range: a port in that range that is free now can become the source port of an outbound
 * connection a moment later (kube-apiserver dialling etcd in a parallel test file), and the server
 * then fails with "address already in use". Below it, only explicit binds land.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralPorts();
  if (low > PORT_FLOOR + 1000) {
    for (let i = 0; i < 50; i++) {
      const port = PORT_FLOOR + Math.floor(Math.random() * (low - PORT_FLOOR));
      if (await canBind(port)) return port;
    }
  }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server again, on new ports, when it lost a port to another process between freePort() and
 * its own bind. Any other failure is thrown at once.
 */
export async function withPortRetry<T>(start: (attempt: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      if (attempt >= attempts || !/address already in use/.test(String(err))) throw err;
      console.error(`[testbed] a port was taken before the server bound it; retrying (${attempt})`);
    }
  }
}

// Each server runs under a small bash tether: it starts the server and kills it as soon as its own
// stdin reaches EOF. Closing that pipe is how stop() ends a server, and because the kernel also closes
// it when the test process dies (even by SIGKILL), no server outlives the run.
// (Background jobs of a non-interactive shell get /dev/null as stdin, hence the copy on fd 3.)
const TETHER =
  'exec 3<&0; "$@" </dev/null & c=$!; { while read -r -u 3 _; do :; done; kill -TERM "$c" 2>/dev/null; } & ' +
  'r=$!; wait "$c"; s=$?; kill "$r" 2>/dev/null; exit "$s"';

class Server {
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    readonly logFile: string,
    bin: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    const log = createWriteStream(logFile);
    this.child = spawn('bash', ['-c', TETHER, name, bin, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, ...env },
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  logTail(lines = 25): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Polls `probe` until it returns true; fails early, with the server's log, if the server exits. */
  async waitReady(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(
          `${this.name} exited (code ${this.exitCode}) before it was ready:\n${this.logTail()}`,
        );
      }
      if (await probe().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} was not ready after ${timeoutMs} ms:\n${this.logTail()}`);
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort (process 'exit' handler): kills the tether's whole process group. */
  kill(): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function httpGet(url: string, ca?: Buffer, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? request : httpRequest)(
      u,
      { ca, timeout: 2000, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function kubeconfigYaml(server: string, caFile: string, user: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testbed', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: `${user}@testbed`, context: { cluster: 'testbed', user } }],
    'current-context': `${user}@testbed`,
  });
}

const DIR_PREFIX = 'mesh-testbed-';

/** Temp dirs of earlier runs whose test process was killed outright (SIGKILL leaves no time to clean up). */
function removeAbandonedDirs(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    try {
      process.kill(Number(readFileSync(join(dir, 'owner.pid'), 'utf8')), 0);
    } catch (err) {
      // ESRCH: the owner is gone. A dir without owner.pid is one being created right now; leave it.
      // A pid says little across PID namespaces (another sandbox's run, a reused pid), so the dir must
      // also be quiet: live servers write their logs there all the time.
      if ((err as NodeJS.ErrnoException).code === 'ESRCH' && quietFor(dir, ABANDONED_AFTER_MS))
        rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** How long a testbed dir whose owner is gone must have seen no writes before it is removed. */
const ABANDONED_AFTER_MS = 5 * 60_000;

/** True when nothing directly in `dir` changed for `ms`. */
function quietFor(dir: string, ms: number): boolean {
  try {
    const newest = Math.max(
      ...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs),
      statSync(dir).mtimeMs,
    );
    return Date.now() - newest > ms;
  } catch {
    return false; // being removed by its owner right now
  }
}

export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const started = Date.now();
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const binDir = testbedBinDir();
  const bins = {
    etcd: requireBinary(binDir, 'etcd'),
    apiserver: requireBinary(binDir, 'kube-apiserver'),
    controllerManager: options.controllerManager ? requireBinary(binDir, 'kube-controller-manager') : '',
    istiod: options.istiod ? requireBinary(binDir, 'pilot-discovery') : '',
    scheduler: options.nodes ? requireBinary(binDir, 'kube-scheduler') : '',
    kwok: options.nodes ? requireBinary(binDir, 'kwok') : '',
  };
  removeAbandonedDirs();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const servers: Server[] = [];
  let stopped = false;

  const killAllSync = (): void => {
    for (const s of servers) s.kill();
    if (!process.env.MESH_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAllSync);

  const relays = new Map<string, () => void>();
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const cut of relays.values()) cut();
    // Dependants first, so the API server is still there while they shut down.
    for (const s of [...servers].reverse()) await s.stop();
    process.removeListener('exit', killAllSync);
    if (process.env.MESH_E2E_KEEP) console.error(`[testbed] kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };

  try {
    // --- etcd ---------------------------------------------------------------------------------
    const etcdUrl = await withPortRetry(async (attempt) => {
      const [etcdPort, peerPort] = [await freePort(), await freePort()];
      const url = `http://${LOOPBACK}:${etcdPort}`;
      const peerUrl = `http://${LOOPBACK}:${peerPort}`;
      const etcd = new Server('etcd', join(dir, `etcd-${attempt}.log`), bins.etcd, [
        `--data-dir=${join(dir, `etcd-${attempt}`)}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]);
      servers.push(etcd);
      await etcd.waitReady(
        async () => (await httpGet(`${url}/health`)).body.includes('"health":"true"'),
        readyTimeoutMs,
      );
      return url;
    });

    // --- kube-apiserver -----------------------------------------------------------------------
    const certDir = join(dir, 'pki');
    const caFile = join(certDir, 'apiserver.crt');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const saKey = join(dir, 'sa.key');
    const saPub = join(dir, 'sa.pub');
    writeFileSync(saKey, privateKey, { mode: 0o600 });
    writeFileSync(saPub, publicKey);
    const adminToken = randomBytes(24).toString('hex');
    const userToken = randomBytes(24).toString('hex');
    const tokenFile = join(dir, 'tokens.csv');
    writeFileSync(
      tokenFile,
      `${adminToken},admin,admin-uid,"system:masters"\n${userToken},mesh-e2e-user,mesh-e2e-user-uid\n`,
      { mode: 0o600 },
    );
    // The API server dials kubelets (kwok) by their InternalIP and verifies their serving certificate.
    const kubelet = options.nodes ? writeKubeletServingCert(dir) : undefined;
    const kubeletFlags = kubelet
      ? [
          '--kubelet-preferred-address-types=InternalIP',
          `--kubelet-certificate-authority=${kubelet.certFile}`,
        ]
      : [];
    const { server, ca } = await withPortRetry(async (attempt) => {
      const apiPort = await freePort();
      const server = `https://${LOOPBACK}:${apiPort}`;
      const apiserver = new Server(
        'kube-apiserver',
        join(dir, `kube-apiserver-${attempt}.log`),
        bins.apiserver,
        [
          `--etcd-servers=${etcdUrl}`,
          `--bind-address=${LOOPBACK}`,
          `--advertise-address=${LOOPBACK}`,
          `--secure-port=${apiPort}`,
          `--cert-dir=${certDir}`,
          `--token-auth-file=${tokenFile}`,
          '--authorization-mode=RBAC',
          `--service-account-issuer=${server}`,
          `--service-account-key-file=${saPub}`,
          `--service-account-signing-key-file=${saKey}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          // No controller creates `default` ServiceAccounts unless kube-controller-manager runs, and webhook
          // configurations rendered by mesh point at in-cluster Services, which tests must never dial.
          '--disable-admission-plugins=ServiceAccount,MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
          '--allow-privileged=true',
          // The `kubernetes` Service endpoints would otherwise be reconciled to the advertise address.
          '--endpoint-reconciler-type=none',
          '--enable-priority-and-fairness=false',
          '--profiling=false',
          ...kubeletFlags,
        ],
      );
      servers.push(apiserver);
      let ca: Buffer | undefined;
      await apiserver.waitReady(async () => {
        ca ??= existsSync(caFile) ? readFileSync(caFile) : undefined;
        return ca !== undefined && (await httpGet(`${server}/readyz`, ca)).status === 200;
      }, readyTimeoutMs);
      return { server, ca: ca! };
    });

    const kubeconfig = join(dir, 'admin.kubeconfig');
    const restrictedKubeconfig = join(dir, 'mesh-e2e-user.kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server, caFile, 'admin', adminToken), { mode: 0o600 });
    writeFileSync(restrictedKubeconfig, kubeconfigYaml(server, caFile, 'mesh-e2e-user', userToken), {
      mode: 0o600,
    });

    // --- kube-controller-manager (optional) ---------------------------------------------------
    if (options.controllerManager) {
      const kcm = new Server(
        'kube-controller-manager',
        join(dir, 'kube-controller-manager.log'),
        bins.controllerManager,
        [
          `--kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${caFile}`,
          '--use-service-account-credentials=false',
          // Node IPAM and node lifecycle need real nodes; pod GC would delete the pods tests fake.
          '--controllers=*,-node-ipam-controller,-node-lifecycle-controller,-pod-garbage-collector-controller',
          '--secure-port=0',
        ],
      );
      servers.push(kcm);
      // Ready once it has created the `default` ServiceAccount in the `default` namespace.
      await kcm.waitReady(
        async () =>
          (await httpGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, ca, adminToken))
            .status === 200,
        readyTimeoutMs,
      );
    }

    // --- istiod (optional) --------------------------------------------------------------------
    let istiod: TestbedInfo['istiod'];
    if (options.istiod) {
      await clientsFor(kubeconfig).core.createNamespace({ body: { metadata: { name: ISTIO_NAMESPACE } } });
      await options.beforeIstiod?.(kubeconfig);
      istiod = await startIstiod(bins.istiod, dir, kubeconfig, readyTimeoutMs, servers, {
        POD_NAME: 'istiod-e2e',
        ...options.istiodEnv,
      });
    }
    const istiodReplicas: IstiodInfo[] = [];
    for (const r of options.istiodReplicas ?? []) {
      let own = kubeconfig;
      if (r.apiServerRelay) {
        const relay = await startRelay(new URL(server));
        relays.set(r.podName, relay.cut);
        own = join(dir, `${r.podName}.kubeconfig`);
        writeFileSync(own, kubeconfigYaml(relay.url, caFile, 'admin', adminToken), { mode: 0o600 });
      }
      istiodReplicas.push(
        await startIstiod(bins.istiod, dir, own, readyTimeoutMs, servers, {
          POD_NAME: r.podName,
          ...r.env,
        }),
      );
    }

    // --- kwok and kube-scheduler (optional) ------------------------------------------------------
    let node: string | undefined;
    if (kubelet) {
      const c = clientsFor(kubeconfig);
      await establishCrds(c, KWOK_CRDS);
      await startKwok(bins.kwok, dir, kubeconfig, kubelet, readyTimeoutMs, servers);
      await startScheduler(bins.scheduler, dir, kubeconfig, readyTimeoutMs, servers);
      node = KWOK_NODE;
      await registerKwokNode(c, node, readyTimeoutMs);
    }

    return {
      kubeconfig,
      restrictedKubeconfig,
      server,
      caFile,
      binDir,
      istiod,
      ...(options.istiodReplicas ? { istiodReplicas } : {}),
      node,
      pids: Object.fromEntries(servers.map((s) => [s.name, s.child.pid!])),
      startupMs: Date.now() - started,
      stop,
      cutApiServer: (podName) => {
        const cut = relays.get(podName);
        if (!cut) throw new Error(`istiod replica ${podName} was not started with apiServerRelay`);
        cut();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A TCP relay on loopback to the API server (TLS passes through: 127.0.0.1 is in its certificate). */
async function startRelay(target: URL): Promise<{ url: string; cut: () => void }> {
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const sock of [client, upstream]) {
      sockets.add(sock);
      sock.on('error', () => sock.destroy());
      sock.on('close', () => sockets.delete(sock));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, LOOPBACK, () => resolve()));
  const port = (relay.address() as { port: number }).port;
  return {
    url: `https://${LOOPBACK}:${port}`,
    cut: () => {
      relay.close();
      for (const sock of sockets) sock.destroy();
    },
  };
}

async function startKwok(
  bin: string,
  dir: string,
  kubeconfig: string,
  cert: { certFile: string; keyFile: string },
  readyTimeoutMs: number,
  servers: Server[],
): Promise<void> {
  const config = writeKwokConfig(dir);
  await withPortRetry(async (attempt) => {
    // One port for the whole kubelet API: the node's advertised kubelet port is the one kwok serves.
    const port = await freePort();
    const kwok = new Server('kwok', join(dir, `kwok-${attempt}.log`), bin, [
      `--kubeconfig=${kubeconfig}`,
      `--config=${config}`,
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`,
      `--node-ip=${LOOPBACK}`,
      `--node-port=${port}`,
      `--server-address=${LOOPBACK}:${port}`,
      `--tls-cert-file=${cert.certFile}`,
      `--tls-private-key-file=${cert.keyFile}`,
      // Pod IPs are data only (nothing dials them); kept apart from the Service range.
      '--cidr=10.244.0.0/16',
      '-v=WARN',
    ]);
    servers.push(kwok);
    const ca = readFileSync(cert.certFile);
    await kwok.waitReady(
      async () => (await httpGet(`https://${LOOPBACK}:${port}/healthz`, ca)).status === 200,
      readyTimeoutMs,
    );
  });
}

async function startScheduler(
  bin: string,
  dir: string,
  kubeconfig: string,
  readyTimeoutMs: number,
  servers: Server[],
): Promise<void> {
  await withPortRetry(async (attempt) => {
    const port = await freePort();
    const certDir = join(dir, `kube-scheduler-${attempt}-pki`);
    const scheduler = new Server('kube-scheduler', join(dir, `kube-scheduler-${attempt}.log`), bin, [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      `--bind-address=${LOOPBACK}`,
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      '--profiling=false',
    ]);
    servers.push(scheduler);
    // Its serving certificate is self-signed and written at start; /healthz needs no credentials.
    const certFile = join(certDir, 'kube-scheduler.crt');
    await scheduler.waitReady(async () => {
      if (!existsSync(certFile)) return false;
      return (await httpGet(`https://${LOOPBACK}:${port}/healthz`, readFileSync(certFile))).status === 200;
    }, readyTimeoutMs);
  });
}

async function startIstiod(
  bin: string,
  dir: string,
  kubeconfig: string,
  readyTimeoutMs: number,
  servers: Server[],
  env: Record<string, string>,
): Promise<IstiodInfo> {
  // istiod keeps its CA secret and its own config in the namespace it runs in (created by the caller).
  return withPortRetry(async (attempt) => {
    const port: Record<string, number> = {};
    for (const name of ['http', 'grpc', 'secureGrpc', 'monitoring', 'webhook', 'ctrlz'])
      port[name] = await freePort();
    const istiod = new Server(
      env.POD_NAME === 'istiod-e2e' ? 'istiod' : env.POD_NAME!,
      join(dir, `${env.POD_NAME}-${attempt}.log`),
      bin,
      [
        'discovery',
        `--kubeconfig=${kubeconfig}`,
        // Every listener istiod opens, each pinned to loopback (several default to all interfaces).
        `--httpAddr=${LOOPBACK}:${port.http}`,
        `--grpcAddr=${LOOPBACK}:${port.grpc}`,
        `--secureGRPCAddr=${LOOPBACK}:${port.secureGrpc}`,
        `--monitoringAddr=${LOOPBACK}:${port.monitoring}`,
        `--httpsAddr=${LOOPBACK}:${port.webhook}`,
        `--ctrlz_address=${LOOPBACK}`,
        `--ctrlz_port=${port.ctrlz}`,
        '--log_output_level=default:warn',
      ],
      { POD_NAMESPACE: ISTIO_NAMESPACE, REVISION: 'default', ...env },
    );
    servers.push(istiod);
    const httpUrl = `http://${LOOPBACK}:${port.http}`;
    await istiod.waitReady(async () => (await httpGet(`${httpUrl}/ready`)).status === 200, readyTimeoutMs);
    return {
      podName: env.POD_NAME!,
      httpUrl,
      grpcAddress: `${LOOPBACK}:${port.grpc}`,
      secureGrpcAddress: `${LOOPBACK}:${port.secureGrpc}`,
      monitoringUrl: `http://${LOOPBACK}:${port.monitoring}`,
      webhookAddress: `${LOOPBACK}:${port.webhook}`,
    };
  });
}
