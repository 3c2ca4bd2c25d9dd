/** Ranks 1..n with ties given their average rank (scipy.stats.rankdata, method='average'). */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
  const ranks = new Array<number>(xs.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && xs[order[end + 1] as number] === xs[order[start] as number]) end++;
    const rank = (start + end) / 2 + 1;
    for (let j = start; j <= end; j++) ranks[order[j] as number] = rank;
    start = end + 1;
  }
  return ranks;
}
