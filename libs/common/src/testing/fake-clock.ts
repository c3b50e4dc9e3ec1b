import { Clock } from '../time/clock';

/**
 * A clock the test moves: `t` is its time (epoch ms), set or advanced by the test. Each read
 * advances it by `stepMs` (0: it stands still), for time that passes while the code under test
 * works; `sleep` advances it instead of waiting.
 */
export class FakeClock extends Clock {
  constructor(
    public t = Date.parse('2030-01-01T00:00:00.000Z'),
    private readonly stepMs = 0,
  ) {
    super();
  }

  override nowMs(): number {
    const t = this.t;
    this.t += this.stepMs;
    return t;
  }

  override async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}
