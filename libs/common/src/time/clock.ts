import { Injectable } from '@nestjs/common';

/**
 * The time, injected so tests decide it: services read the time only through this, never through
 * `Date.now()` or `new Date()`.
 *
 * `sleep` belongs to the clock because a wait is time passing: a test clock moves its time
 * instead of waiting, so a deadline loop (`nowMs()`, then `sleep()`, until the deadline) runs at
 * once in a test and still sees its deadline pass. A sleeper apart from the clock would leave a
 * fake clock standing still while the code under test waits.
 */
@Injectable()
export class Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number {
    return Date.now();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
