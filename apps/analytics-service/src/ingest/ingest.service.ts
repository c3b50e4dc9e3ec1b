import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig } from '@phoenix/common';
import { dependencyFailure } from '@phoenix/database';
import type { AnalyticsConfig } from '../config';
import { IngestMetrics } from './ingest.metrics';
import { batchNonce } from './row-key';
import { parseEventBatch } from './telemetry-event';
import { TelemetryQueue } from './telemetry.queue';

/**
 * `POST /v1/events`: validate and normalise the whole batch, then queue it durably, and only then
 * say `202`. Nothing of a refused batch is queued. The request's peer address is never read here or
 * anywhere in this service (ARCHITECTURE.md invariant 6): nothing but the body reaches this class.
 */
@Injectable()
export class IngestService {
  constructor(
    @InjectConfig() private readonly config: AnalyticsConfig,
    private readonly clock: Clock,
    private readonly queue: TelemetryQueue,
    private readonly metrics: IngestMetrics,
  ) {}

  async accept(body: unknown): Promise<{ accepted: number }> {
    const batch = parseEventBatch(body, this.clock.nowMs());
    if (!batch.ok) {
      this.metrics.rejected.inc({ reason: 'invalid' });
      throw new AppError(ErrorCode.VALIDATION_FAILED, batch.message);
    }
    const retryAfter = { 'Retry-After': String(this.config.ANALYTICS_RETRY_AFTER_SEC) };
    let backlog: number | null;
    try {
      backlog = await this.queue.enqueue(batch.rows, batchNonce(), this.config.ANALYTICS_MAX_BACKLOG);
    } catch (e) {
      if (dependencyFailure(e) === undefined) throw e;
      this.metrics.rejected.inc({ reason: 'unavailable' });
      throw new AppError(ErrorCode.UNAVAILABLE, 'telemetry queue is unavailable; try again later', { headers: retryAfter, cause: e });
    }
    if (backlog === null) {
      this.metrics.rejected.inc({ reason: 'backlog_full' });
      throw new AppError(ErrorCode.UNAVAILABLE, 'telemetry backlog is full; try again later', { headers: retryAfter });
    }
    this.metrics.accepted.inc(batch.rows.length);
    return { accepted: batch.rows.length };
  }
}
