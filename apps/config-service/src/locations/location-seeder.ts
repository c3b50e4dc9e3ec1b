import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { applyLocationSeeds, defaultSeedDir, readLocationSeeds } from '../database/location-seed';

/** Start-up only: how long to wait for the database to connect (polls of 500 ms: 2 minutes). */
export const SEED_CONNECT_POLLS = 240;
/** Start-up only: how often a failed apply is tried (2, 4, 6, 8, 10 s apart). */
export const SEED_APPLY_ATTEMPTS = 6;

/**
 * Applies `infra/locations/locations.v<N>.json` once the database is connected (it connects in the
 * background). Each version is applied once ever; failures (e.g. migrations not yet run) are logged
 * and never block start-up or readiness.
 *
 * Its timers are a bounded start-up retry, not a schedule (STYLE "Time-driven work"): it waits at
 * most {@link SEED_CONNECT_POLLS} × 500 ms for the connection and tries {@link SEED_APPLY_ATTEMPTS}
 * times, then gives up with a warning; `npm run migrate:network` applies the seeds too.
 */
@Injectable()
export class LocationSeeder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LocationSeeder');
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly ds: DataSource) {}

  onApplicationBootstrap(): void {
    this.schedule(0, 0, 0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number, attempt: number, polls: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(attempt, polls), delayMs);
    this.timer.unref();
  }

  private async run(attempt: number, polls: number): Promise<void> {
    if (!this.ds.isInitialized) {
      if (polls + 1 < SEED_CONNECT_POLLS) this.schedule(500, attempt, polls + 1);
      else this.logger.warn('location seeds not applied: the database did not connect at start-up (npm run migrate:network applies them)');
      return;
    }
    const dir = defaultSeedDir();
    if (!dir) return;
    try {
      const applied = await applyLocationSeeds(this.ds, readLocationSeeds(dir));
      if (applied.length) this.logger.log(`applied location seeds v${applied.join(', v')}`);
    } catch (e) {
      if (attempt + 1 < SEED_APPLY_ATTEMPTS) this.schedule(2000 * (attempt + 1), attempt + 1, polls);
      this.logger.warn(`location seeds not applied: ${(e as Error).message}${attempt + 1 < SEED_APPLY_ATTEMPTS ? '' : ' (giving up; npm run migrate:network applies them)'}`);
    }
  }
}
