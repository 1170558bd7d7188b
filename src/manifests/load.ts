import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jsYaml from 'js-yaml';
import { fastLoad, UNSUPPORTED } from './fast-yaml.js';
import {
  decodeUtf8,
  invalidUtf8Lines,
  invalidUtf8Message,
  looksBinary,
  readStdinBytes,
  withoutBom,
} from '../util/input.js';
import { splitDocuments } from './split.js';
import { jsonErrorOffset } from './json-error.js';
import {
  deeperThan,
  exceedsNodes,
  JS_YAML_MAX_DEPTH,
  jsonNestingOffset,
  nestingMessage,
  shortPath,
} from './limits.js';
import { newResource, type LoadProblem, type LoadResult, type Resource, type DocSource } from './types.js';

export const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface LoadOptions {
  /** Files larger than this are refused (bytes). */
  maxFileBytes?: number;
  /** A document whose aliases expand to more nodes than this is refused. */
  maxExpandedNodes?: number;
  /** Text to use for "-" (stdin); read from process.stdin when absent. */
  stdin?: string;
}

export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_EXPANDED_NODES = 1_000_000;

// `maxDepth` is js-yaml's (4.1.1+), not yet in its type definitions.
const JS_YAML_OPTIONS: jsYaml.LoadOptions = {
  schema: jsYaml.CORE_SCHEMA,
  ...{ maxDepth: JS_YAML_MAX_DEPTH },
};

/**
 * Expands paths: folders are walked recursively (sorted), only manifest extensions are kept. Each real
 * file and folder is visited once, however many symbolic links lead to it (a link to a parent folder is
 * a loop otherwise). A path that does not exist is a `noInput` problem; a folder without manifests is
 * a warning.
 */
