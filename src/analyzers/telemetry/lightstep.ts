import { defineAnalyzer, K } from '../types.js';
import { text } from '../../util/values.js';

export default defineAnalyzer({
  name: 'telemetry.LightstepAnalyzer',
  description: 'Reports Telemetry resources that still trace to the deprecated Lightstep provider',
  codes: ['IST0002'],
  inputs: [K.Telemetry, K.MeshConfig],
  analyze(ctx) {
    const providers = Array.isArray(ctx.meshConfig.extensionProviders)
      ? ctx.meshConfig.extensionProviders
      : [];
    const lightstep = new Set(
      providers.filter((p: any) => p?.lightstep != null).map((p: any) => text(p.name)),
    );
    if (lightstep.size === 0) return;
    for (const t of ctx.each(K.Telemetry)) {
      const tracing = Array.isArray(t.spec?.tracing) ? t.spec.tracing : [];
      tracing.forEach((tr: any, i: number) => {
        const list = Array.isArray(tr?.providers) ? tr.providers : [];
        list.forEach((p: any, j: number) => {
          if (!lightstep.has(text(p?.name))) return;
          ctx.report(
            'IST0002',
            t,
            [
              `tracing provider "${p.name}" is a Lightstep provider, and Lightstep providers are deprecated; ` +
                'send the traces through an OpenTelemetry provider instead',
            ],
            { path: `spec.tracing[${i}].providers[${j}].name` },
          );
        });
      });
    }
  },
});
