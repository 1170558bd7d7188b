import { defineAnalyzer, K } from '../types.js';

export default defineAnalyzer({
  name: 'telemetry.ProviderAnalyzer',
  description: 'Validates that the access-logging providers of Telemetry resources are set',
  codes: ['IST0157'],
  inputs: [K.Telemetry, K.MeshConfig],
  analyze(ctx) {
    const defaults = ctx.meshConfig.defaultProviders?.accessLogging;
    if (Array.isArray(defaults) && defaults.length > 0) return;
    for (const t of ctx.each(K.Telemetry)) {
      const logging = Array.isArray(t.spec?.accessLogging) ? t.spec.accessLogging : [];
      logging.forEach((entry: any, i: number) => {
        if (entry?.disabled === true) return;
        if (Array.isArray(entry?.providers) && entry.providers.length > 0) return;
        // each entry gets its own line (istioctl gives them all the document's line)
        ctx.report('IST0157', t, [t.name, t.namespace ?? ''], { path: `spec.accessLogging[${i}]` });
      });
    }
  },
});
