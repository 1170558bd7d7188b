import type { Resource } from '../../../manifests/types.js';

/**
 * A semantic rule set for one Istio kind: what Istio's admission validation enforces beyond the JSON
 * Schema (see ../shared/docs/reference/analyzers.md §9). It reports each problem with the field path it
 * is about; the schema analyzer turns errors into IST0106 and warnings into IST0133 (or IST0130/IST0131
 * when `code` says so).
 */
export interface SemanticIssue {
  level: 'error' | 'warning';
  message: string;
  /** Field path, e.g. `spec.http[0].route[1].destination.host`. */
  path?: string;
  /** Overrides the code (IST0130 / IST0131 for VirtualService rule reachability). */
  code?: 'IST0130' | 'IST0131';
  /** Arguments for the overriding code's template. */
  args?: unknown[];
}

export type SemanticValidator = (resource: Resource) => SemanticIssue[];
