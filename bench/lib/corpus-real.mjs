// A corpus written the way real repositories are: the same eight objects per service as corpus.mjs, but a
// third in flow style (`selector: {app: x}`, `hosts: [a, b]`, flow items) with comments and anchors, a
// third as `helm template` output (`# Source:` headers, quoted values, folded and literal multi-line
// strings), and a third block style, some of it as JSON files (`kind: List`). Every service carries
// mistakes, so a run reports well over 2,000 findings, most of them located in flow-style documents.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCS_PER_SERVICE = 8;

function names(i, services) {
  const other = (i + 1) % services;
  return {
    ns: `team-${i % 40}`,
    name: `svc-${i}`,
    other: `svc-${other}`,
    otherNs: `team-${other % 40}`,
    // Mistakes: a subset no DestinationRule defines, a DestinationRule for a host that does not exist.
    subset: i % 2 === 0 ? 'v2' : 'v1',
    drHost: i % 2 === 1 ? `svc-${i}-legacy` : `svc-${i}`,
  };
}

/** Flow collections, comments and (every third service of this style) anchors. */
function flowDocs(i, services) {
  const { ns, name, other, otherNs, subset, drHost } = names(i, services);
  const anchors = i % 9 === 0;
  // An anchor on the Deployment's labels, reused by its pod template.
  const labels = anchors ? `&labels {app: ${name}, version: v1}` : `{app: ${name}, version: v1}`;
  const podLabels = anchors ? '*labels' : `{app: ${name}, version: v1}`;
  return [
    `# ${name}: the service in front of the pods
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  selector: {app: ${name}}
  ports:
  - {name: http, port: 8080, targetPort: 8080}   # main port
  - {name: grpc-admin, port: 9090}
`,
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}, labels: ${labels}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: ${podLabels}
    spec:
      serviceAccountName: ${name}
      containers:
      - name: app
        image: "registry.example.com/${name}:1.${i % 7}.0"
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 100m, memory: 128Mi}}
`,
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}-gw, namespace: ${ns}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [${name}.example.com]
`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  hosts: [${name}.example.com, ${name}]
  gateways: [${name}-gw, mesh]   # edge and mesh
  http:
  - match:
    - uri: {prefix: /api/v2}
    - headers: {x-canary: {exact: "true"}}
    route:
    - destination: {host: ${name}, subset: ${subset}, port: {number: 8080}}
    timeout: 5s
    retries: {attempts: 3, perTryTimeout: 2s}
  - route:
    - destination: {host: ${other}.${otherNs}.svc.cluster.local, port: {number: 8080}}
      weight: 90
    - destination: {host: ${name}, subset: v1, port: {number: 8080}}
      weight: 10
`,
    `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${ns}}
spec:
  host: ${drHost}
  trafficPolicy:
    connectionPool: {http: {http1MaxPendingRequests: 100, maxRequestsPerConnection: 10}}
    outlierDetection: {consecutive5xxErrors: 5, interval: 30s, baseEjectionTime: 60s}
  subsets:
  - {name: v1, labels: {version: v1}}
`,
    `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: ${name}}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/${otherNs}/sa/${other}"]}}]
    to: [{operation: {methods: [GET, POST], paths: ["/api/*"]}}]
`,
    `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${ns}}
spec: {selector: {matchLabels: {app: ${name}}}, mtls: {mode: STRICT}}
`,
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}-ext, namespace: ${ns}}
spec:
  hosts: [api-${i}.partner.example.org]
  location: MESH_EXTERNAL
  ports: [{number: 443, name: https, protocol: TLS}]
  resolution: DNS
`,
  ];
}

/** `helm template` output: source headers, quoted values, chart labels, multi-line strings. */
function helmDocs(i, services) {
  const { ns, name, other, otherNs, subset, drHost } = names(i, services);
  const chart = `helm.sh/chart: "${name}-0.${i % 5}.0"
    app.kubernetes.io/managed-by: "Helm"
    app.kubernetes.io/instance: "${name}"`;
  const src = (t) => `# Source: ${name}/templates/${t}.yaml\n`;
  return [
    `${src('service')}apiVersion: v1
kind: Service
metadata:
  name: "${name}"
  namespace: "${ns}"
  labels:
    app: "${name}"
    ${chart}
  annotations:
    description: >-
      The ${name} service of team ${i % 40},
      rendered by Helm.
spec:
  selector:
    app: "${name}"
  ports:
    - name: "http"
      port: 8080
      targetPort: 8080
    - name: "grpc-admin"
      port: 9090
`,
    `${src('deployment')}apiVersion: apps/v1
kind: Deployment
metadata:
  name: "${name}"
  namespace: "${ns}"
  labels:
    ${chart}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: "${name}"
  template:
    metadata:
      labels:
        app: "${name}"
        version: "v1"
    spec:
      serviceAccountName: "${name}"
      containers:
        - name: "app"
          image: "registry.example.com/${name}:1.${i % 7}.0"
          args:
            - "--config"
            - |
              listen: 8080
              upstream: ${other}.${otherNs}
          ports:
            - containerPort: 8080
`,
    `${src('gateway')}apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: "${name}-gw"
  namespace: "${ns}"
spec:
  selector:
    istio: "ingressgateway"
  servers:
    - port:
        number: 80
        name: "http"
        protocol: "HTTP"
      hosts:
        - "${name}.example.com"
`,
    `${src('virtualservice')}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: "${name}"
  namespace: "${ns}"
spec:
  hosts:
    - "${name}.example.com"
    - "${name}"
  gateways:
    - "${name}-gw"
    - "mesh"
  http:
    - match:
        - uri:
            prefix: "/api/v2"
      route:
        - destination:
            host: "${name}"
            subset: "${subset}"
            port:
              number: 8080
    - route:
        - destination:
            host: "${other}.${otherNs}.svc.cluster.local"
            port:
              number: 8080
          weight: 90
        - destination:
            host: "${name}"
            subset: "v1"
            port:
              number: 8080
          weight: 10
`,
    `${src('destinationrule')}apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: "${name}"
  namespace: "${ns}"
spec:
  host: "${drHost}"
  subsets:
    - name: "v1"
      labels:
        version: "v1"
`,
    `${src('authorizationpolicy')}apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: "${name}"
  namespace: "${ns}"
spec:
  selector:
    matchLabels:
      app: "${name}"
  action: "ALLOW"
  rules:
    - from:
        - source:
            principals:
              - "cluster.local/ns/${otherNs}/sa/${other}"
`,
    `${src('peerauthentication')}apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "${name}"
  namespace: "${ns}"
spec:
  selector:
    matchLabels:
      app: "${name}"
  mtls:
    mode: "STRICT"
`,
    `${src('serviceentry')}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: "${name}-ext"
  namespace: "${ns}"
spec:
  hosts:
    - "api-${i}.partner.example.org"
  location: "MESH_EXTERNAL"
  ports:
    - number: 443
      name: "https"
      protocol: "TLS"
  resolution: "DNS"
`,
  ];
}

