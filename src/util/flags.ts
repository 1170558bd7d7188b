/** Commander's parser for a repeatable flag: each value is added to the list of those before it. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
