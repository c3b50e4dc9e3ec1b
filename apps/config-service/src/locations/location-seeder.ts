import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { applyLocationSeeds, defaultSeedDir, readLocationSeeds } from '../database/location-seed';

/**
 * Applies `infra/locations/locations.v<N>.json` once the database is connected (it connects in the
 * background). Each version is applied once ever; failures (e.g. migrations not yet run) are logged
 * and never block start-up or readiness.
 */
@Injectable()
export class LocationSeeder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LocationSeeder');
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly ds: DataSource) {}

  onApplicationBootstrap(): void {
    this.schedule(0, 0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number, attempt: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(attempt), delayMs);
    this.timer.unref();
  }

  private async run(attempt: number): Promise<void> {
    if (!this.ds.isInitialized) {
      this.schedule(500, attempt);
      return;
    }
    const dir = defaultSeedDir();
    if (!dir) return;
    try {
      const applied = await applyLocationSeeds(this.ds, readLocationSeeds(dir));
      if (applied.length) this.logger.log(`applied location seeds v${applied.join(', v')}`);
    } catch (e) {
      if (attempt < 5) this.schedule(2000 * (attempt + 1), attempt + 1);
      this.logger.warn(`location seeds not applied: ${(e as Error).message}`);
    }
  }
}
