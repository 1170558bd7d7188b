/**
 * A URL as it is shown to users: a password in it reads `xxxxx` (as Go's `URL.Redacted`). Works on text
 * that is not a valid URL too, so usage errors about a bad URL never echo its password either.
 */
export function redactPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#@]+@/i, '$1xxxxx@');
}
