// Generates a realistic mesh configuration corpus: per service a Namespace-scoped Service, Deployment,
// Gateway, VirtualService, DestinationRule, AuthorizationPolicy, PeerAuthentication and ServiceEntry.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateCorpus(dir, services = 1000, perFile = 25) {
  mkdirSync(dir, { recursive: true });
  let docs = 0;
  let bytes = 0;
  let buf = [];
  let fileNo = 0;
  const flush = () => {
    if (buf.length === 0) return;
    const text = buf.join('---\n');
    writeFileSync(join(dir, `corpus-${String(fileNo++).padStart(4, '0')}.yaml`), text);
    bytes += Buffer.byteLength(text);
    buf = [];
  };
  for (let i = 0; i < services; i++) {
    const ns = `team-${i % 40}`;
    const name = `svc-${i}`;
    const other = `svc-${(i + 1) % services}`;
    const otherNs = `team-${((i + 1) % services) % 40}`;
    buf.push(`apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: 8080
      targetPort: 8080
    - name: grpc-admin
      port: 9090
`);
    buf.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
        version: v1
    spec:
      serviceAccountName: ${name}
      containers:
        - name: app
          image: registry.example.com/${name}:1.${i % 7}.0
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
`);
    buf.push(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}-gw
  namespace: ${ns}
spec:
  selector:
    istio: ingressgateway
  servers:
    - port:
        number: 80
        name: http
        protocol: HTTP
      hosts:
        - ${name}.example.com
`);
    buf.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  hosts:
    - ${name}.example.com
    - ${name}
  gateways:
    - ${name}-gw
    - mesh
  http:
    - match:
        - uri:
            prefix: /api/v2
        - headers:
            x-canary:
              exact: "true"
      route:
        - destination:
            host: ${name}
            subset: v1
            port:
              number: 8080
      timeout: 5s
      retries:
        attempts: 3
        perTryTimeout: 2s
    - route:
        - destination:
            host: ${other}.${otherNs}.svc.cluster.local
            port:
              number: 8080
          weight: 90
        - destination:
            host: ${name}
            subset: v1
            port:
              number: 8080
          weight: 10
`);
    buf.push(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  host: ${name}
  trafficPolicy:
    connectionPool:
      http:
        http1MaxPendingRequests: 100
        maxRequestsPerConnection: 10
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 30s
      baseEjectionTime: 60s
  subsets:
    - name: v1
      labels:
        version: v1
`);
    buf.push(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: ${name}
  action: ALLOW
  rules:
    - from:
        - source:
            principals:
              - cluster.local/ns/${otherNs}/sa/${other}
      to:
        - operation:
            methods: ["GET", "POST"]
            paths: ["/api/*"]
`);
    buf.push(`apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: ${name}
  mtls:
    mode: STRICT
`);
    buf.push(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}-ext
  namespace: ${ns}
spec:
  hosts:
    - api-${i}.partner.example.org
  location: MESH_EXTERNAL
  ports:
    - number: 443
      name: https
      protocol: TLS
  resolution: DNS
`);
    docs += 8;
    if ((i + 1) % perFile === 0) flush();
  }
  flush();
  return { docs, bytes, files: fileNo };
}
