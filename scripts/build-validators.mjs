// Precompiles one standalone ajv validator module per Istio kind into dist/validators/, so that
// `mesh analyze` loads only the validator of the kinds it meets and never compiles a schema at run time.
// Runs after tsc (it uses the compiled dist/analyzers/schema/compile.js, the same code as the fallback).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  schemaKinds,
  standaloneValidatorSource,
  validatorModuleName,
} from '../dist/analyzers/schema/compile.js';
import { PRECOMPILED_DIR } from '../dist/analyzers/schema/validate.js';

mkdirSync(PRECOMPILED_DIR, { recursive: true });
for (const entry of schemaKinds()) {
  writeFileSync(join(PRECOMPILED_DIR, validatorModuleName(entry)), standaloneValidatorSource(entry));
}
