import { existsSync, readFileSync } from 'node:fs';
import { YAML_READ, yamlSyntaxError } from '../install/yaml-doc.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MeshError, usageError } from '../util/errors.js';

/**
 * Protected contexts: kubeconfig contexts that destructive commands (install, upgrade, uninstall) refuse
 * to change unless the context is named with --context (and, on a terminal, its name typed again). Listed
 * in MESH_PROTECTED_CONTEXTS (comma-separated) and/or under `protectedContexts:` in the mesh config file,
 * $MESH_CONFIG or else $XDG_CONFIG_HOME/mesh/config.yaml (~/.config/mesh/config.yaml).
 */
export function meshConfigFile(): string {
  if (process.env.MESH_CONFIG) return process.env.MESH_CONFIG;
  const base = process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config');
  return join(base, 'mesh', 'config.yaml');
}

export function protectedContexts(): string[] {
  const fromEnv = (process.env.MESH_PROTECTED_CONTEXTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const file = meshConfigFile();
  let fromFile: string[] = [];
  if (existsSync(file)) {
    let doc: any;
    try {
      doc = parse(readFileSync(file, 'utf8'), YAML_READ);
    } catch (err) {
      // `FILE:LINE: what at column C`, as a -f file's syntax error reads (not the parser's line ending in ':')
      throw yamlSyntaxError(file, err as Error & { linePos?: Array<{ line: number }> });
    }
    const list = doc?.protectedContexts ?? [];
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))
      throw new MeshError(`${file}: protectedContexts must be a list of context names`, { exitCode: 65 });
    fromFile = list;
  }
  return [...new Set([...fromEnv, ...fromFile])];
}

/**
 * Refuses to touch a protected context unless --context named it; on a terminal also asks for the name.
 * `ask` reads one line from the user (only called on a TTY).
 */
export async function guardContext(
  context: string,
  explicit: boolean,
  verb: string,
  ask: ((question: string) => Promise<string>) | undefined,
): Promise<void> {
  if (!protectedContexts().includes(context)) return;
  if (!explicit)
    throw usageError(
      `context "${context}" is protected: ${verb} refuses to change it unless it is named with --context ${context}`,
      `protected contexts come from MESH_PROTECTED_CONTEXTS and ${meshConfigFile()}`,
    );
  if (ask) {
    const typed = (await ask(`Context "${context}" is protected. Type its name to ${verb} it: `)).trim();
    if (typed !== context) throw new MeshError(`aborted: "${typed}" is not "${context}"`);
  }
}
