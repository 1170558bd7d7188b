/**
 * Text from inputs (names in a dump, a server's error body, a certificate's SAN) shown on a terminal or in
 * a log: control characters would act there (an escape sequence that clears the screen or retitles the
 * window, a carriage return that hides what came before, a line break that forges a table row or a CI
 * workflow command), so each is written as an escape instead.
 */

/**
 * Beyond C0 and C1: DEL, the Unicode line and paragraph separators, and the bidirectional formatting
 * characters (marks, embeddings, overrides, isolates), which reorder what a terminal shows: a name
 * holding U+202E is displayed as another name ("Trojan Source", CVE-2021-42574).
 */
const OTHER = '\\u007f-\\u009f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const set = (c0: string, flags = '') => new RegExp(`[${c0}${OTHER}]`, flags);

/** C0 controls (newline and tab included) and the characters above. */
export const CONTROL = set('\\u0000-\\u001f');
const CONTROLS = set('\\u0000-\\u001f', 'g');
export const CONTROL_BUT_NEWLINE = set('\\u0000-\\u0009\\u000b-\\u001f');
/** Controls but tab and newline: what a message of several (tab-indented) lines made by mesh keeps. */
const CONTROL_BUT_LAYOUT = set('\\u0000-\\u0008\\u000b-\\u001f');
const CONTROLS_BUT_LAYOUT = set('\\u0000-\\u0008\\u000b-\\u001f', 'g');
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escaped = (c: string) => {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
};

export const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/**
 * Each control character as an escape (`\n`, `\r`, `\t`, `\x1b`, `\x9b`, `\u2028`, `\u202e`), everything
 * else as it is. A string without any is returned as it is (the same string).
 */
export function escapeControl(s: string): string {
  return CONTROL.test(s) ? s.replace(CONTROLS, escaped) : s;
}

/**
 * escapeControl for text of several lines made by mesh (an error listing problems, `-v`'s tab-indented
 * lists): line breaks and tabs stay.
 */
export function escapeControlKeepLines(s: string): string {
  return CONTROL_BUT_LAYOUT.test(s) ? s.replace(CONTROLS_BUT_LAYOUT, escaped) : s;
}
