import type { Analyzer } from './types.js';
import { analyzers as annotations, optInAnalyzers as annotationsOptIn } from './annotations/index.js';
import { analyzers as auth } from './auth/index.js';
import { analyzers as authn } from './authn/index.js';
import { analyzers as conditions } from './conditions/index.js';
import { analyzers as deployment } from './deployment/index.js';
import { analyzers as deprecation } from './deprecation/index.js';
import { analyzers as destinationrule } from './destinationrule/index.js';
import { analyzers as envoyfilter } from './envoyfilter/index.js';
import { analyzers as externalcontrolplane } from './externalcontrolplane/index.js';
import { analyzers as gateway } from './gateway/index.js';
import { analyzers as injection } from './injection/index.js';
import { analyzers as k8sgateway } from './k8sgateway/index.js';
import { analyzers as mesh } from './mesh/index.js';
import { analyzers as meshnetworks } from './meshnetworks/index.js';
import { analyzers as multicluster } from './multicluster/index.js';
import { analyzers as schema } from './schema/index.js';
import { analyzers as service } from './service/index.js';
import { analyzers as serviceentry } from './serviceentry/index.js';
import { analyzers as sidecar } from './sidecar/index.js';
import { analyzers as telemetry } from './telemetry/index.js';
import { analyzers as virtualservice } from './virtualservice/index.js';
import { analyzers as webhook } from './webhook/index.js';

/** Every analyzer, sorted by name (the order `--list-analyzers` prints). */
export const ALL_ANALYZERS: readonly Analyzer[] = [
  ...annotations,
  ...auth,
  ...authn,
  ...conditions,
  ...deployment,
  ...deprecation,
  ...destinationrule,
  ...envoyfilter,
  ...externalcontrolplane,
  ...gateway,
  ...injection,
  ...k8sgateway,
  ...mesh,
  ...meshnetworks,
  ...multicluster,
  ...schema,
  ...service,
  ...serviceentry,
  ...sidecar,
  ...telemetry,
  ...virtualservice,
  ...webhook,
].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Analyzers istioctl does not register: they run only when named with --analyzer. */
export const OPT_IN_ANALYZERS: readonly Analyzer[] = [...annotationsOptIn];

export function findAnalyzer(name: string): Analyzer | undefined {
  return ALL_ANALYZERS.find((a) => a.name === name) ?? OPT_IN_ANALYZERS.find((a) => a.name === name);
}
