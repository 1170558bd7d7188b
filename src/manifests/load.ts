import {
  closeSync,
  constants as fsConstants,
  createReadStream,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  statSync,
  type BigIntStats,
  type Dirent,
} from 'node:fs';
import { extname, join } from 'node:path';
import jsYaml from 'js-yaml';
import { fastLoad, UNSUPPORTED } from './fast-yaml.js';
import {
  decodeUtf8,
  errnoText,
  invalidUtf8Lines,
  invalidUtf8Message,
  looksBinary,
  utf16Text,
  binaryMessage,
  readBounded,
  readFdBounded,
  withoutBom,
} from '../util/input.js';
import { splitDocuments } from './split.js';
import { forgetPositions, positionIn } from './positions.js';
import { hugeJsonNumber, notJsonIn, TEMPLATE_HINT } from './json-form.js';
import { KUBE_YAML_SCHEMA } from './yaml-schema.js';
import { duplicateJsonKey, jsonSyntaxError } from './json-error.js';
import {
  deeperThan,
  exceedsNodes,
  JS_YAML_MAX_DEPTH,
  countKeys,
  scanJson,
  isSequenceOfObjects,
  nestingMessage,
  SEQUENCE_OF_OBJECTS,
  shortPath,
} from './limits.js';
import { newResource, type LoadProblem, type LoadResult, type Resource, type DocSource } from './types.js';
import { isObject } from '../util/values.js';

/** The apiVersion of mesh's own JSON and YAML reports (analyze, certs, authz, pc rootca-compare and diff). */
const MESH_REPORT_API = 'mesh/v1';

export const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface LoadOptions {
  /** Files larger than this are refused (bytes). */
  maxFileBytes?: number;
  /** A document whose aliases expand to more nodes than this is refused. */
  maxExpandedNodes?: number;
  /**
   * What "-" (stdin) holds: text is taken as it is; bytes are read as process.stdin is (the default),
   * up to `maxFileBytes`.
   */
  stdin?: string | AsyncIterable<Uint8Array>;
}

export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_EXPANDED_NODES = 1_000_000;

// `maxDepth` is js-yaml's (4.1.1+), not yet in its type definitions.
const JS_YAML_OPTIONS: jsYaml.LoadOptions = {
  schema: KUBE_YAML_SCHEMA,
  ...{ maxDepth: JS_YAML_MAX_DEPTH },
};

/** A path that cannot be read (EACCES, EIO, …): exit 66 as a missing one, never a parse error. */
function unreadable(file: string, what: string | undefined, err: unknown): LoadProblem {
  const message = `cannot read${what ? ` ${what}` : ''}: ${errnoText(err)}`;
  return { severity: 'error', file, message, noInput: true };
}

