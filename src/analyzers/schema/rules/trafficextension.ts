import type { Resource } from '../../../manifests/types.js';
import { Issues } from './common.js';
import { isObject } from '../../../util/values.js';
import { byteLength, checkTargeting, text } from './common-sec.js';
import type { SemanticIssue } from './types.js';
import { checkTrafficMatch, checkWasmModule } from './wasmplugin.js';

/** Largest inline Lua script accepted (64 KiB). */
export const MAX_LUA_BYTES = 64 * 1024;

/**
 * TrafficExtension rules (analyzers.md §9): exactly one of `wasm` / `lua`; targeting; inline Lua of
 * 1 byte to 64 KiB; the `wasm` block and traffic `match` as for WasmPlugin.
 */
export function validateTrafficExtension(resource: Resource): SemanticIssue[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const issues = new Issues();
  checkTargeting(issues, spec);
  const hasWasm = spec.wasm !== null && spec.wasm !== undefined;
  const hasLua = spec.lua !== null && spec.lua !== undefined;
  if (hasWasm && hasLua)
    issues.error('spec.lua', 'a TrafficExtension is either wasm or lua; remove one of them');
  if (!hasWasm && !hasLua) issues.error('spec', 'a TrafficExtension needs its code: set wasm or lua');
  if (isObject(spec.wasm)) checkWasmModule(issues, 'spec.wasm', spec.wasm);
  if (isObject(spec.lua)) {
    const size = byteLength(text(spec.lua.inlineCode));
    if (size === 0) issues.error('spec.lua.inlineCode', 'lua.inlineCode must be set');
    else if (size > MAX_LUA_BYTES)
      issues.error(
        'spec.lua.inlineCode',
        `lua.inlineCode must be at most ${MAX_LUA_BYTES} bytes (found ${size})`,
      );
  }
  checkTrafficMatch(issues, 'spec.match', spec.match);
  return issues.list;
}
