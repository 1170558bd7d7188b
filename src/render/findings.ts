import type {
  CreateNodeOptions,
  DocumentOptions,
  ScalarTag,
  SchemaOptions,
  Tags,
  ToStringOptions,
} from 'yaml';
import type { Finding } from '../analyzers/types.js';
import type { LoadProblem } from '../manifests/types.js';
import { ansi } from '../util/tty.js';
import { CONTROL, CONTROL_BUT_NEWLINE, escapeControl, escapeControlKeepLines, hex } from './escape.js';
import type { Chunks } from './chunks.js';
import { flatItem } from './yaml-flat.js';

/**
 * istioctl's line: `Level [CODE] (Kind ns/name file:line) text`, with `[cluster-ID]` before the origin in a
 * multi-cluster analysis; only the level word is coloured. A line is printed once, as istioctl prints it:
 * findings it repeats differ in what the line does not show (the column, the field path of `-o json`), for
 * instance one missing host named by two routes written on one line, or of an object of the cluster.
 * Control characters of the inputs (a name, a host, a file name) are shown escaped (`escapeControl`), so a
 * finding is always one line and never moves the cursor, clears the screen or forges a CI workflow command.
 */
export function renderLog(findings: readonly Finding[], color: boolean): string {
  return [...logLines(findings, color)].join('\n');
}

/** `renderLog`'s lines, each distinct one once, in order. */
export function* logLines(findings: readonly Finding[], color: boolean): Generator<string> {
  const line = logLiner(color);
  for (const f of findings) {
    const text = line(f);
    if (text !== undefined) yield CONTROL.test(text) ? shown(text) : text;
  }
}

/** `renderLog`'s output in pieces of many lines, with its final newline. */
export function* logChunks(findings: readonly Finding[], color: boolean): Generator<string> {
  const line = logLiner(color);
  for (let at = 0; at < findings.length;) {
    const lines: string[] = [];
    at = gather(findings, at, line, lines);
    if (lines.length > 0) yield shownPiece(lines);
  }
}

/** Lines are gathered into pieces of about this many characters. */
const PIECE = 1 << 22;

/**
 * Adds to `lines` the lines of the findings from `at` on, until they make a piece; returns where it stopped.
 * (A plain loop, outside the generators: it is the hot part.)
 */
function gather(
  findings: readonly Finding[],
  at: number,
  line: (f: Finding) => string | undefined,
  lines: string[],
): number {
  let size = 0;
  let i = at;
  while (i < findings.length && size < PIECE) {
    const text = line(findings[i++]!);
    if (text === undefined) continue;
    lines.push(text);
    size += text.length;
  }
  return i;
}

/**
 * The lines as they are shown, each followed by a newline. A control character is rare: one test looks for
 * one in the whole piece (its newlines are the lines' own ends when there are as many as lines), and only
 * a piece that has one is shown line by line (a coloured one always is: its colours are escape codes).
 */
function shownPiece(lines: readonly string[]): string {
  const text = `${lines.join('\n')}\n`;
  if (!CONTROL_BUT_NEWLINE.test(text) && newlines(text) === lines.length) return text;
  return `${lines.map((l) => (CONTROL.test(l) ? shown(l) : l)).join('\n')}\n`;
}

/** A line as it is shown: the level word (and its colour) as it is, the rest with control characters escaped. */
function shown(line: string): string {
  const at = line.indexOf(' ');
  return line.slice(0, at) + escapeControl(line.slice(at));
}

function newlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The line of each finding whose line was not printed yet (as it is written), undefined for the others. */
function logLiner(color: boolean): (f: Finding) => string | undefined {
  const seen = new Distinct();
  const error = `${ansi.boldRed('Error', color)} `;
  const warning = `${ansi.yellow('Warning', color)} `;
  return (f) => {
    seen.group(f);
    const level = f.level === 'Error' ? error : f.level === 'Warning' ? warning : 'Info ';
    const loc = f.file ? ` ${f.file}${f.line ? `:${f.line}` : ''}` : '';
    const origin = f.origin ? `(${f.origin}${loc}) ` : '';
    const head = `${level}[${f.code}] ${clusterTag(f.cluster)}${origin}`;
    return f.message.length < LONG_MESSAGE ? seen.line(head + f.message) : seen.longLine(head, f.message);
  };
}

/** Messages at least this long are remembered apart from the rest of their line. */
const LONG_MESSAGE = 4096;

/**
 * The lines already printed. Two findings print the same line only when they have the same level, code,
 * object and message, and the analysis sorts findings by those (then by field): only the lines of the
 * current group of such findings are remembered, so a report of millions of findings is not held a second
 * time as lines. A line with a long message (one that lists thousands of objects) is remembered as its
 * head and the message, the finding's own string, rather than as one more string.
 */
