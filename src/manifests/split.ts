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

// A top-level document marker: `---` alone or followed by blanks/content, or `...` (document end).
const MARKER = /^(?:---(?=[ \t\r\n]|$)|\.\.\.(?=[ \t]*\r?$))/gm;

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Splits a multi-document YAML stream on top-level `---` lines without copying it line by line. Content
 * after `---` on the same line stays in the new document (the marker is blanked so columns do not move);
 * text after a `...` end marker up to the next `---` is ignored.
 */
export function splitDocuments(text: string): DocChunk[] {
  const chunks: DocChunk[] = [];
  let start = 0;
  let startLineNo = 0;
  let skipFrom = -1; // offset of a `...` marker inside the current chunk
  MARKER.lastIndex = 0;
  let m: RegExpExecArray | null;
  const push = (end: number) => {
    const stop = skipFrom >= 0 ? skipFrom : end;
    if (!text.startsWith('---', start) || start + 3 > stop) {
      chunks.push(makeChunk(text.slice(start, stop), startLineNo));
      return;
    }
    // A `---` line with nothing after the marker (the usual case): the document starts on the next
    // line, and its text stays a slice of the file's (no copy).
    let j = start + 3;
    while (j < stop && (text[j] === ' ' || text[j] === '\t' || text[j] === '\r')) j++;
    if (j < stop && text[j] === '\n') chunks.push(makeChunk(text.slice(j + 1, stop), startLineNo + 1));
    else chunks.push(makeChunk('   ' + text.slice(start + 3, stop), startLineNo));
  };
  while ((m = MARKER.exec(text)) !== null) {
    if (m[0] === '...') {
      if (skipFrom < 0) skipFrom = m.index;
      continue;
    }
    if (m.index > 0 || skipFrom >= 0) {
      push(m.index);
    }
    startLineNo += countNewlines(text, start, m.index);
    start = m.index;
    skipFrom = -1;
  }
  push(text.length);
  return chunks;
}

function makeChunk(text: string, lineOffset: number): DocChunk {
  let i = 0;
  let line = lineOffset + 1;
  const n = text.length;
  while (i < n) {
    // skip blanks on this line
    let j = i;
    while (j < n && (text[j] === ' ' || text[j] === '\t' || text[j] === '\r')) j++;
    if (j < n && text[j] !== '\n') {
      // first non-blank line: comment lines count as the start; the document is empty only if every
      // non-blank line is a comment
      return { text, lineOffset, startLine: line, empty: text[j] === '#' && onlyComments(text, j) };
    }
    i = j + 1;
    line++;
  }
  return { text, lineOffset, startLine: lineOffset + 1, empty: true };
}

function onlyComments(text: string, from: number): boolean {
  return !/^[ \t]*[^#\s]/m.test(text.slice(from));
}
