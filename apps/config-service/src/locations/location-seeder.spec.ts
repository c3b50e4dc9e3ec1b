import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { LocationSeeder, SEED_CONNECT_POLLS } from './location-seeder';

describe('LocationSeeder', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => jest.useRealTimers());

  it('waits for a database that never connects for a bounded time, then stops: a start-up retry, not a loop', () => {
    jest.useFakeTimers();
    const seeder = new LocationSeeder({ isInitialized: false } as DataSource);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    seeder.onApplicationBootstrap();
    jest.advanceTimersByTime(SEED_CONNECT_POLLS * 500 - 1000);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(60 * 60_000);
    expect(jest.getTimerCount()).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('did not connect at start-up'));
  });
});
