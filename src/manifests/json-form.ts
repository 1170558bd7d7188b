import {
  isCollection,
  isMap,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Scalar,
} from 'yaml';
import { plainScalarValue } from './yaml-schema.js';

/**
 * What of a YAML document has no JSON form. kubectl and istioctl turn YAML into JSON before they read it
 * (sigs.k8s.io/yaml), and refuse the document where that fails: a value that is infinity or NaN (`.inf`,
 * `.nan`; JSON has no such numbers), and a map key that is null (`~:`, `null:`, an empty key) or a
 * collection (`[a]: x`, `{{ .Values.x }}: y` — an unrendered template). A key that is a number or a
 * boolean is fine there: it becomes its string.
 */
export interface NotJson {
  /** Offset in the text of the node at fault. */
  offset: number;
  message: string;
}

/** A scalar's value as Go's reader has it: a plain, untagged one read by Go's rules, else the parser's. */
export function goValue(node: Scalar): unknown {
  return node.type === 'PLAIN' && !node.tag && typeof node.source === 'string'
    ? plainScalarValue(node.source)
    : node.value;
}

const REFUSED = 'kubectl and istioctl refuse the document';
/** Said of what looks like a Helm template's text. */
export const TEMPLATE_HINT = ' (an unrendered template? render it first: helm template … | mesh analyze -)';

/**
 * The first node of `doc` without a JSON form, or undefined. With the document's `text`, a collection key
 * written as `{{ … }}` is named an unrendered template.
 */
export function firstNotJson(doc: Document, text?: string): NotJson | undefined {
  let found: NotJson | undefined;
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (isCollection(key)) {
        const offset = key.range?.[0] ?? 0;
        const what = isMap(key) ? 'a mapping' : 'a list';
        const hint = text?.startsWith('{{', offset) ? TEMPLATE_HINT : '';
        found = { offset, message: `${what} used as a map key: ${REFUSED}${hint}` };
        return visit.BREAK;
      }
      if (isScalar(key) && goValue(key) === null) {
        const written = key.source ? `"${String(key.source)}"` : 'empty';
        found = {
          offset: key.range?.[0] ?? 0,
          message: `a null map key (${written}); Kubernetes objects take string keys only: ${REFUSED}`,
        };
        return visit.BREAK;
      }
      return undefined;
    },
    Scalar(where, node) {
      // a key that reads as infinity is the text `.inf` to Go, as any number key is its text
      if (where === 'key') return undefined;
      const v = goValue(node);
      if (typeof v !== 'number' || Number.isFinite(v)) return undefined;
      const what = Number.isNaN(v) ? 'NaN' : 'infinity';
      found = {
        offset: node.range?.[0] ?? 0,
        message: `${String(node.source)} is ${what}, which JSON cannot hold: ${REFUSED}`,
      };
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Text that may hold something without a JSON form (see firstNotJson): `.inf`/`.nan`, a key that may be
 * null (`~:`, `null:`, `: x`, `? `), or a key that may be a collection (`]:`, `}:`). Only such documents are
 * parsed again to look.
 */
const SUSPECT =
  /\.(?:inf|nan)\b|(?:^|[\s{,[-])(?:~|null)?\s*:(?:[\s]|$)|[\]}]\s*:(?:\s|$)|(?:^|\s)\?(?:\s|$)|!!null/im;

/** The first line and column (1-based) of YAML text without a JSON form, with the reason; else undefined. */
export function notJsonIn(text: string): { line: number; column: number; message: string } | undefined {
  if (!SUSPECT.test(text)) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, logLevel: 'silent', merge: true });
  // this parser refuses some text js-yaml (and Go's reader) takes: a template key after other keys
  const found = doc.errors.length > 0 ? templateKey(text) : firstNotJson(doc, text);
  if (!found) return undefined;
  const { line, col } = lineCounter.linePos(found.offset);
  return { line, column: col, message: found.message };
}

/** A `{{ … }}: value` line: a mapping used as a map key, as firstNotJson names it. */
function templateKey(text: string): NotJson | undefined {
  const m = /^[ ]*(?:- +)?(\{\{.*\}\}[ ]*:(?:[ ]|$))/m.exec(text);
  if (!m) return undefined;
  return {
    offset: m.index + m[0].length - m[1]!.length,
    message: `a mapping used as a map key: ${REFUSED}${TEMPLATE_HINT}`,
  };
}

/**
 * The first number in JSON text past float64's range (`1e400`, which JSON.parse reads as infinity): Go's
 * JSON reader, kubectl's, refuses the document. Undefined when there is none.
 */
export function hugeJsonNumber(text: string): NotJson | undefined {
  // only a three-digit exponent or 309 digits in a row can leave the range
  if (!/[eE]\+?\d{3}|\d{309}/.test(text)) return undefined;
  const token = /"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*/g;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    if (m[0].startsWith('"') || Number.isFinite(Number(m[0]))) continue;
    return { offset: m.index, message: `the number ${m[0]} is past the range of JSON's numbers: ${REFUSED}` };
  }
  return undefined;
}
