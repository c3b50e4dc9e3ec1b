import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY, ServiceMetrics } from '@phoenix/common';
import { Counter, Gauge } from 'prom-client';
import { TelemetryQueue } from './telemetry.queue';

export type RejectReason = 'invalid' | 'backlog_full' | 'unavailable';

/** Ingest's figures on `/metrics` (no label carries anything a client sent). */
@Injectable()
export class IngestMetrics {
  readonly accepted: Counter;
  readonly rejected: Counter<'reason'>;
  readonly inserted: Counter;
  readonly insertFailures: Counter;
  readonly dropped: Counter;
  readonly backlog: Gauge;

  constructor(@Inject(METRICS_REGISTRY) metrics: ServiceMetrics, queue: TelemetryQueue) {
    const registers = [metrics.registry];
    this.accepted = new Counter({ name: 'analytics_events_accepted_total', help: 'Events answered 202 (durably queued)', registers });
    this.rejected = new Counter({
      name: 'analytics_batches_rejected_total',
      help: 'Batches refused: invalid (400), backlog_full (503), unavailable (503, Redis down)',
      labelNames: ['reason'],
      registers,
    });
    this.inserted = new Counter({ name: 'analytics_events_inserted_total', help: 'Queued events inserted into ClickHouse and acknowledged', registers });
    this.insertFailures = new Counter({ name: 'analytics_insert_failures_total', help: 'Failed ClickHouse inserts (each retried)', registers });
    this.dropped = new Counter({ name: 'analytics_queue_entries_dropped_total', help: 'Queue entries that were not batches of this service (logged, never inserted)', registers });
    this.backlog = new Gauge({
      name: 'analytics_backlog_events',
      help: 'Events queued in Redis and not yet in ClickHouse (all replicas)',
      registers,
      async collect() {
        // Redis down: NaN (unknown), rather than a failed scrape.
        this.set(await queue.backlog().catch(() => NaN));
      },
    });
  }

}
