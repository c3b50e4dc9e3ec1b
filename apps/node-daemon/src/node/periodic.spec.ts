import { Periodic, SerialQueue } from './periodic';

describe('Periodic', () => {
  it('runs again after the wait each run returns, and stops on Infinity', async () => {
    jest.useFakeTimers();
    try {
      const waits = [100, 200, Infinity];
      const step = jest.fn(async () => waits.shift() ?? Infinity);
      const loop = new Periodic(step, () => 0);
      loop.start(0);
      await jest.advanceTimersByTimeAsync(0);
      expect(step).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(100);
      expect(step).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(200);
      expect(step).toHaveBeenCalledTimes(3);
      await jest.advanceTimersByTimeAsync(10_000);
      expect(step).toHaveBeenCalledTimes(3);
      await loop.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('trigger() runs now, and a failing run waits what onError says', async () => {
    jest.useFakeTimers();
    try {
      const step = jest.fn(async () => {
        throw new Error('boom');
      });
      const loop = new Periodic(step, () => 50_000);
      loop.start(60_000);
      loop.trigger();
      await jest.advanceTimersByTimeAsync(0);
      expect(step).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(49_999);
      expect(step).toHaveBeenCalledTimes(1);
      await loop.stop();
      await jest.advanceTimersByTimeAsync(100_000);
      expect(step).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('SerialQueue', () => {
  it('never overlaps critical sections and keeps going after a failure', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const slow = queue.run(async () => {
      order.push('a-start');
      await new Promise((r) => setTimeout(r, 10));
      order.push('a-end');
    });
    const failing = queue.run(async () => {
      order.push('b');
      throw new Error('b failed');
    });
    const last = queue.run(async () => order.push('c'));
    await slow;
    await expect(failing).rejects.toThrow('b failed');
    await last;
    expect(order).toEqual(['a-start', 'a-end', 'b', 'c']);
  });
});
