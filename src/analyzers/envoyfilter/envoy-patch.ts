import { defineAnalyzer, K } from '../types.js';

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
  return String(patch?.match?.listener?.filterChain?.filter?.name ?? '');
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
  inputs: [K.EnvoyFilter],
  analyze(ctx) {
    // Names patched by earlier patches that are restricted to a proxy version (across all EnvoyFilters).
    const versioned = new Set<string>();
    for (const ef of ctx.each(K.EnvoyFilter)) {
      const patches = Array.isArray(ef.spec?.configPatches) ? ef.spec.configPatches : [];
      const priority = Number(ef.spec?.priority ?? 0);
      for (let i = 0; i < patches.length; i++) {
        const p = patches[i];
        if (!p?.patch || typeof p.patch !== 'object') break;
        const operation = String(p.patch.operation ?? '');
        const applyTo = String(p.applyTo ?? '');
        const name = instanceName(p);
        // istioctl reports the document once per code; offline each patch gets its own line.
        const at = ctx.harness ? {} : { path: `spec.configPatches[${i}].patch.operation` };
        if (operation === 'ADD' && ROUTE_LEVEL.has(applyTo)) ctx.report('IST0153', ef, [], at);
        else if (operation === 'REMOVE' && ROUTE_LEVEL.has(applyTo)) ctx.report('IST0154', ef, [], at);
        else if (operation === 'REPLACE' && !REPLACEABLE.has(applyTo)) ctx.report('IST0152', ef, [], at);
        else if (isRelative(operation, applyTo) && priority === 0)
          ctx.report(versioned.has(name) ? 'IST0155' : 'IST0151', ef, [], at);
        if (p.match?.proxy?.proxyVersion) versioned.add(name);
      }
    }
  },
});
