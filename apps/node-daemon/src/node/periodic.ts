/**
 * Runs `step` again and again; each run returns how long to wait before the next one (`Infinity`
 * stops the loop). `trigger()` runs it now (or right after the current run). Runs never overlap.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly step: () => Promise<number>,
    private readonly onError: (error: unknown) => number,
  ) {}

  start(delayMs = 0): void {
    this.schedule(delayMs);
  }

  trigger(): void {
    if (this.stopped) return;
    if (this.current !== null) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  private schedule(ms: number): void {
    if (this.stopped || !Number.isFinite(ms)) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.current = this.run();
    }, Math.max(0, ms));
  }

  private async run(): Promise<void> {
    let next: number;
    try {
      next = await this.step();
    } catch (error) {
      next = this.onError(error);
    }
    this.current = null;
    if (this.again) {
      this.again = false;
      next = 0;
    }
    this.schedule(next);
  }
}

/** Runs async critical sections one at a time, in call order. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when everything queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
