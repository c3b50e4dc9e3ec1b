import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '@phoenix/common';
import { isDependencyFailure } from '@phoenix/database';
import type { AuthConfig } from '../config';
import { IssuerKeyStore } from './issuer-keys.store';

/**
 * Makes sure the current and next issuer keys exist: on start, then every
 * `ISSUER_KEY_CHECK_INTERVAL_SECONDS`; while the database is not there yet, again in 2 s.
 * Scheduled work belongs in job-worker (STYLE.md "Time-driven work"): this timer is kept apart
 * from the key store so it can go once job-worker sends the schedule command.
 */
@Injectable()
export class IssuerKeyScheduleTimer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('IssuerKeys');
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly keys: IssuerKeyStore,
    @InjectConfig() config: AuthConfig,
  ) {
    this.intervalMs = config.ISSUER_KEY_CHECK_INTERVAL_SECONDS * 1000;
  }

  onApplicationBootstrap(): void {
    this.scheduleTick(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private scheduleTick(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.keys.ensureSchedule();
      this.scheduleTick(this.intervalMs);
    } catch (e) {
      // The database connects in the background: retry soon until it is there.
      if (!isDependencyFailure(e)) this.logger.error(`key schedule check failed: ${(e as Error).message}`);
      this.scheduleTick(2000);
    }
  }
}
