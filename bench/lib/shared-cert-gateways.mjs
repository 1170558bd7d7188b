// `n` Gateways (namespace edge) sharing one certificate (`credentialName: wildcard-cert`) on port 443, as
// one multi-document YAML text: every pair is an IST0138, as istioctl reports it (n × (n − 1) findings).
export function sharedCertGateways(n) {
  return Array.from(
    { length: n },
    (_, i) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw-${i}
  namespace: edge
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [h${i}.example.com]
    tls: {mode: SIMPLE, credentialName: wildcard-cert}
`,
  ).join('---\n');
}
