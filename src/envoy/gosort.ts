/**
 * Go's `sort.Slice` (pattern-defeating quicksort, not stable), reproduced so that rows whose sort
 * keys tie come out in the same order as in istioctl. Up to 12 elements this is an insertion sort;
 * larger slices use median-of-three / Tukey-ninther pivots, partial insertion sort, equal-element
 * partitioning, an xorshift pattern breaker seeded with the slice length, and a heap-sort fallback.
 * Behaviour follows the Go 1.26 standard library that istioctl is built with.
 */

/** The slice and its comparator; `less(d, i, j)` and `swap(d, i, j)` work on indexes. */
interface Data {
  v: unknown[];
  lt: (a: any, b: any) => boolean;
}

const less = (d: Data, i: number, j: number) => d.lt(d.v[i], d.v[j]);
function swap(d: Data, i: number, j: number): void {
  const t = d.v[i];
  d.v[i] = d.v[j];
  d.v[j] = t;
}

const enum Hint {
  Unknown,
  Increasing,
  Decreasing,
}

const MASK64 = (1n << 64n) - 1n;

/** Sorts `items` in place with Go's sort.Slice semantics for the comparator `less(a, b)`. */
export function goSortSlice<T>(items: T[], lessThan: (a: T, b: T) => boolean): T[] {
  const n = items.length;
  pdqsort({ v: items, lt: lessThan }, 0, n, bitLength(n));
  return items;
}

/**
 * `goSortSlice(items, (a, b) => compare(a, b) < 0)`, faster on large slices, for a `compare` that is a
 * consistent three-way comparison (0 exactly for ties). Without ties the sorted order is unique, so the
 * engine's sort finds Go's order; when the sorted slice has a tie, pdqsort decides as Go does.
 */
export function goSortCompare<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  const lessThan = (a: T, b: T) => compare(a, b) < 0;
  const n = items.length;
  if (n <= 12) return goSortSlice(items, lessThan);
  const sorted = items.slice().sort(compare);
  for (let i = 1; i < n; i++)
    if (compare(sorted[i - 1]!, sorted[i]!) === 0) return goSortSlice(items, lessThan);
  for (let i = 0; i < n; i++) items[i] = sorted[i]!;
  return items;
}

/** Three-way comparison of two strings or two numbers with `<` (code unit order for strings). */
export function cmp<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bitLength(n: number): number {
  return n === 0 ? 0 : Math.floor(Math.log2(n)) + 1;
}

function insertionSort(d: Data, a: number, b: number): void {
  for (let i = a + 1; i < b; i++) {
    for (let j = i; j > a && less(d, j, j - 1); j--) swap(d, j, j - 1);
  }
}

function siftDown(d: Data, lo: number, hi: number, first: number): void {
  let root = lo;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= hi) return;
    if (child + 1 < hi && less(d, first + child, first + child + 1)) child++;
    if (!less(d, first + root, first + child)) return;
    swap(d, first + root, first + child);
    root = child;
  }
}

function heapSort(d: Data, a: number, b: number): void {
  const hi = b - a;
  for (let i = Math.floor((hi - 1) / 2); i >= 0; i--) siftDown(d, i, hi, a);
  for (let i = hi - 1; i >= 0; i--) {
    swap(d, a, a + i);
    siftDown(d, 0, i, a);
  }
}

function pdqsort(d: Data, a: number, b: number, limit: number): void {
  const maxInsertion = 12;
  let wasBalanced = true;
  let wasPartitioned = true;
  for (;;) {
    const length = b - a;
    if (length <= maxInsertion) {
      insertionSort(d, a, b);
      return;
    }
    if (limit === 0) {
      heapSort(d, a, b);
      return;
    }
    if (!wasBalanced) {
      breakPatterns(d, a, b);
      limit--;
    }
    let [pivot, hint] = choosePivot(d, a, b);
    if (hint === Hint.Decreasing) {
      reverseRange(d, a, b);
      pivot = b - 1 - (pivot - a);
      hint = Hint.Increasing;
    }
    if (wasBalanced && wasPartitioned && hint === Hint.Increasing && partialInsertionSort(d, a, b)) return;
    if (a > 0 && !less(d, a - 1, pivot)) {
      a = partitionEqual(d, a, b, pivot);
      continue;
    }
    const [mid, alreadyPartitioned] = partition(d, a, b, pivot);
    wasPartitioned = alreadyPartitioned;
    const leftLen = mid - a;
    const rightLen = b - mid;
    const balanceThreshold = Math.floor(length / 8);
    if (leftLen < rightLen) {
      wasBalanced = leftLen >= balanceThreshold;
      pdqsort(d, a, mid, limit);
      a = mid + 1;
    } else {
      wasBalanced = rightLen >= balanceThreshold;
      pdqsort(d, mid + 1, b, limit);
      b = mid;
    }
  }
}

