/**
 * Schema warnings (IST0133) mesh gives only where istiod gives them: mesh's exact output, through the CLI
 * as a user runs it. istioctl's side, from the testbed's analyze-oracle on the same files, is in the
 * comment above each case. Found by running both over Istio's samples.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFixture } from '../../support/cli.js';

const dir = join(import.meta.dirname, '../../fixtures/analyzers/istiod-warnings');

const analyze = (name: string) => analyzeFixture(dir, name);

describe('mesh analyze warns about schema details where istiod does', () => {
  // istioctl: the standing EnvoyFilter warning only. It warns about a typed_config type only when the
  // type's .proto is marked FROZEN; udpa.type.v1.TypedStruct is not, and Envoy still reads it.
  it('an EnvoyFilter value wrapped in the udpa TypedStruct gets no deprecation warning', async () => {
    const { code, lines, file } = await analyze('envoyfilter-udpa-typed-struct.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Warning [IST0133] (EnvoyFilter shop/ratelimit ${file}:1) Schema validation warning: EnvoyFilter patches the generated Envoy configuration directly, and that configuration can change between Istio releases: use a higher-level Istio API when one covers the need, and re-test this filter on every upgrade`,
      ],
    ]);
  });

  // istioctl: one IST0133, "consistent hash MinimumRingSize is deprecated", for the top-level policy
  // (and IST0174: no Service of the host, which mesh claims only when the inputs hold Services of shop).
  // The same deprecated fields, and failover without outlier detection, in a port-level setting or a
  // subset's policy get no warning: istiod keeps only the errors of those.
  it('a DestinationRule gets the warnings of its top-level traffic policy only', async () => {
    const { code, lines, file } = await analyze('destinationrule-nested-policy-warnings.yaml');
    expect([code, lines]).toEqual([
      0,
      [
        `Warning [IST0133] (DestinationRule shop/cart ${file}:14) Schema validation warning: minimumRingSize is deprecated; use ringHash.minimumRingSize`,
      ],
    ]);
  });

  // istioctl: IST0106 "only one of MinimumRingSize or Maglev/Ringhash can be specified" (one finding per
  // object) and IST0174 as above.
  it('still reports the errors of a subset policy and a port-level setting', async () => {
    const { code, lines, file } = await analyze('destinationrule-nested-policy-errors.yaml');
    expect([code, lines]).toEqual([
      79,
      [
        `Error [IST0106] (DestinationRule shop/cart ${file}:28) Schema validation error: minimumRingSize cannot be combined with ringHash or maglev; use ringHash.minimumRingSize`,
        `Error [IST0106] (DestinationRule shop/cart ${file}:17) Schema validation error: minimumRingSize cannot be combined with ringHash or maglev; use ringHash.minimumRingSize`,
      ],
    ]);
  });
});
