/**
 * What of the mesh config `authz test` applies: the root namespace, the path normalization, and the trust
 * domain with its aliases.
 */
import { loadMeshConfig } from '../analyzers/meshconfig.js';
import { usageError } from '../util/errors.js';
import { PATH_NORMALIZATIONS, type PathNormalization } from './match.js';

export interface MeshSettings {
  rootNamespace: string;
  pathNormalization: PathNormalization;
  /** `trustDomain` (default cluster.local), then its `trustDomainAliases`. */
  trustDomains: string[];
}

/**
 * The mesh config's `rootNamespace`, `pathNormalization.normalization`, `trustDomain` and
 * `trustDomainAliases` (`--meshConfigFile`; Istio's defaults without one: istio-system, BASE,
 * cluster.local and none). A normalization Istio does not define is a usage error.
 */
export function meshSettings(file: string | undefined): MeshSettings {
  const mesh = loadMeshConfig(file);
  const root = mesh.rootNamespace;
  const normalization = mesh.pathNormalization?.normalization ?? 'BASE';
  // protobuf's JSON reads an enum by its name or its number (DEFAULT = 0 is BASE)
  const byNumber = ['BASE', 'NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'];
  const mode =
    normalization === 'DEFAULT'
      ? 'BASE'
      : typeof normalization === 'number'
        ? byNumber[normalization]
        : normalization;
  if (!PATH_NORMALIZATIONS.includes(mode))
    throw usageError(
      `invalid --meshConfigFile ${file}: pathNormalization.normalization ${JSON.stringify(normalization)} is not one of DEFAULT, ${PATH_NORMALIZATIONS.join(', ')}`,
    );
  return {
    rootNamespace: typeof root === 'string' && root !== '' ? root : 'istio-system',
    pathNormalization: mode as PathNormalization,
    trustDomains: [
      typeof mesh.trustDomain === 'string' && mesh.trustDomain !== '' ? mesh.trustDomain : 'cluster.local',
      ...(Array.isArray(mesh.trustDomainAliases) ? mesh.trustDomainAliases.map(String) : []),
    ],
  };
}
