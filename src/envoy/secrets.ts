/** `proxy-config secret` rows: one per secret (or per SPIFFE trust domain), with certificate facts. */
import { certValidAt, dataSourceText, firstCertificate, rfc3339 } from './certs.js';
import type { SecretResource } from './dump.js';
import { arr, obj, path, str, typeUrl } from './fields.js';

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

/** Rows for warming then active secrets; `now` decides VALID CERT. */
export function secretRows(secrets: readonly SecretResource[], now: Date): SecretRow[] {
  const rows: SecretRow[] = [];
  for (const s of secrets) {
    const secret = s.value;
    const chain = dataSourceText(path(secret, 'tls_certificate', 'certificate_chain'));
    if (chain) {
      rows.push(row(s.name, s.state, chain, '', now));
      continue;
    }
    const vc = obj(secret, 'validation_context');
    const ca = dataSourceText(obj(vc, 'trusted_ca'));
    if (ca) {
      rows.push(row(s.name, s.state, ca, '', now));
      continue;
    }
    const validator = obj(obj(vc, 'custom_validator_config'), 'typed_config');
    if (typeUrl(validator) === SPIFFE_VALIDATOR) {
      for (const td of arr(validator, 'trust_domains')) {
        rows.push(
          row(str(secret, 'name'), s.state, dataSourceText(obj(td, 'trust_bundle')), str(td, 'name'), now),
        );
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
