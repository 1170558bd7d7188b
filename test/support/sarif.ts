import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Errors of a SARIF log against the official SARIF 2.1.0 schema, which ships in @microsoft/jest-sarif
 * (draft-04, so its own ajv 6 validates it); empty when the log is valid.
 */
export function sarifErrors(log: unknown): unknown[] {
  const req = createRequire(import.meta.url);
  const pkgDir = dirname(req.resolve('@microsoft/jest-sarif/package.json'));
  const fromPkg = createRequire(join(pkgDir, 'package.json'));
  const Ajv6 = fromPkg('ajv');
  const ajv = new Ajv6({ schemaId: 'auto', validateSchema: false, allErrors: true });
  ajv.addMetaSchema(fromPkg('ajv/lib/refs/json-schema-draft-04.json'));
  const schema = JSON.parse(readFileSync(join(pkgDir, 'lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  return ajv.validate(schema, log) ? [] : (ajv.errors ?? ['invalid']);
}
