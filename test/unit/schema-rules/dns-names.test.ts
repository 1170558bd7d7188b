import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fqdnError, wildcardDomainError } from '../../../src/analyzers/schema/rules/common.js';
import { checker } from './helpers.js';

// The definition the messages are written from (istiod's): dot-separated RFC 1123 labels, upper case
// allowed (a trailing dot allowed),
// the last one not all digits.
function reference(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.');
  return (
    labels.every((l) => l.length <= 63 && /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1]!)
  );
}

describe('DNS names', () => {
  it('accepts exactly the names the definition accepts, and says why the others fail', () => {
    const label = fc.stringMatching(/^[-a-z0-9A-Z_*]{0,6}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
    fc.assert(
      fc.property(
        fc.oneof(
          name,
          name.map((n) => n + '.'),
          fc.constantFrom('a'.repeat(64), '1.2', 'a.1', 'a-.b'),
        ),
        (n) => {
          const err = fqdnError(n);
          expect(err === undefined, `${n}: ${err}`).toBe(reference(n));
          if (err !== undefined) expect(err).toMatch(n.length === 0 ? /empty name/ : /not a valid DNS name/);
        },
      ),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('allows a wildcard only at the start of the first label', () => {
    expect(wildcardDomainError('*.example.com')).toBeUndefined();
    expect(wildcardDomainError('*-api.example.com')).toBeUndefined();
    expect(wildcardDomainError('reviews')).toBeUndefined();
    expect(wildcardDomainError('a.*.com')).toMatch(/label "\*" must be/);
    expect(wildcardDomainError('a.b.123')).toMatch(/top-level label "123" is all digits/);
    expect(wildcardDomainError('*-Api.Example.com')).toBeUndefined();
    expect(wildcardDomainError('*--api.example.com')).toMatch(/label "\*--api" must be/);
  });

  // istiod's labels.IsDNS1123Label allows A-Z: these fields accept upper case, as istioctl does.
  it('accepts upper-case letters wherever istiod validates an Istio DNS label or host', () => {
    const cases: Array<[string, string]> = [
      [
        'VirtualService',
        `  hosts: [API.example.com]
  exportTo: [Foo]
  gateways: [Default/Pub, mesh]
  http:
  - match: [{sourceNamespace: Foo}]
    route: [{destination: {host: "*.Backend.example.com", subset: V1}}]
  tls:
  - match: [{sniHosts: [API.example.com]}]
    route: [{destination: {host: b}}]
`,
      ],
      ['DestinationRule', '  host: Backend.Example.com\n  subsets: [{name: V1, labels: {a: b}}]\n'],
      [
        'ServiceEntry',
        '  hosts: [Ext.Example.com]\n  ports: [{number: 80, name: HTTP, protocol: HTTP}]\n  resolution: DNS\n  endpoints: [{address: Up.Example.com}]\n',
      ],
      [
        'Sidecar',
        '  egress: [{hosts: ["Foo/*", "./Bar.example.com"], port: {number: 80, name: Web, protocol: HTTP}}]\n',
      ],
      [
        'Gateway',
        '  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: HTTP, protocol: HTTP}, hosts: ["Foo/A.example.com"]}]\n',
      ],
      ['WorkloadEntry', '  address: Host.Example.com\n  ports: {HTTP: 80}\n'],
    ];
    for (const [kind, spec] of cases)
      expect(checker(kind)(spec, kind === 'Gateway' ? 'pub' : 'Pub'), kind).toEqual([]);
  });

  // The API server refuses an object name with upper case: no cluster holds such a Gateway (istioctl says
  // nothing offline; a documented difference, test/e2e/fixtures/analyze-overlay-deviations.json).
  it("still refuses a Gateway's own name with upper case", () => {
    const spec =
      '  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]\n';
    expect(checker('Gateway')(spec, 'Pub').map((i) => [i.path, i.message])).toEqual([
      [
        'metadata.name',
        `Gateway name "Pub" must be a DNS label (lowercase letters, digits, '-'; no dots), because VirtualServices refer to gateways as namespace/name`,
      ],
    ]);
  });
});
