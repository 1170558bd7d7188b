import { createRequire } from 'node:module';
import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, str, text } from '../../util/values.js';
import { defineAnalyzer, K, type AnalysisContext, WORKLOAD_INPUTS } from '../types.js';
import { nsOf } from '../util/hosts.js';
import { reportSelectorNotFound, selectedWorkloads, workloadNamespace } from './workloads.js';

// node:crypto (a dozen internal modules) is loaded only when a certificate is read.
const requireHere = createRequire(import.meta.url);
const crypto = (): typeof import('node:crypto') => requireHere('node:crypto') as typeof import('node:crypto');

/** Objects that produce a Secret of a given name in their namespace (cert-manager, External Secrets, Sealed Secrets). */
const SECRET_PRODUCERS: Record<string, (r: Resource) => string | undefined> = {
  'cert-manager.io/Certificate': (r) => str(r.spec?.secretName),
  'external-secrets.io/ExternalSecret': (r) => str(r.spec?.target?.name) ?? r.name,
  'bitnami.com/SealedSecret': (r) => str(r.spec?.template?.metadata?.name) ?? r.name,
};

/**
 * Each server `tls.credentialName` (and `credentialNames`) must name a Secret in the namespace of the
 * gateway workload (`ns/name` allowed), holding a PEM certificate (`tls.crt`/`tls.key` or `cert`/`key`)
 * that is valid now. A missing Secret is IST0101, as in istioctl, but only when the inputs carry Secrets
 * (or cert-manager Certificates, ExternalSecrets, SealedSecrets, which count as the Secret they produce),
 * since TLS secrets are often kept out of manifests, and when it is not declared external
 * (`--external "Secret ns/name"`).
 */
export default defineAnalyzer({
  name: 'gateway.SecretAnalyzer',
  description:
    'Checks the credentialName Secrets of Gateway servers: present, usable as TLS credentials, valid',
  codes: ['IST0101', 'IST0161'],
  inputs: [K.Gateway, K.Secret, ...Object.keys(SECRET_PRODUCERS), ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const produced = producedSecrets(ctx);
    const secretsInInputs = ctx.complete || ctx.has(K.Secret) || produced.size > 0;
    for (const gw of ctx.each(K.Gateway)) {
      const gwNs = workloadNamespace(selectedWorkloads(ctx, gw.spec?.selector));
      if (gwNs === undefined) {
        reportSelectorNotFound(ctx, gw);
        continue;
      }
      list(gw.spec?.servers).forEach((server, i) => {
        const tls = isObject(server) ? server.tls : undefined;
        if (!isObject(tls)) return;
        const refs: Array<{ cn: string; path: string }> = [];
        const single = str(tls.credentialName);
        if (single) refs.push({ cn: single, path: joinPath('spec.servers', i, 'tls', 'credentialName') });
        list(tls.credentialNames).forEach((n, j) => {
          if (typeof n === 'string' && n)
            refs.push({ cn: n, path: joinPath('spec.servers', i, 'tls', 'credentialNames', j) });
        });
        for (const { cn, path } of refs) {
          const slash = cn.indexOf('/');
          const secretNs = slash >= 0 ? cn.slice(0, slash) : gwNs;
          const secretName = slash >= 0 ? cn.slice(slash + 1) : cn;
          const secret = ctx.get(K.Secret, secretNs, secretName);
          if (secret) {
            // istioctl names the namespace the Secret is looked up in by default: the gateway workload's
            if (!validCredential(secret)) ctx.report('IST0161', gw, [gw.name, gwNs], { path });
          } else if (
            secretsInInputs &&
            !produced.has(`${secretNs}/${secretName}`) &&
            !ctx.external('Secret', secretNs, secretName)
          ) {
            ctx.report('IST0101', gw, ['credentialName', cn], { path });
          }
        }
      });
    }
  },
});

function producedSecrets(ctx: AnalysisContext): Set<string> {
  const out = new Set<string>();
  for (const [key, nameOf] of Object.entries(SECRET_PRODUCERS)) {
    for (const r of ctx.each(key)) {
      const name = nameOf(r);
      if (name) out.add(`${nsOf(r)}/${name}`);
    }
  }
  return out;
}

/** A certificate and key under one of the key pairs Istio reads, the certificate PEM and valid today. */
function validCredential(secret: Resource): boolean {
  const value = (key: string): string | undefined => {
    const b64 = secret.body.data?.[key];
    if (b64 !== undefined && b64 !== null) return Buffer.from(text(b64), 'base64').toString('utf8');
    const plain = secret.body.stringData?.[key];
    return plain === undefined || plain === null ? undefined : text(plain);
  };
  const pair = [
    ['tls.crt', 'tls.key'],
    ['cert', 'key'],
  ].find(([c, k]) => value(c) && value(k));
  if (!pair) return false;
  const pem = value(pair[0])!;
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return false;
  try {
    const cert = new (crypto().X509Certificate)(pem);
    const now = Date.now();
    return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
  } catch {
    return false;
  }
}
