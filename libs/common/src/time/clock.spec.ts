import { FakeClock } from '../testing/fake-clock';
import { Clock } from './clock';

describe('Clock', () => {
  it('reads the system time as a Date and as milliseconds', () => {
    const before = Date.now();
    const clock = new Clock();
    const ms = clock.nowMs();
    const date = clock.now();
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(date.getTime()).toBeGreaterThanOrEqual(ms);
  });
});

describe('FakeClock', () => {
  it('stands where the test sets it, and sleeping moves it instead of waiting', async () => {
    const clock = new FakeClock(1_000);
    expect(clock.nowMs()).toBe(1_000);
    expect(clock.now()).toEqual(new Date(1_000));
    await clock.sleep(250);
    expect(clock.nowMs()).toBe(1_250);
    clock.t += 50;
    expect(clock.now().getTime()).toBe(1_300);
  });

  it('moves on by its step at every read, whichever way it is read', () => {
    const clock = new FakeClock(0, 20);
    expect(clock.nowMs()).toBe(0);
    expect(clock.now().getTime()).toBe(20);
    expect(clock.t).toBe(40);
  });
});
