/** `proxy-config secret` rows: one per secret (or per SPIFFE trust domain), with certificate facts. */
import {
  certValidAt,
  dataSourceElsewhere,
  dataSourceText,
  firstCertificate,
  objField,
  rfc3339,
} from './certs.js';
import type { SecretResource } from './dump.js';
import { FieldTypeError, SECRET_FIELDS, arr, isObj, snake, str, typeUrl, type Obj } from './fields.js';

/**
 * Whether protojson (istioctl's reader) takes this as a `bytes` value: standard base64, or URL-safe when it
 * has `-` or `_`; padded when its length is a multiple of 4, else unpadded; line breaks ignored.
 */
function goBase64(s: string): boolean {
  const t = s.replace(/[\r\n]/g, '');
  const a = /[-_]/.test(s) ? '[A-Za-z0-9_-]' : '[A-Za-z0-9+/]';
  if (s.length % 4 !== 0) return new RegExp(`^${a}*$`).test(t) && t.length % 4 !== 1;
  return new RegExp(`^(?:${a}{4})*(?:${a}{2}==|${a}{3}=)?$`).test(t);
}

/**
 * Refuses an `inline_bytes` anywhere in a secret that is not base64: a FieldTypeError (exit 65) the dump
 * locates, as istioctl refuses the dump, rather than a row read from whatever the text decodes to. Key
 * material (`private_key`, `password`, …) is not looked at: the error would quote it.
 */
export function checkInlineBytes(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) checkInlineBytes(v);
    return;
  }
  if (!isObj(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if ((k === 'inline_bytes' || k === 'inlineBytes') && typeof v === 'string' && !goBase64(v))
      throw new FieldTypeError(value, k, undefined, 'base64', v);
    if (!SECRET_FIELDS.has(snake(k))) checkInlineBytes(v);
  }
}

export interface SecretRow {
  name: string;
  type: string;
  status: string;
  valid: boolean;
  serial: string;
  notAfter: string;
  notBefore: string;
  /** Empty when unknown; the TRUST DOMAIN column is shown only when every row knows it. */
  trustDomain: string;
}

const SPIFFE_VALIDATOR =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig';

/**
 * Certificate data of a DataSource: its PEM text, and where it is when it is not in the dump (a file or an
 * environment variable of the proxy), for saying why no certificate could be read.
 */
export interface PemData {
  pem: string;
  elsewhere: string;
}

function pemData(ds: Obj | undefined): PemData {
  return { pem: dataSourceText(ds), elsewhere: dataSourceElsewhere(ds) };
}

/**
 * The workload chain of a secret (`tls_certificate.certificate_chain`), or undefined when the secret has
 * no `tls_certificate`. A field of the wrong type (`tls_certificate` a string, `inline_bytes` a list) is a
 * FieldTypeError (exit 65), which the dump locates: istioctl refuses such a dump too.
 */
export function secretChain(secret: Obj): PemData | undefined {
  const tls = objField(secret, 'tls_certificate');
  if (!tls) return undefined;
  return pemData(objField(tls, 'certificate_chain'));
}

/** The SPIFFE validator of a validation context (roots per trust domain), or undefined. */
function spiffeValidator(vc: Obj | undefined): Obj | undefined {
  const custom = vc && objField(vc, 'custom_validator_config');
  const validator = custom && objField(custom, 'typed_config');
  return typeUrl(validator) === SPIFFE_VALIDATOR ? validator : undefined;
}

/**
 * The trusted roots of a secret: the validation context's CA bundle (`trustDomain` empty), else one bundle
 * per trust domain of a SPIFFE validator; empty when the secret has no validation context. Wrong types are
 * FieldTypeErrors, as in `secretChain`.
 */
export function secretRoots(secret: Obj): Array<PemData & { trustDomain: string }> {
  const vc = objField(secret, 'validation_context');
  if (!vc) return [];
  const ca = objField(vc, 'trusted_ca');
  const bundle = pemData(ca);
  if (bundle.pem) return [{ ...bundle, trustDomain: '' }];
  const validator = spiffeValidator(vc);
  if (validator)
    return arr(validator, 'trust_domains').map((td) => ({
      ...pemData(objField(td, 'trust_bundle')),
      trustDomain: str(td, 'name'),
    }));
  return ca ? [{ ...bundle, trustDomain: '' }] : [];
}

function row(name: string, state: string, pem: string, trustDomain: string, now: Date): SecretRow {
  const c = pem ? firstCertificate(pem) : undefined;
  if (!c)
    return {
      name,
      type: '',
      status: state,
      valid: false,
      serial: '',
      notAfter: '',
      notBefore: '',
      trustDomain,
    };
  return {
    name,
    type: c.type,
    status: state,
    valid: certValidAt(c, now),
    serial: c.serial,
    notAfter: rfc3339(c.notAfter),
    notBefore: rfc3339(c.notBefore),
    trustDomain: trustDomain || c.trustDomain,
  };
}

/**
 * Rows for warming then active secrets; `now` decides VALID CERT. An entry without its secret, or a field
 * of the wrong type, is an error (exit 65) as istioctl errors on it, not an empty row.
 */
export function secretRows(secrets: readonly SecretResource[], now: Date): SecretRow[] {
  const rows: SecretRow[] = [];
  for (const s of secrets) {
    if (s.noSecret) throw s.noSecret;
    const secret = s.value;
    checkInlineBytes(secret);
    const chain = secretChain(secret);
    if (chain?.pem) {
      rows.push(row(s.name, s.state, chain.pem, '', now));
      continue;
    }
    const vc = objField(secret, 'validation_context');
    const ca = dataSourceText(vc && objField(vc, 'trusted_ca'));
    if (ca) {
      rows.push(row(s.name, s.state, ca, '', now));
      continue;
    }
    const validator = spiffeValidator(vc);
    if (validator) {
      for (const td of arr(validator, 'trust_domains')) {
        const bundle = dataSourceText(objField(td, 'trust_bundle'));
        rows.push(row(str(secret, 'name'), s.state, bundle, str(td, 'name'), now));
      }
      continue;
    }
    rows.push(row(s.name, s.state, '', '', now));
  }
  return rows;
}

export const SECRET_HEADER = [
  'RESOURCE NAME',
  'TYPE',
  'STATUS',
  'VALID CERT',
  'SERIAL NUMBER',
  'NOT AFTER',
  'NOT BEFORE',
];

/** Table rows with the header; TRUST DOMAIN appears only when every row has one. */
export function secretTable(rows: readonly SecretRow[], prefix = ''): string[][] {
  const withDomain = rows.length > 0 && rows.every((r) => r.trustDomain !== '');
  const header = withDomain ? [...SECRET_HEADER, 'TRUST DOMAIN'] : SECRET_HEADER;
  return [
    header,
    ...rows.map((r) => {
      const cells = [prefix + r.name, r.type, r.status, String(r.valid), r.serial, r.notAfter, r.notBefore];
      return withDomain ? [...cells, r.trustDomain] : cells;
    }),
  ];
}