class Distinct {
  private readonly lines = new Set<string>();
  private readonly long = new Map<string, Set<string>>();
  private last: Finding | undefined;

  /** Starts a new group when `f` cannot print a line of the previous finding's group. */
  group(f: Finding): void {
    const last = this.last;
    this.last = f;
    if (
      last === undefined ||
      (last.level === f.level &&
        last.code === f.code &&
        last.origin === f.origin &&
        last.message === f.message)
    )
      return;
    this.lines.clear();
    this.long.clear();
  }

  /** The line if it was not seen yet (it is now), else undefined. */
  line(line: string): string | undefined {
    const size = this.lines.size;
    return this.lines.add(line).size > size ? line : undefined;
  }

  /** `head + message` if it was not seen yet (it is now), else undefined. */
  longLine(head: string, message: string): string | undefined {
    let messages = this.long.get(head);
    if (!messages) this.long.set(head, (messages = new Set()));
    const size = messages.size;
    return messages.add(message).size > size ? head + message : undefined;
  }
}

/**
 * `[cluster-ID] ` of a finding's object in a multi-cluster analysis (istioctl's tag, which every report format
 * carries next to the object's name), '' otherwise.
 */
export function clusterTag(cluster: string | undefined): string {
  return cluster !== undefined ? `[cluster-${cluster}] ` : '';
}

/** Strings of the flat items of a list joined into one piece of the YAML report. */
const ITEM_PIECES = 1 << 16;

/** Elements of a long top-level list of the YAML report given to the yaml library at once. */
const YAML_BATCH = 512;

export type YamlOptions = DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions;

/**
 * analyze's report: no line folded, and a string with a line break, DEL or a C1 control printed as one
 * double-quoted line with escapes (`yamlSafeStrings`).
 */
const REPORT_YAML: YamlOptions = { lineWidth: 0, customTags: yamlSafeStrings };

/**
 * `-o yaml`: the report as the yaml library prints it with `options`, one top-level key at a time, so that
 * neither the text nor the library's document of a million findings is ever whole. With analyze's options,
 * the elements of a list that are flat records of plain strings and numbers (nearly every finding) are
 * written by `flatItem`, in pieces of many; the others are given to the library `batch` at a time (they
 * must not share objects, unless `aliasDuplicateObjects` is false: the library would alias them).
 */
export async function yamlChunks(
  report: object,
  batch = YAML_BATCH,
  options: YamlOptions = REPORT_YAML,
): Promise<Chunks> {
  const { stringify } = await import('yaml');
  const document = report as Record<string, unknown>;
  // the text `flatItem` writes is the library's with these options only
  const flat = options === REPORT_YAML;
  /** The library's items `from`…`to` of a list, without its `key:` line; halved if too long. */
  function* library(key: string, list: unknown[], from: number, to: number): Generator<string> {
    let text: string | undefined;
    try {
      text = stringify({ [key]: list.slice(from, to) }, options);
    } catch (err) {
      if (!(err instanceof RangeError) || to - from === 1) throw err;
    }
    if (text !== undefined) yield text.slice(text.indexOf('\n') + 1);
    else {
      const mid = from + Math.ceil((to - from) / 2);
      yield* library(key, list, from, mid);
      yield* library(key, list, mid, to);
    }
  }
  function* items(key: string, list: unknown[]): Generator<string> {
    const head = stringify({ [key]: [0] }, options);
    // joined once there are many: one flat string per piece, made of the items' strings as they are
    let texts = [head.slice(0, head.indexOf('\n') + 1)];
    for (let i = 0; i < list.length;) {
      if (flat && flatItem(list[i], texts)) {
        i++;
        if (texts.length >= ITEM_PIECES) {
          yield texts.join('');
          texts = [];
        }
        continue;
      }
      if (texts.length > 0) yield texts.join('');
      texts = [];
      let to = i + 1;
      while (to < list.length && to - i < batch && !(flat && flatItem(list[to], texts))) to++;
      texts.length = 0;
      yield* library(key, list, i, to);
      i = to;
    }
    if (texts.length > 0) yield texts.join('');
  }
  function* pieces(): Generator<string> {
    let any = false;
    for (const key of Object.keys(document)) {
      const value = document[key];
      if (value === undefined) continue;
      any = true;
      if (Array.isArray(value) && value.length > 0) yield* items(key, value);
      else yield stringify({ [key]: value }, options);
    }
    if (!any) yield stringify(document, options);
  }
  return pieces();
}

