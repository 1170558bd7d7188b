/** Commander's parser for a repeatable flag: each value is added to the list of those before it. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const GO_BOOLS = new Map<string, boolean>([
  ...['1', 't', 'T', 'true', 'TRUE', 'True'].map((s): [string, boolean] => [s, true]),
  ...['0', 'f', 'F', 'false', 'FALSE', 'False'].map((s): [string, boolean] => [s, false]),
]);

/**
 * A boolean flag value as Go's strconv.ParseBool (and so istioctl's flags) reads it; undefined for any
 * other spelling.
 */
export function goBool(text: string): boolean | undefined {
  return GO_BOOLS.get(text);
}
