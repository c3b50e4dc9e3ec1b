import { median } from './stats';

export interface Spread {
  /** Nodes the burst could go to. */
  nodes: number;
  assignments: number;
  mean: number;
  max: number;
  /** max / mean: 1 is a perfectly even spread. */
  ratio: number;
  /** Nodes that got none. */
  idle: number;
}

/** How evenly `counts` (assignments per node that got any) spread over `nodes` nodes. */
export function spreadOf(counts: Iterable<number>, nodes: number): Spread {
  let assignments = 0;
  let max = 0;
  let busy = 0;
  for (const c of counts) {
    assignments += c;
    max = Math.max(max, c);
    if (c > 0) busy++;
  }
  if (nodes < busy) throw new Error(`spreadOf: ${busy} nodes got assignments but only ${nodes} were counted`);
  const mean = nodes > 0 ? assignments / nodes : 0;
  return { nodes, assignments, mean, max, ratio: mean > 0 ? max / mean : Number.NaN, idle: nodes - busy };
}

/**
 * max/mean of `balls` into `bins` by the best of `choices` bins drawn at random (1: pure random;
 * 2: "power of two choices" with exact, instantly shared loads), the median of `trials` runs.
 * The reference a measured burst is compared with in the same run.
 */
export function simulatedSpread(bins: number, balls: number, choices: 1 | 2, trials = 15, random: () => number = Math.random): number {
  if (bins < 1 || balls < 1) return Number.NaN;
  const ratios: number[] = [];
  const load = new Uint32Array(bins);
  for (let t = 0; t < trials; t++) {
    load.fill(0);
    let max = 0;
    for (let b = 0; b < balls; b++) {
      let pick = Math.floor(random() * bins);
      if (choices === 2 && bins > 1) {
        let other = Math.floor(random() * (bins - 1));
        if (other >= pick) other++;
        if ((load[other] as number) < (load[pick] as number)) pick = other;
      }
      const v = (load[pick] as number) + 1;
      load[pick] = v;
      if (v > max) max = v;
    }
    ratios.push(max / (balls / bins));
  }
  return median(ratios);
}