/** What a path that is neither a regular file nor a folder is, for a message. */
function specialKind(st: BigIntStats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Expands paths: folders are walked recursively (sorted), only manifest extensions are kept. Each real
 * file and folder (device and inode) is visited once, however many symbolic links lead to it (a link to a
 * parent folder is a loop otherwise); a folder is recognised by its own inode, not its real path, so a
 * walk costs the same at any depth. A path that does not exist or cannot be read is a `noInput` problem;
 * a folder without manifests is a warning. In folders only regular files are inputs: a FIFO, socket or
 * device, and a symbolic link to nothing or to itself, is skipped with a warning. A path named on the
 * command line that is not a regular file is added to `streams` (it is read as a stream, up to the size
 * limit).
 */
export function expandPaths(
  paths: string[],
  problems: LoadProblem[],
  streams: Set<string> = new Set(),
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  /** False when the file or folder was already visited. */
  const firstVisit = (st: BigIntStats) => {
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort(byName);
    } catch (err) {
      problems.push(unreadable(dir, 'folder', err));
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const manifest = MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase());
      // other files are skipped unseen (a link or an unknown type may still be a folder)
      if (e.isFile() && !manifest) continue;
      const p = join(dir, e.name);
      let st: BigIntStats;
      try {
        st = statSync(p, { bigint: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ELOOP') {
          if (isLink(p))
            problems.push({
              severity: 'warning',
              file: p,
              message: `skipped: symbolic link to ${code === 'ENOENT' ? 'nothing (dangling)' : 'itself (a loop)'}`,
            });
          // else: removed since the folder was listed
        } else problems.push(unreadable(p, undefined, err));
        continue;
      }
      if (st.isDirectory()) {
        if (firstVisit(st)) walk(p);
      } else if (!manifest) continue;
      else if (!st.isFile())
        problems.push({
          severity: 'warning',
          file: p,
          message: `skipped: ${specialKind(st)}, not a regular file`,
        });
      else if (firstVisit(st)) out.push(p);
    }
  };
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    let st: BigIntStats;
    try {
      st = statSync(p, { bigint: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(
        code === 'ENOENT'
          ? { severity: 'error', file: p, message: 'no such file or directory', noInput: true }
          : unreadable(p, undefined, err),
      );
      continue;
    }
    if (st.isDirectory()) {
      if (!firstVisit(st)) continue;
      const before = out.length;
      walk(p);
      if (out.length === before)
        problems.push({
          severity: 'warning',
          file: p,
          message: 'no .yaml, .yml or .json files in this folder',
          passedOver: true,
        });
    } else if (MANIFEST_EXTENSIONS.has(extname(p).toLowerCase()) || isStream(st)) {
      // a FIFO or device named on the command line is read whatever its name, as stdin is: bash's
      // `<(helm template …)` names one /dev/fd/63
      if (firstVisit(st)) {
        out.push(p);
        if (!st.isFile()) streams.add(p);
      }
    } else
      // Named on the command line, so said without --verbose (as istioctl does); in folders such files are
      // skipped quietly.
      problems.push({
        severity: 'warning',
        file: p,
        message: 'skipped: recognised file extensions are .yaml, .yml and .json',
        passedOver: true,
      });
  }
  return out;
}

/** A FIFO or a device: what is read as a stream, up to the size limit. */
function isStream(st: BigIntStats): boolean {
  return st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice();
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Loads every manifest under the given paths. Never throws for bad input: problems are collected. */
export async function loadManifests(paths: string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const problems: LoadProblem[] = [];
  const streams = new Set<string>();
  const files = expandPaths(paths, problems, streams);
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const resources: Resource[] = [];
  for (const file of files) {
    const stdin = file === '-' ? (opts.stdin ?? process.stdin) : undefined;
    let text: string | undefined;
    if (typeof stdin === 'string') text = stdin;
    else {
      // stdin, FIFOs and devices may never end: they are read up to the limit
      const bytes = stdin
        ? await readStreamChecked(file, stdin, maxBytes, problems)
        : streams.has(file)
          ? await readStreamChecked(file, createReadStream(file), maxBytes, problems)
          : readFileChecked(file, maxBytes, problems);
      if (bytes !== undefined) text = textChecked(bytes, file, problems);
    }
    if (text !== undefined) parseManifestText(text, file, resources, problems, opts);
  }
  return { resources, problems, files };
}

/** A size in a message (a file's, the limit's): `64 MiB`, `0.5 MiB`, `0.0000887 MiB`. */
function mib(bytes: number): string {
  const m = bytes / 1048576;
  // three decimals, or three significant digits below 1 MiB (a limit of 0.0001 MiB is not "0 MiB")
  return `${Number(m >= 1 ? m.toFixed(3) : m.toPrecision(3))} MiB`;
}

/** A file (or stdin, `-`) over the size limit: refused as unusable input. */
function tooLarge(file: string, maxBytes: number, size?: number): LoadProblem {
  const what = file === '-' ? 'stdin' : 'file';
  const over = `over the ${mib(maxBytes)} limit (--max-file-size)`;
  return {
    severity: 'error',
    file,
    message:
      size === undefined ? `${what} is ${over}; reading stopped there` : `${what} is ${mib(size)}, ${over}`,
  };
}

/**
 * A regular file's bytes, or undefined with a problem. It is opened without blocking, so a file that
 * became a FIFO since the folder was listed is found out by its fstat rather than waited on.
 */
function readFileChecked(file: string, maxBytes: number, problems: LoadProblem[]): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    problems.push(unreadable(file, 'file', err));
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      problems.push({ severity: 'warning', file, message: 'skipped: not a regular file any more' });
      return undefined;
    }
    if (st.size > maxBytes) {
      problems.push(tooLarge(file, maxBytes, st.size));
      return undefined;
    }
    const bytes = readFdBounded(fd, st.size, maxBytes);
    if (bytes === undefined) problems.push(tooLarge(file, maxBytes));
    return bytes;
  } catch (err) {
    problems.push(unreadable(file, 'file', err));
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The bytes of stdin, a FIFO or a device, up to the size limit; else undefined with a problem. */
async function readStreamChecked(
  file: string,
  stream: AsyncIterable<Uint8Array>,
  maxBytes: number,
  problems: LoadProblem[],
): Promise<Buffer | undefined> {
  try {
    const bytes = await readBounded(stream, maxBytes);
    if (bytes === undefined) problems.push(tooLarge(file, maxBytes));
    return bytes;
  } catch (err) {
    problems.push(unreadable(file, file === '-' ? 'stdin' : 'file', err));
    return undefined;
  }
}

/** The bytes as manifest text (UTF-8, or UTF-16 with a byte order mark): binary content is refused, a byte order mark dropped. */
function textChecked(buf: Buffer, file: string, problems: LoadProblem[]): string | undefined {
  const utf16 = utf16Text(buf);
  if (utf16 !== undefined) return utf16;
  if (looksBinary(buf)) {
    problems.push({ severity: 'error', file, message: binaryMessage(buf, 'a manifest') });
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
      const reason = yamlReason(e.reason ?? e.message.split('\n')[0] ?? '');
      problems.push({
        severity: 'error',
        file,
        docIndex,
        line: e.mark ? e.mark.line + chunk.lineOffset + 1 : chunk.startLine,
        column: e.mark ? e.mark.column + 1 : 1,
        message: reason?.startsWith('nesting exceeded maxDepth')
          ? nestingMessage()
          : `YAML syntax error: ${reason}${TEMPLATE_SYNTAX.test(chunk.text) ? TEMPLATE_HINT : ''}`,
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    // what has no JSON form kubectl refuses (the fast parser leaves such documents to js-yaml)
    const notJson = fast ? undefined : notJsonIn(chunk.text);
    if (notJson) {
      problems.push({
        severity: 'error',
        file,
        docIndex,
        line: notJson.line + chunk.lineOffset,
        column: notJson.column,
        message: notJson.message,
      });
      continue;
    }
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

/** Go template actions (`{{ .Values.x }}`, `{{- if … }}`): a Helm chart's templates, not yet rendered. */
const TEMPLATE_SYNTAX = /\{\{-?\s*[^}]*\}\}/;

/**
 * js-yaml's reasons that quote the text (a tag or alias name: an unquoted `password: *hunter2` is an
 * alias), without the quote; the others name the kind of error only.
 */
const YAML_QUOTING_REASONS: ReadonlyArray<[RegExp, string]> = [
  [/^unidentified alias /, 'unidentified alias (an unquoted value cannot start with "*")'],
  [/^unknown tag /, 'unknown tag (an unquoted value cannot start with "!")'],
  [
    /^unacceptable node kind for .* tag; (it should be "\w+", not "\w+")$/s,
    'unacceptable node kind for its tag; $1',
  ],
  [/^cannot resolve a node with /, 'cannot resolve a node with its explicit tag'],
  [/^tag name cannot contain such characters: /, 'tag name cannot contain such characters'],
  [/^tag name is malformed: /, 'tag name is malformed'],
  [/^undeclared tag handle /, 'undeclared tag handle'],
  [/^there is a previously declared suffix for /, 'a tag handle is declared twice'],
  [/^tag prefix is malformed: /, 'tag prefix is malformed'],
];

function yamlReason(reason: string): string {
  for (const [re, said] of YAML_QUOTING_REASONS) {
    const m = re.exec(reason);
    if (m) return said.replace('$1', m[1] ?? '');
  }
  return reason;
}

function parseJson(text: string, file: string, resources: Resource[], problems: LoadProblem[]): void {
  if (text.trim() === '') return;
  /** The file refused, with an error at `offset`. */
  const refuse = (offset: number, message: string) =>
    problems.push({ severity: 'error', file, docIndex: 0, ...lineColumnAt(text, offset), message });
  const { deepAt, keys } = scanJson(text);
  if (deepAt >= 0) {
    refuse(deepAt, nestingMessage());
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // the kind and the place only: Node's message quotes the text around the error
    const { offset, kind } = jsonSyntaxError(text, (err as Error).message);
    refuse(offset, `JSON syntax error: ${kind}`);
    return;
  }
  const huge = hugeJsonNumber(text);
  if (huge) {
    refuse(huge.offset, huge.message);
    return;
  }
  // JSON.parse keeps the last of a repeated key and drops the others without a word (as kubectl and
  // istioctl do); mesh refuses such a document, as it does in YAML
  const repeated = countKeys(value) === keys ? undefined : duplicateJsonKey(text);
  if (repeated) {
    refuse(repeated.offset, `JSON syntax error: duplicated key ${JSON.stringify(repeated.key)} in an object`);
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

/** What a YAML value is, for messages: "the number 5", "a string", "a mapping", "a sequence", "null". */
function kindOfValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a sequence';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return v === '' ? 'an empty string' : 'a string';
  return `the ${typeof v} ${String(v)}`;
}

/** For "apiVersion and kind must be non-empty strings": what each of the two is instead. */
function fieldTypes(obj: Record<string, unknown>): string {
  const parts = (['apiVersion', 'kind'] as const)
    .filter((f) => obj[f] !== undefined)
    .map((f) => `${f} is ${kindOfValue(obj[f])}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
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
  const item = source.list === undefined ? '' : `List item ${String(source.prefix.at(-1))}`;
  // every problem of a document is at its first line; of a List's item, at the item's
  const problem = (severity: 'error' | 'note', message: string) => {
    const at = item === '' ? undefined : positionIn(source, source.prefix);
    if (at === undefined) docProblem(problems, severity, file, docIndex, startLine, message);
    else problems.push({ severity, file, docIndex, line: at.line, column: at.column, message });
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    if (item !== '') {
      // A List holds objects only: an item that is not one is a mistake, not a file to pass over.
      problem('error', `${item} is ${kindOfValue(value)}, not a Kubernetes object`);
      return;
    }
    // a list of objects was meant to be objects: passed over, they would go unanalyzed without a word
    if (isSequenceOfObjects(value)) {
      problem('error', SEQUENCE_OF_OBJECTS);
      return;
    }
    problem('note', 'skipped a document that is not a Kubernetes object (not a mapping)');
    return;
  }
  const obj = value as Record<string, any>;
  const hasApi = typeof obj.apiVersion === 'string' && obj.apiVersion !== '';
  const hasKind = typeof obj.kind === 'string' && obj.kind !== '';
  if (!hasApi && !hasKind) {
    if (obj.apiVersion === undefined && obj.kind === undefined) {
      // An item of a List, or a document with an object's `metadata`, was meant to be an object: to pass
      // it over would leave it unanalyzed without a word (kubectl and istioctl refuse it too).
      if (item !== '' || isObject(obj.metadata))
        problem('error', `${item === '' ? 'object' : item} has no apiVersion or kind`);
      else problem('note', 'skipped a document that is not a Kubernetes object (no apiVersion or kind)');
    } else {
      problem(
        'error',
        `${item === '' ? '' : `${item}: `}apiVersion and kind must be non-empty strings${fieldTypes(obj)}`,
      );
    }
    return;
  }
  if (obj.apiVersion === MESH_REPORT_API && item === '') {
    // mesh's own report (`--report json:r.json` written into the folder analyzed): no Kubernetes object
    // has this apiVersion (an API group other than the built-in ones has a dot)
    problem(
      'note',
      `skipped mesh's own ${hasKind ? obj.kind : 'report'} (apiVersion ${MESH_REPORT_API}), not a Kubernetes object`,
    );
    return;
  }
  if (!hasApi || !hasKind) {
    const missing = (field: 'apiVersion' | 'kind'): string =>
      obj[field] === undefined
        ? `has no ${field}`
        : obj[field] === ''
          ? `has an empty ${field}`
          : `has ${field} ${kindOfValue(obj[field])}, not a string`;
    problem(
      'error',
      `${item === '' ? 'object' : item} ` +
        (hasKind ? `of kind ${obj.kind} ${missing('apiVersion')}` : missing('kind')),
    );
    return;
  }
  if (
    obj.kind === 'List' ||
    (obj.kind.endsWith('List') && Array.isArray(obj.items) && obj.apiVersion === 'v1')
  ) {
    if (obj.items != null && !Array.isArray(obj.items)) {
      problem(
        'error',
        `${item === '' ? '' : `${item}: `}${obj.kind} items must be a sequence of objects, not ${kindOfValue(obj.items)}`,
      );
      return;
    }
    const items: unknown[] = obj.items ?? [];
    const problemsBefore = problems.length;
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
    // An item's problem was located now; its findings are located later (locateFindings), which builds
    // the document's position index again if it needs one.
    if (problems.length > problemsBefore) forgetPositions(source);
    // Items get their own line lazily (see analyzer origin resolution); keep the List's line for now.
    return;
  }
  const meta =
    obj.metadata && typeof obj.metadata === 'object' && !Array.isArray(obj.metadata) ? obj.metadata : {};
  for (const field of ['name', 'namespace'] as const) {
    const v = meta[field];
    if (v === null || typeof v !== 'object') continue;
    // `name: {{ .Values.name }}` is valid YAML: a mapping. Printing it would say `[object Object]`.
    problem(
      'error',
      `${item === '' ? '' : `${item}: `}${obj.kind} metadata.${field} is a ${Array.isArray(v) ? 'sequence' : 'mapping'}, not a string (an unrendered template such as {{ .Values.${field} }}? render it first: helm template … | mesh analyze -)`,
    );
    return;
  }
  const name = typeof meta.name === 'string' ? meta.name : meta.name == null ? '' : String(meta.name);
  if (name === '' && typeof meta.generateName !== 'string') {
    problem('error', `${item === '' ? '' : `${item}: `}${obj.kind} has no metadata.name`);
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
