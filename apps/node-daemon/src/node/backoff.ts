/**
 * Jittered exponential backoff: attempt n waits a random time in [d/2, d] with
 * d = min(max, base · 2ⁿ) ("equal jitter"), so many nodes that lost config-service at the same
 * moment do not come back in lockstep, and no wait exceeds `maxMs`.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next retry; each call counts as one more failed attempt. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(ceiling / 2 + (ceiling / 2) * r);
  }

  /** After a success: the next failure starts from `baseMs` again. */
  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