function partition(d: Data, a: number, b: number, pivot: number): [number, boolean] {
  swap(d, a, pivot);
  let i = a + 1;
  let j = b - 1;
  while (i <= j && less(d, i, a)) i++;
  while (i <= j && !less(d, j, a)) j--;
  if (i > j) {
    swap(d, j, a);
    return [j, true];
  }
  swap(d, i, j);
  i++;
  j--;
  for (;;) {
    while (i <= j && less(d, i, a)) i++;
    while (i <= j && !less(d, j, a)) j--;
    if (i > j) break;
    swap(d, i, j);
    i++;
    j--;
  }
  swap(d, j, a);
  return [j, false];
}

function partitionEqual(d: Data, a: number, b: number, pivot: number): number {
  swap(d, a, pivot);
  let i = a + 1;
  let j = b - 1;
  for (;;) {
    while (i <= j && !less(d, a, i)) i++;
    while (i <= j && less(d, a, j)) j--;
    if (i > j) break;
    swap(d, i, j);
    i++;
    j--;
  }
  return i;
}

function partialInsertionSort(d: Data, a: number, b: number): boolean {
  const maxSteps = 5;
  const shortestShifting = 50;
  let i = a + 1;
  for (let step = 0; step < maxSteps; step++) {
    while (i < b && !less(d, i, i - 1)) i++;
    if (i === b) return true;
    if (b - a < shortestShifting) return false;
    swap(d, i, i - 1);
    // Go shifts down to index 1 (not a+1) here; kept as is for identical results.
    if (i - a >= 2) {
      for (let j = i - 1; j >= 1; j--) {
        if (!less(d, j, j - 1)) break;
        swap(d, j, j - 1);
      }
    }
    if (b - i >= 2) {
      for (let j = i + 1; j < b; j++) {
        if (!less(d, j, j - 1)) break;
        swap(d, j, j - 1);
      }
    }
  }
  return false;
}

function breakPatterns(d: Data, a: number, b: number): void {
  const length = b - a;
  if (length < 8) return;
  let random = BigInt(length);
  const modulus = BigInt(2 ** bitLength(length));
  const start = a + Math.floor(length / 4) * 2 - 1;
  for (let idx = start; idx <= start + 2; idx++) {
    random ^= (random << 13n) & MASK64;
    random ^= random >> 7n;
    random ^= (random << 17n) & MASK64;
    let other = Number(random & (modulus - 1n));
    if (other >= length) other -= length;
    swap(d, idx, a + other);
  }
}

function choosePivot(d: Data, a: number, b: number): [number, Hint] {
  const shortestNinther = 50;
  const maxSwaps = 4 * 3;
  const l = b - a;
  const swaps = { n: 0 };
  const q = Math.floor(l / 4);
  let i = a + q;
  let j = a + q * 2;
  let k = a + q * 3;
  if (l >= 8) {
    if (l >= shortestNinther) {
      i = median(d, i - 1, i, i + 1, swaps);
      j = median(d, j - 1, j, j + 1, swaps);
      k = median(d, k - 1, k, k + 1, swaps);
    }
    j = median(d, i, j, k, swaps);
  }
  if (swaps.n === 0) return [j, Hint.Increasing];
  if (swaps.n === maxSwaps) return [j, Hint.Decreasing];
  return [j, Hint.Unknown];
}

/** Index of the median of d[a], d[b], d[c], counting the swaps a sorting network would make. */
function median(d: Data, a: number, b: number, c: number, swaps: { n: number }): number {
  const order = (x: number, y: number): [number, number] => {
    if (less(d, y, x)) {
      swaps.n++;
      return [y, x];
    }
    return [x, y];
  };
  [a, b] = order(a, b);
  [b, c] = order(b, c);
  [a, b] = order(a, b);
  return b;
}

function reverseRange(d: Data, a: number, b: number): void {
  for (let i = a, j = b - 1; i < j; i++, j--) swap(d, i, j);
}