/** The same objects as plain data (block YAML or JSON). */
export function objects(i, services) {
  const { ns, name, other, otherNs, subset, drHost } = names(i, services);
  const meta = (n = name) => ({ name: n, namespace: ns });
  const sel = { app: name };
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { ...meta(), labels: sel },
      spec: {
        selector: sel,
        ports: [
          { name: 'http', port: 8080, targetPort: 8080 },
          { name: 'grpc-admin', port: 9090 },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(),
      spec: {
        replicas: 2,
        selector: { matchLabels: sel },
        template: {
          metadata: { labels: { app: name, version: 'v1' } },
          spec: {
            serviceAccountName: name,
            containers: [{ name: 'app', image: `registry.example.com/${name}:1.0.0` }],
          },
        },
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: meta(`${name}-gw`),
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [`${name}.example.com`] }],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta(),
      spec: {
        hosts: [`${name}.example.com`, name],
        gateways: [`${name}-gw`, 'mesh'],
        http: [
          { route: [{ destination: { host: name, subset, port: { number: 8080 } } }] },
          {
            route: [
              {
                destination: { host: `${other}.${otherNs}.svc.cluster.local`, port: { number: 8080 } },
                weight: 90,
              },
              { destination: { host: name, subset: 'v1', port: { number: 8080 } }, weight: 10 },
            ],
          },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: meta(),
      spec: { host: drHost, subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
    },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: meta(),
      spec: {
        selector: { matchLabels: sel },
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: [`cluster.local/ns/${otherNs}/sa/${other}`] } }] }],
      },
    },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: meta(),
      spec: { selector: { matchLabels: sel }, mtls: { mode: 'STRICT' } },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: meta(`${name}-ext`),
      spec: {
        hosts: [`api-${i}.partner.example.org`],
        location: 'MESH_EXTERNAL',
        ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
        resolution: 'DNS',
      },
    },
  ];
}

/** Block-style YAML of plain data (two-space indentation, sequences indented under their key). */
function blockYaml(value, indent = '') {
  if (Array.isArray(value)) {
    return value
      .map((v) => {
        if (v !== null && typeof v === 'object') {
          const inner = blockYaml(v, `${indent}  `);
          return `${indent}- ${inner.slice(indent.length + 2)}`;
        }
        return `${indent}- ${v}\n`;
      })
      .join('');
  }
  return Object.entries(value)
    .map(([k, v]) =>
      v !== null && typeof v === 'object'
        ? `${indent}${k}:\n${blockYaml(v, `${indent}  `)}`
        : `${indent}${k}: ${v}\n`,
    )
    .join('');
}

/**
 * Writes `docs` documents (rounded up to whole services) into `dir`, 25 services' documents per file.
 * Returns counts like generateCorpus.
 */
export function generateRealCorpus(dir, docs = 8000, perFile = 25) {
  mkdirSync(dir, { recursive: true });
  const services = Math.ceil(docs / DOCS_PER_SERVICE);
  let bytes = 0;
  let fileNo = 0;
  let count = 0;
  const write = (name, text) => {
    writeFileSync(join(dir, name), text);
    bytes += Buffer.byteLength(text);
    fileNo++;
  };
  for (let first = 0; first < services; first += perFile) {
    const group = [];
    for (let i = first; i < Math.min(first + perFile, services); i++) group.push(i);
    const base = `repo-${String(fileNo).padStart(4, '0')}`;
    const style = (first / perFile) % 6;
    if (style === 5) {
      // JSON: one kind: List per file, as `kubectl get -o json` and many generators write.
      const items = group.flatMap((i) => objects(i, services));
      write(`${base}.json`, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2));
      count += items.length;
      continue;
    }
    const texts = group.flatMap((i) =>
      style % 3 === 0
        ? flowDocs(i, services)
        : style % 3 === 1
          ? helmDocs(i, services)
          : objects(i, services).map((o) => blockYaml(o)),
    );
    write(`${base}.yaml`, (style % 3 === 1 ? '---\n' : '') + texts.join('---\n'));
    count += texts.length;
  }
  return { docs: count, bytes, files: fileNo };
}
