/**
 * The policies `mesh authz test` evaluates are validated exactly as `mesh analyze` validates them (the
 * same schema analyzer): a misspelled field (`principal:`, `method:`) would otherwise read as an empty
 * rule that allows everything.
 */
import { defaultMeshConfig } from '../analyzers/meshconfig.js';
import { locateFindings, runAnalyzers } from '../analyzers/run.js';
import { analyzers as schemaAnalyzers } from '../analyzers/schema/index.js';
import type { Finding } from '../analyzers/types.js';
import type { Resource } from '../manifests/types.js';

const ANALYZER = 'schema.ValidationAnalyzer.AuthorizationPolicy';

export interface PolicyValidation {
  /** The resources to evaluate: all but the AuthorizationPolicies with an Error finding. */
  valid: Resource[];
  /** Every finding, located (file and line), in analyze's order. */
  findings: Finding[];
  /** How many policies were refused. */
  refused: number;
}

export async function validatePolicies(resources: readonly Resource[]): Promise<PolicyValidation> {
  const analyzer = schemaAnalyzers.find((a) => a.name === ANALYZER)!;
  const { findings } = runAnalyzers(resources, {
    defaultNamespace: 'default',
    reportNamespace: undefined,
    istioNamespace: 'istio-system',
    meshConfig: defaultMeshConfig(),
    meshNetworks: { networks: {} },
    defaultIngress: false,
    analyzers: [analyzer],
  });
  await locateFindings(findings);
  const invalid = new Set(
    findings.filter((f) => f.level === 'Error' && f.resource).map((f) => f.resource!.origin),
  );
  return { valid: resources.filter((r) => !invalid.has(r.origin)), findings, refused: invalid.size };
}