export function expandPaths(paths: string[], problems: LoadProblem[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  /** False when the real path of `p` was already visited. */
  const firstVisit = (p: string) => {
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      real = p;
    }
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  };
  const walk = (dir: string) => {
    if (!firstVisit(dir)) return;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      problems.push({
        severity: 'error',
        file: dir,
        message: `cannot read directory: ${(err as Error).message}`,
      });
      return;
    }
    for (const e of entries) {
      if (e === 'node_modules' || e.startsWith('.')) continue;
      const p = join(dir, e);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (MANIFEST_EXTENSIONS.has(extname(e).toLowerCase()) && firstVisit(p)) out.push(p);
    }
  };
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({
        severity: 'error',
        file: p,
        message:
          code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${code ?? (err as Error).message}`,
        noInput: true,
      });
      continue;
    }
    if (st.isDirectory()) {
      const before = out.length;
      walk(p);
      if (out.length === before)
        problems.push({
          severity: 'warning',
          file: p,
          message: 'no .yaml, .yml or .json files in this folder',
        });
    } else if (MANIFEST_EXTENSIONS.has(extname(p).toLowerCase())) {
      if (firstVisit(p)) out.push(p);
    } else
      // Named on the command line, so said without --verbose (as istioctl does); in folders such files are
      // skipped quietly.
      problems.push({
        severity: 'warning',
        file: p,
        message: 'skipped: recognised file extensions are .yaml, .yml and .json',
      });
  }
  return out;
}

/** Loads every manifest under the given paths. Never throws for bad input: problems are collected. */
export async function loadManifests(paths: string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const problems: LoadProblem[] = [];
  const files = expandPaths(paths, problems);
  const resources: Resource[] = [];
  for (const file of files) {
    let text: string;
    if (file === '-') {
      text = opts.stdin ?? decodeChecked(await readStdinBytes(), file, problems);
    } else {
      const read = readFileChecked(file, opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, problems);
      if (read === undefined) continue;
      text = read;
    }
    parseManifestText(text, file, resources, problems, opts);
  }
  return { resources, problems, files };
}

function readFileChecked(file: string, maxBytes: number, problems: LoadProblem[]): string | undefined {
  let buf: Buffer;
  try {
    const st = statSync(file);
    if (st.size > maxBytes) {
      problems.push({
        severity: 'error',
        file,
        message: `file is ${(st.size / 1048576).toFixed(1)} MiB, over the ${(maxBytes / 1048576).toFixed(0)} MiB limit`,
      });
      return undefined;
    }
    buf = readFileSync(file);
  } catch (err) {
    problems.push({
      severity: 'error',
      file,
      message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    });
    return undefined;
  }
  if (looksBinary(buf)) {
    problems.push({ severity: 'error', file, message: 'binary file (contains NUL bytes), not a manifest' });
    return undefined;
  }
  return withoutBom(decodeChecked(buf, file, problems));
}

/** The bytes as UTF-8 text, with a warning on the first line that is not UTF-8. */
function decodeChecked(buf: Buffer, file: string, problems: LoadProblem[]): string {
  const bad = invalidUtf8Lines(buf);
  if (bad.length > 0)
    problems.push({ severity: 'warning', file, line: bad[0], message: invalidUtf8Message(bad) });
  return decodeUtf8(buf);
}

/** Parses one file's text (YAML stream or JSON) into resources, appending problems. */
export function parseManifestText(
  text: string,
  file: string,
  resources: Resource[],
  problems: LoadProblem[],
  opts: LoadOptions = {},
): void {
  const maxNodes = opts.maxExpandedNodes ?? DEFAULT_MAX_EXPANDED_NODES;
  if (file.toLowerCase().endsWith('.json')) {
    parseJson(text, file, resources, problems);
    return;
  }
  const chunks = splitDocuments(text);
  const stats = { nulls: 0, aliases: 0 };
  let docIndex = -1;
  for (const chunk of chunks) {
    if (chunk.empty) continue;
    docIndex++;
    let value: unknown;
    let fast = false;
    try {
      value = fastLoad(chunk.text, stats);
      fast = value !== UNSUPPORTED;
      if (!fast) value = jsYaml.load(chunk.text, { ...JS_YAML_OPTIONS, filename: file });
    } catch (err) {
      const e = err as { reason?: string; mark?: { line: number; column: number }; message: string };
      const reason = e.reason ?? e.message.split('\n')[0];
      problems.push({
        severity: 'error',
        file,
        docIndex,
        line: e.mark ? e.mark.line + chunk.lineOffset + 1 : chunk.startLine,
        column: e.mark ? e.mark.column + 1 : 1,
        message: reason?.startsWith('nesting exceeded maxDepth')
          ? nestingMessage()
          : `YAML syntax error: ${reason}`,
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    // Documents with aliases are counted as expanded first (a few lines can stand for billions of nodes,
    // which the depth check below would walk).
    const expands = fast ? stats.aliases > 0 : chunk.text.includes('*') && chunk.text.includes('&');
    if (expands && exceedsNodes(value, maxNodes)) {
      docProblem(
        problems,
        'error',
        file,
        docIndex,
        chunk.startLine,
        `document expands to more than ${maxNodes} nodes through YAML aliases; refused`,
      );
      continue;
    }
    // The fast parser reads no deeper than the limit (aliases aside); js-yaml bounds block mappings only
    // loosely.
    const deep = fast && !expands ? undefined : deeperThan(value);
    if (deep) {
      docProblem(problems, 'error', file, docIndex, chunk.startLine, nestingMessage(shortPath(deep)));
      continue;
    }
    addDocument(
      value,
      file,
      docIndex,
      chunk.startLine,
      { text: chunk.text, lineOffset: chunk.lineOffset, prefix: [], fast },
      resources,
      problems,
      fast && stats.nulls === 0,
    );
  }
}

function parseJson(text: string, file: string, resources: Resource[], problems: LoadProblem[]): void {
  if (text.trim() === '') return;
  const deep = jsonNestingOffset(text);
  if (deep >= 0) {
    problems.push({
      severity: 'error',
      file,
      docIndex: 0,
      ...lineColumnAt(text, deep),
      message: nestingMessage(),
    });
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const { line, column } = jsonErrorPosition(text, (err as Error).message);
    const msg = (err as Error).message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, ".*" is not valid JSON$/s, '');
    problems.push({
      severity: 'error',
      file,
      docIndex: 0,
      line,
      column,
      message: `JSON syntax error: ${msg}`,
    });
    return;
  }
  const startLine = text.slice(0, text.search(/\S/)).split('\n').length;
  addDocument(
    value,
    file,
    0,
    startLine,
    { text, lineOffset: 0, prefix: [], json: true },
    resources,
    problems,
    // without the word anywhere in the text, no value can be null
    !text.includes('null'),
  );
}

/** Where a JSON syntax error is: from the message when Node gives a position, else by scanning. */
function jsonErrorPosition(text: string, message: string): { line: number; column: number } {
  const m = /position (\d+)/.exec(message);
  return lineColumnAt(text, m ? Number(m[1]) : jsonErrorOffset(text));
}

function lineColumnAt(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  return { line: before.split('\n').length, column: pos - before.lastIndexOf('\n') };
}

const interned = new Map<string, string>();

/**
 * One string object per distinct value for the identity fields every analyzer looks up by (namespace,
 * name): the parser gives each document its own copies, and Map lookups with the same object are several
 * times faster than with equal strings.
 */
function intern(s: string): string {
  const v = interned.get(s);
  if (v !== undefined) return v;
  interned.set(s, s);
  return s;
}

/** A problem with one whole document: errors point at its first line and column 1, notes at its line. */
function docProblem(
  problems: LoadProblem[],
  severity: 'error' | 'note',
  file: string,
  docIndex: number,
  line: number,
  message: string,
): void {
  problems.push(
    severity === 'error'
      ? { severity, file, docIndex, line, column: 1, message }
      : { severity, file, docIndex, line, message },
  );
}

function addDocument(
  value: unknown,
  file: string,
  docIndex: number,
  startLine: number,
  source: DocSource,
  resources: Resource[],
  problems: LoadProblem[],
  nullFree = false,
): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    docProblem(
      problems,
      'note',
      file,
      docIndex,
      startLine,
      'skipped a document that is not a Kubernetes object (not a mapping)',
    );
    return;
  }
  const obj = value as Record<string, any>;
  const hasApi = typeof obj.apiVersion === 'string' && obj.apiVersion !== '';
  const hasKind = typeof obj.kind === 'string' && obj.kind !== '';
  if (!hasApi && !hasKind) {
    if (obj.apiVersion === undefined && obj.kind === undefined) {
      docProblem(
        problems,
        'note',
        file,
        docIndex,
        startLine,
        'skipped a document that is not a Kubernetes object (no apiVersion or kind)',
      );
    } else {
      docProblem(
        problems,
        'error',
        file,
        docIndex,
        startLine,
        'apiVersion and kind must be non-empty strings',
      );
    }
    return;
  }
  if (!hasApi || !hasKind) {
    docProblem(
      problems,
      'error',
      file,
      docIndex,
      startLine,
      hasKind ? `object of kind ${obj.kind} has no apiVersion` : 'object has an apiVersion but no kind',
    );
    return;
  }
  if (
    obj.kind === 'List' ||
    (obj.kind.endsWith('List') && Array.isArray(obj.items) && obj.apiVersion === 'v1')
  ) {
    const items = Array.isArray(obj.items) ? obj.items : [];
    items.forEach((item: unknown, i: number) => {
      const itemSource: DocSource = {
        ...source,
        prefix: [...source.prefix, 'items', i],
        list: source.list ?? source,
      };
      const before = resources.length;
      addDocument(item, file, docIndex, startLine, itemSource, resources, problems, nullFree);
      for (let r = before; r < resources.length; r++) resources[r]!.origin.listIndex = i;
    });
    // Items get their own line lazily (see analyzer origin resolution); keep the List's line for now.
    return;
  }
  const meta =
    obj.metadata && typeof obj.metadata === 'object' && !Array.isArray(obj.metadata) ? obj.metadata : {};
  for (const field of ['name', 'namespace'] as const) {
    const v = meta[field];
    if (v === null || typeof v !== 'object') continue;
    // `name: {{ .Values.name }}` is valid YAML: a mapping. Printing it would say `[object Object]`.
    docProblem(
      problems,
      'error',
      file,
      docIndex,
      startLine,
      `${obj.kind} metadata.${field} is a ${Array.isArray(v) ? 'sequence' : 'mapping'}, not a string (an unrendered template such as {{ .Values.${field} }}? render it first: helm template … | mesh analyze -)`,
    );
    return;
  }
  const name = typeof meta.name === 'string' ? meta.name : meta.name == null ? '' : String(meta.name);
  if (name === '' && typeof meta.generateName !== 'string') {
    docProblem(problems, 'error', file, docIndex, startLine, `${obj.kind} has no metadata.name`);
    return;
  }
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
  resources.push(
    newResource({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: intern(name || String(meta.generateName)),
      namespace: namespace === undefined ? undefined : intern(namespace),
      metadata: meta,
      spec: obj.spec,
      body: obj,
      origin: { file, docIndex, line: startLine, column: 1 },
      nullFree,
      source,
    }),
  );
}