/**
 * The yaml library prints a string with a line break as lines of a block or folded scalar, and DEL and C1
 * controls as they are (in double quotes): YAML 1.2 forbids them unescaped, a YAML 1.1 reader takes NEL
 * (U+0085), U+2028 and U+2029 for line breaks, and a line of the report could start with the text of a value
 * (a forged `::error` workflow command in a CI log). Such strings are printed as one double-quoted line with
 * JSON's escapes (which YAML's double-quoted style shares) and `\u` escapes for those characters; every
 * other string as the library prints it.
 */
const YAML_UNSAFE = /[\n\r\u007f-\u009f\u2028\u2029]/;
const YAML_RAW = /[\u007f-\u009f\u2028\u2029]/g;

function yamlSafeStrings(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:str' || !tag.stringify) return tag;
    const original = tag as ScalarTag;
    const stringify: ScalarTag['stringify'] = (item, ctx, onComment, onChompKeep) =>
      typeof item.value === 'string' && YAML_UNSAFE.test(item.value)
        ? JSON.stringify(item.value).replace(YAML_RAW, (c) => `\\u${hex(c.charCodeAt(0), 4)}`)
        : original.stringify!(item, ctx, onComment, onChompKeep);
    return { ...original, stringify };
  });
}

/**
 * A workflow command's text: line breaks percent-encoded (the annotation keeps them), every other control
 * character written as an escape, as in the text report (the runner's log would act on an escape sequence).
 */
function escapeData(s: string): string {
  return escapeControlKeepLines(s).replace(/%/g, '%25').replace(/\n/g, '%0A');
}

/** A workflow command's property (file, title): one line, so every control character is an escape. */
function escapeProperty(s: string): string {
  return escapeControl(s).replace(/%/g, '%25').replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * GitHub Actions workflow commands: one `::error|warning|notice file=…,line=…::text` per distinct finding, in
 * pieces of many lines, with its final newline.
 */
export function* githubChunks(
  findings: readonly Finding[],
  problems: readonly LoadProblem[] = [],
): Generator<string> {
  const line = githubLiner();
  for (let at = 0; at < findings.length;) {
    const lines: string[] = [];
    at = gather(findings, at, line, lines);
    if (lines.length > 0) yield `${lines.join('\n')}\n`;
  }
  // Inputs that could not be read or parsed (stderr has them too): the annotation puts them on the file's
  // line in the pull request, where a broken manifest is otherwise only a failed step. Notes (a document
  // passed over) are not mistakes and get none.
  const annotated = problems.filter((p) => p.severity !== 'note');
  for (let at = 0; at < annotated.length; at += 1000)
    yield annotated
      .slice(at, at + 1000)
      .map((p) => {
        // stdin (`-`) is no file of the repository: the annotation goes on the run, with the line in its text
        const props = p.file === '-' ? [] : [`file=${escapeProperty(p.file)}`];
        if (p.line && p.file !== '-') props.push(`line=${p.line}`);
        if (p.column && p.file !== '-') props.push(`col=${p.column}`);
        props.push(`title=${problemName(p)}`);
        const where = p.file === '-' ? `-${p.line ? `:${p.line}` : ''}: ` : '';
        return `::${p.severity} ${props.join(',')}::${escapeData(where + p.message)}\n`;
      })
      .join('');
}

/** The workflow command of each finding whose command was not printed yet; undefined for the others. */
function githubLiner(): (f: Finding) => string | undefined {
  const seen = new Distinct();
  return (f) => {
    seen.group(f);
    const cmd = f.level === 'Error' ? 'error' : f.level === 'Warning' ? 'warning' : 'notice';
    const props: string[] = [];
    if (f.file && f.file !== '-') props.push(`file=${escapeProperty(f.file)}`);
    if (f.line) props.push(`line=${f.line}`);
    if (f.column) props.push(`col=${f.column}`);
    props.push(
      `title=${escapeProperty(`${f.code}${f.origin ? ` ${clusterTag(f.cluster)}${f.origin}` : ''}`)}`,
    );
    const head = `::${cmd} ${props.join(',')}::`;
    if (f.message.length < LONG_MESSAGE) return seen.line(head + escapeData(`[${f.code}] ${f.message}`));
    return seen.longLine(head + escapeData(`[${f.code}] `), escapeData(f.message));
  };
}

/** What an input problem is called in every CI format: a path that could not be read, or a parse error. */
export function problemName(p: LoadProblem): 'mesh.UnreadableInput' | 'mesh.ParseError' {
  return p.noInput ? 'mesh.UnreadableInput' : 'mesh.ParseError';
}
