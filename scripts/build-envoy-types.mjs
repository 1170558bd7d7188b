// Writes dist/envoy-types.json: the fields of every Envoy v3 message (and the values of every enum) that the
// .proto files shipped with @grpc/grpc-js-xds describe, so that `mesh analyze` can check EnvoyFilter patch
// values field by field without loading protobuf at run time (src/analyzers/schema/rules/envoy-fields.ts).
// A file whose imports are not all shipped is left out; its types are then simply not checked.
// Runs after tsc: it uses the compiled dist/ (the include dirs the xDS client loads from, the output path).
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { ENVOY_TYPES_FILE } from '../dist/analyzers/schema/rules/envoy-fields.js';
import { protoIncludeDirs } from '../dist/xds-client/protos.js';

const require = createRequire(import.meta.url);
const includeDirs = protoIncludeDirs();
// proto-loader's own loader (a protobufjs Root resolved against include dirs, with Google's common protos)
const { addCommonProtos, loadProtosWithOptionsSync } = require('@grpc/proto-loader/build/src/util.js');
const protobuf = createRequire(require.resolve('@grpc/proto-loader'))('protobufjs');

const envoyDir = includeDirs[0]; // envoy-api
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.proto') && p.includes('/v3/')) files.push(relative(envoyDir, p));
  }
};
walk(join(envoyDir, 'envoy'));

const loadable = new Map();
/** True when the file and everything it imports are shipped. */
function complete(file, seen = new Set()) {
  if (loadable.has(file)) return loadable.get(file);
  if (seen.has(file)) return true;
  seen.add(file);
  const path = includeDirs.map((d) => join(d, file)).find((p) => existsSync(p));
  const ok =
    path !== undefined &&
    [...readFileSync(path, 'utf8').matchAll(/^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm)].every(
      ([, imp]) => imp.startsWith('google/protobuf/') || complete(imp, seen),
    );
  loadable.set(file, ok);
  return ok;
}

addCommonProtos();
const root = loadProtosWithOptionsSync(
  files.filter((f) => complete(f)),
  { keepCase: true, includeDirs },
);
root.resolveAll();

/** protojson's name for a field: its json_name, else lowerCamelCase of its name. */
const jsonName = (f) => f.options?.json_name ?? f.name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

// message full name → field name (proto and JSON) → [kind, type, shape, presence]
// kind: 's' scalar, 'm' message, 'e' enum; type: the message's or enum's full name; shape: 'r' repeated, 'k' map
const messages = {};
const enums = {};
const visit = (ns) => {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) {
      const fields = {};
      for (const f of n.fieldsArray) {
        const t = f.resolvedType;
        const entry = [
          t instanceof protobuf.Type ? 'm' : t instanceof protobuf.Enum ? 'e' : 's',
          t ? t.fullName.slice(1) : f.type, // a scalar's proto type: int64, string, bool…
          f.map ? 'k' : f.repeated ? 'r' : '',
          f.partOf ? 'p' : '', // has presence: in a oneof, or proto3 `optional` (a synthetic oneof)
        ];
        fields[f.name] = entry;
        fields[jsonName(f)] = entry;
      }
      // Google's well-known types are read by their JSON forms, not their fields (see envoy-fields.ts)
      if (!n.fullName.startsWith('.google.protobuf.')) messages[n.fullName.slice(1)] = fields;
    } else if (n instanceof protobuf.Enum) {
      enums[n.fullName.slice(1)] = Object.keys(n.values);
    }
    if (n.nestedArray) visit(n);
  }
};
visit(root);

mkdirSync(dirname(ENVOY_TYPES_FILE), { recursive: true });
writeFileSync(ENVOY_TYPES_FILE, JSON.stringify({ messages, enums }));
