/**
 * Pairing the nodes of two IR lists: first by identity (a key such as the name), then, among what is left, by
 * weaker evidence (same position and type, same bit, same value) so a rename is seen as a rename and not as a
 * removal plus an addition.
 *
 * @module
 */

/** The outcome of matching two lists. */
export interface Matching<O, N> {
  /** Pairs in new-list order; `by` is the index of the rule that paired them (-1: the key). */
  pairs: { old: O; new: N; oldIndex: number; newIndex: number; by: number }[];
  removed: { old: O; oldIndex: number }[];
  added: { new: N; newIndex: number }[];
}

/**
 * A rule for pairing what the key left over. Returns false (no pair) or a score (higher is better; true is 1).
 * A pair is taken only when each side is the other's single best candidate, so ambiguous evidence pairs nothing.
 */
export type PairRule<O, N> = (o: O, n: N, oldIndex: number, newIndex: number) => boolean | number;

/**
 * Matches `olds` to `news`: equal keys pair in list order (duplicated keys pair first with first), then each
 * rule in turn pairs the rest where the evidence is unambiguous.
 */
export function matchLists<O, N>(
  olds: readonly O[],
  news: readonly N[],
  oldKey: (o: O) => string | undefined,
  newKey: (n: N) => string | undefined,
  rules: readonly PairRule<O, N>[] = [],
): Matching<O, N> {
  const byKey = new Map<string, number[]>();
  olds.forEach((o, i) => {
    const k = oldKey(o);
    if (k === undefined) return;
    const list = byKey.get(k);
    if (list) list.push(i);
    else byKey.set(k, [i]);
  });
  const oldPaired = new Array<boolean>(olds.length).fill(false);
  const newPartner = new Array<number>(news.length).fill(-1);
  const newBy = new Array<number>(news.length).fill(-1);
  news.forEach((n, j) => {
    const k = newKey(n);
    const list = k === undefined ? undefined : byKey.get(k);
    if (!list?.length) return;
    const i = list.shift()!;
    oldPaired[i] = true;
    newPartner[j] = i;
  });
  rules.forEach((rule, r) => {
    const restOld = olds.map((_, i) => i).filter((i) => !oldPaired[i]);
    const restNew = news.map((_, j) => j).filter((j) => newPartner[j] < 0);
    if (!restOld.length || !restNew.length) return;
    const scores = new Map<number, Map<number, number>>();
    for (const i of restOld) {
      for (const j of restNew) {
        const s = rule(olds[i]!, news[j]!, i, j);
        if (s === false || s === 0) continue;
        const score = s === true ? 1 : s;
        let row = scores.get(i);
        if (!row) scores.set(i, (row = new Map()));
        row.set(j, score);
      }
    }
    const bestOf = (entries: [number, number][]): number | undefined => {
      let best: number | undefined;
      let bestScore = -Infinity;
      let tie = false;
      for (const [k, s] of entries) {
        if (s > bestScore) [best, bestScore, tie] = [k, s, false];
        else if (s === bestScore) tie = true;
      }
      return tie ? undefined : best;
    };
    const columns = new Map<number, [number, number][]>();
    for (const [i, row] of scores) for (const [j, s] of row) (columns.get(j) ?? columns.set(j, []).get(j)!).push([i, s]);
    for (const [i, row] of scores) {
      const j = bestOf([...row]);
      if (j === undefined) continue;
      if (bestOf(columns.get(j)!) !== i) continue;
      oldPaired[i] = true;
      newPartner[j] = i;
      newBy[j] = r;
    }
  });
  const result: Matching<O, N> = { pairs: [], removed: [], added: [] };
  news.forEach((n, j) => {
    const i = newPartner[j]!;
    if (i >= 0) result.pairs.push({ old: olds[i]!, new: n, oldIndex: i, newIndex: j, by: newBy[j]! });
    else result.added.push({ new: n, newIndex: j });
  });
  olds.forEach((o, i) => {
    if (!oldPaired[i]) result.removed.push({ old: o, oldIndex: i });
  });
  return result;
}

/**
 * Indices (into `seq`) of a longest increasing subsequence of `seq`: the pairs that kept their relative order.
 * The others moved.
 */
export function longestIncreasing(seq: readonly number[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < seq[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const keep = new Set<number>();
  let k = tails.length ? tails[tails.length - 1]! : -1;
  while (k >= 0) {
    keep.add(k);
    k = prev[k]!;
  }
  return keep;
}

/** Words of a text, lower case, for similarity. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9_]+/g) ?? [];
}

/** Jaccard similarity of the word sets of two texts (1 when both are empty). */
export function similarity(a: string, b: string): number {
  const wa = new Set(words(a));
  const wb = new Set(words(b));
  if (!wa.size && !wb.size) return 1;
  let both = 0;
  for (const w of wa) if (wb.has(w)) both++;
  return both / (wa.size + wb.size - both);
}

/**
 * Whether a name is one an IR made up from line numbers for something the spec leaves unnamed (`anon_enum_<line>`,
 * `anon_<line>`, `anon:<file>:<line>` in IR JSON from before section stand-ins were built from titles,
 * `(anonymous struct)`): such names identify nothing across revisions and their changes are no renames.
 */
export function isSyntheticName(name: string): boolean {
  return /^anon(?:_enum)?_\d+$/.test(name) || /^anon:.*:\d+$/.test(name) || name.startsWith("(anonymous ");
}

/** A name as a matching key: undefined (match by the other rules only) when the IR made it up. */
export function nameKey(name: string): string | undefined {
  return isSyntheticName(name) ? undefined : name;
}
