import { defineAnalyzer, K } from '../types.js';
import { number, text } from '../../util/values.js';

/** applyTo values that ADD and REMOVE are ignored for. */
const ROUTE_LEVEL = new Set(['ROUTE_CONFIGURATION', 'HTTP_ROUTE']);
/** applyTo values REPLACE works on. */
const REPLACEABLE = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'VIRTUAL_HOST']);

/**
 * The name a patch is about, used to tell whether an earlier, proxy-version-specific patch touched the same
 * thing: the patch value's `name`, else the listener filter the patch matches.
 */
function instanceName(patch: any): string {
  const value = patch?.patch?.value;
  if (!value || typeof value !== 'object') return '';
  if (value.name !== undefined && value.name !== null) return JSON.stringify(value.name);
  return text(patch?.match?.listener?.filterChain?.filter?.name ?? '');
}

/** Operations whose effect depends on the order EnvoyFilters are applied in. */
function isRelative(operation: string, applyTo: string): boolean {
  if (operation === 'REMOVE') return !ROUTE_LEVEL.has(applyTo);
  if (operation === 'REPLACE') return REPLACEABLE.has(applyTo);
  return operation === 'INSERT_BEFORE' || operation === 'INSERT_AFTER';
}

export default defineAnalyzer({
  name: 'envoyfilter.EnvoyPatchAnalyzer',
  description: 'Checks the patch operations of EnvoyFilters',
  codes: ['IST0151', 'IST0152', 'IST0153', 'IST0154', 'IST0155'],
  inputs: [K.EnvoyFilter],
  analyze(ctx) {
    // Names patched by earlier patches that are restricted to a proxy version (across all EnvoyFilters).
    const versioned = new Set<string>();
    for (const ef of ctx.each(K.EnvoyFilter)) {
      const patches = Array.isArray(ef.spec?.configPatches) ? ef.spec.configPatches : [];
      const priority = number(ef.spec?.priority ?? 0);
      // Each code once per EnvoyFilter (as istioctl), at the first patch that has it.
      const reported = new Set<string>();
      const report = (code: string, i: number) => {
        if (reported.has(code)) return;
        reported.add(code);
        ctx.report(code, ef, [], { path: `spec.configPatches[${i}].patch.operation` });
      };
      for (let i = 0; i < patches.length; i++) {
        const p = patches[i];
        if (!p?.patch || typeof p.patch !== 'object') break;
        const operation = text(p.patch.operation ?? '');
        const applyTo = text(p.applyTo ?? '');
        const name = instanceName(p);
        if (operation === 'ADD' && ROUTE_LEVEL.has(applyTo)) report('IST0153', i);
        else if (operation === 'REMOVE' && ROUTE_LEVEL.has(applyTo)) report('IST0154', i);
        else if (operation === 'REPLACE' && !REPLACEABLE.has(applyTo)) report('IST0152', i);
        else if (isRelative(operation, applyTo) && priority === 0)
          report(versioned.has(name) ? 'IST0155' : 'IST0151', i);
        if (p.match?.proxy?.proxyVersion) versioned.add(name);
      }
    }
  },
});
