import { labelsMatch, isSynthetic } from '../util/labels.js';
import { defineAnalyzer, K } from '../types.js';

const TLS_TERMINATING = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']);

/**
 * MSH1001: a Gateway TLS server names a credentialName whose Secret is not in the inputs. The Secret must
 * live in the namespace of the gateway workload (found through the Gateway selector over Pods, pod
 * templates and the default ingress gateway). Runs only when the inputs hold Secrets at all, and leaves
 * gateways whose workload is a real Pod to istioctl's gateway.SecretAnalyzer (IST0101) to avoid saying it
 * twice.
 */
export default defineAnalyzer({
  name: 'mesh.GatewayCredentialSecretAnalyzer',
  description: 'Checks that the Secret named by a Gateway credentialName is among the inputs',
  inputs: [K.Gateway, K.Secret, K.Pod, K.Deployment],
  requires: [K.Secret],
  analyze(ctx) {
    const workloads = ctx.workloads();
    for (const gw of ctx.each(K.Gateway)) {
      const selector = gw.spec?.selector ?? {};
      const workload = workloads.find((w) => labelsMatch(selector, w.labels));
      if (!workload || (workload.isPod && !isSynthetic(workload.resource))) continue;
      const servers: any[] = Array.isArray(gw.spec?.servers) ? gw.spec.servers : [];
      servers.forEach((server, i) => {
        const tls = server?.tls;
        const credentialName = tls?.credentialName;
        if (typeof credentialName !== 'string' || credentialName === '') return;
        if (!TLS_TERMINATING.has(String(tls.mode ?? 'SIMPLE'))) return;
        const ref = credentialName.replace(/^kubernetes:\/\//, '');
        const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [workload.namespace, ref];
        if (ctx.get(K.Secret, ns!, name!)) return;
        const serverName = server.name ?? `${server.port?.name ?? `#${i}`}`;
        ctx.report('MSH1001', gw, [serverName, credentialName, `${ns}/${name}`], {
          path: `spec.servers[${i}].tls.credentialName`,
        });
      });
    }
  },
});
