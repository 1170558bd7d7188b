/** A YAML document cut out of a stream, with enough to map its lines back to the file. */
export interface DocChunk {
  text: string;
  /** 0-based line in the file where `text` starts. */
  lineOffset: number;
  /** 1-based line of the first line that is neither blank nor a `---` separator (comments count). */
  startLine: number;
  /** true when the chunk has nothing but blanks and comments. */
  empty: boolean;
}

const SEPARATOR = /^---(?:[ \t].*)?$/;
const DOC_END = /^\.\.\.[ \t]*$/;

/**
 * Splits a multi-document YAML stream on top-level `---` lines. Content after `---` on the same line
 * stays in the new document (the marker itself is blanked so columns do not move).
 */
export function splitDocuments(text: string): DocChunk[] {
  const chunks: DocChunk[] = [];
  let lineNo = 0;
  let start = 0; // line number of current chunk start
  let buf: string[] = [];
  let ended = false;
  const flush = () => {
    chunks.push(makeChunk(buf, start));
    buf = [];
  };
  let pos = 0;
  const len = text.length;
  while (pos <= len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let line = text.slice(pos, nl);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.charCodeAt(0) === 45 /* - */ && SEPARATOR.test(line)) {
      if (buf.length > 0 || lineNo > 0) flush();
      start = lineNo;
      ended = false;
      buf.push('   ' + line.slice(3));
    } else if (line.charCodeAt(0) === 46 /* . */ && DOC_END.test(line)) {
      ended = true;
      buf.push('');
    } else {
      buf.push(ended ? '' : line);
    }
    lineNo++;
    pos = nl + 1;
  }
  flush();
  return chunks;
}

function makeChunk(lines: string[], lineOffset: number): DocChunk {
  let startLine = lineOffset + 1;
  let empty = true;
  let foundStart = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const t = l.trim();
    if (t === '') continue;
    if (!foundStart) {
      startLine = lineOffset + i + 1;
      foundStart = true;
    }
    if (t[0] !== '#') {
      empty = false;
      break;
    }
  }
  return { text: lines.join('\n'), lineOffset, startLine, empty };
}
