import { randomBytes } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock, InjectConfig, OutageLog, nestOutageSink, type RedisClient } from '@phoenix/common';
import { createRedis, dependencyFailure } from '@phoenix/database';
import type { AnalyticsConfig } from '../config';
import { IngestMetrics } from './ingest.metrics';
import { keyedRows } from './row-key';
import { TelemetryRepository } from './telemetry.repository';
import { MalformedEntry, QueuedBatch, ReadResult, TelemetryQueue } from './telemetry.queue';

/**
 * Stream entries (batches of 1–500 events) asked for per read: with batches of 500, one read holds
 * about one insert's worth at the default batch size, so inserts stay near that size.
 */
const READ_COUNT = 20;
const CLAIM_COUNT = 100;
const REDIS_RETRY_MS = 1000;
const INSERT_RETRY_FIRST_MS = 500;
const INSERT_RETRY_MAX_MS = 5000;
const ACK_ATTEMPTS = 5;
/** A consumer that held nothing for this long is a replica gone for good (its name is forgotten). */
const PRUNE_IDLE_MS = 60 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;
const ERROR_LOG_INTERVAL_MS = 30_000;
const SHUTDOWN_WAIT_MS = 12_000;

/**
 * Moves queued telemetry from the Redis Stream into ClickHouse, in every replica (each one consumer
 * of the one group). It holds what it reads until `ANALYTICS_INSERT_BATCH_ROWS` rows or until the
 * oldest waited `ANALYTICS_INSERT_INTERVAL_MS`, whichever comes first, then inserts them in one
 * INSERT — up to `ANALYTICS_INSERT_CONCURRENCY` such inserts at once, reading on meanwhile — and
 * after each insert acknowledges and deletes its entries from the stream. A failed insert
 * (ClickHouse down) is retried with backoff for as long as it takes; once every insert slot is
 * retrying, nothing more is read: the stream is the buffer, bounded by the backlog limit of
 * `POST /v1/events`. A replica that dies leaves its batches pending; another consumer (or its
 * successor) takes them over after `ANALYTICS_CLAIM_IDLE_MS` (XAUTOCLAIM). A batch may so be
 * inserted twice — after a crash between insert and acknowledge, or a takeover — and lands with the
 * same `row_key`s both times, which readers collapse with FINAL.
 *
 * This is a consumer, not a schedule: it runs while the service runs, like the notifications
 * worker of auth-service.
 */
@Injectable()
export class TelemetryInserter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TelemetryInserter');
  private readonly outage = new OutageLog('telemetry-inserter', nestOutageSink('ClickHouse'), { dependency: 'ClickHouse' });
  /** This process's consumer name: random, so a restarted replica never mistakes a dead one's batches for its own. */
  readonly consumer = `inserter-${randomBytes(6).toString('hex')}`;
  private redis?: RedisClient;
  private loop?: Promise<void>;
  private stopping = false;
  private readonly wakers = new Set<() => void>();
  private held: QueuedBatch[] = [];
  private heldRows = 0;
  private heldSince = 0;
  /** Inserts under way, and the entries they hold (never taken over by this consumer meanwhile). */
  private readonly flushing = new Set<Promise<void>>();
  private readonly inFlight = new Set<string>();
  private lastErrorLogAt = Number.NEGATIVE_INFINITY;

  constructor(
    @InjectConfig() private readonly config: AnalyticsConfig,
    private readonly clock: Clock,
    /** On the service's shared client: every command but the blocking read. */
    private readonly queue: TelemetryQueue,
    private readonly repository: TelemetryRepository,
    private readonly metrics: IngestMetrics,
  ) {}

  onApplicationBootstrap(): void {
    // The blocking read on a connection of its own: it holds its connection for up to a second,
    // and the request path's and the acknowledgements' commands must not wait behind it.
    this.redis = createRedis(this.config.REDIS_URL, 'analytics-service-inserter');
    this.loop = this.run(new TelemetryQueue(this.redis, this.config.REDIS_KEY_PREFIX));
  }

  /** Stops reading, lets inserts in flight finish (bounded), and closes the connection. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakers) wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((r) => (timer = setTimeout(r, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timer);
    this.redis?.disconnect();
  }

  private async run(reader: TelemetryQueue): Promise<void> {
    const { ANALYTICS_INSERT_BATCH_ROWS: batchRows, ANALYTICS_INSERT_INTERVAL_MS: interval, ANALYTICS_CLAIM_IDLE_MS: claimIdle, ANALYTICS_INSERT_CONCURRENCY: concurrency } = this.config;
    let groupReady = false;
    let claimCursor = '0-0';
    let nextClaimAt = 0;
    let nextPruneAt = 0;
    while (!this.stopping) {
      try {
        if (!groupReady) {
          await this.queue.ensureGroup();
          groupReady = true;
        }
        let now = this.clock.nowMs();
        // Take over what dead consumers left, whenever nothing is held.
        if (this.held.length === 0 && now >= nextClaimAt) {
          const claimed = await this.queue.claim(this.consumer, claimIdle, claimCursor, CLAIM_COUNT);
          claimCursor = claimed.cursor;
          if (claimCursor === '0-0') nextClaimAt = now + claimIdle / 2;
          // Our own entries, idle because their insert is slow, are already being inserted.
          await this.take({ batches: claimed.batches.filter((b) => !this.inFlight.has(b.id)), malformed: claimed.malformed });
          if (now >= nextPruneAt) {
            nextPruneAt = now + PRUNE_EVERY_MS;
            await this.queue.pruneConsumers(this.consumer, PRUNE_IDLE_MS);
          }
        }
        now = this.clock.nowMs();
        if (this.held.length > 0 && (this.heldRows >= batchRows || now >= this.heldSince + interval)) {
          if (this.flushing.size >= concurrency) await Promise.race(this.flushing);
          else this.dispatch();
          continue;
        }
        const wait = this.held.length === 0 ? interval : this.heldSince + interval - now;
        await this.take(await reader.read(this.consumer, READ_COUNT, Math.max(1, wait)));
      } catch (e) {
        if (String((e as Error).message).startsWith('NOGROUP')) groupReady = false;
        this.reportRedisError(e);
        await this.pause(REDIS_RETRY_MS);
      }
    }
    await Promise.all(this.flushing);
    // Shutting down: one last insert of what is held, unless ClickHouse is known to be down (it
    // stays pending then, for a takeover).
    if (this.held.length > 0 && !this.outage.failing) {
      this.dispatch();
      await Promise.all(this.flushing);
    }
  }

  private async take(read: ReadResult): Promise<void> {
    if (read.malformed.length > 0) await this.drop(read.malformed);
    if (read.batches.length === 0) return;
    if (this.held.length === 0) this.heldSince = this.clock.nowMs();
    for (const b of read.batches) {
      this.held.push(b);
      this.heldRows += b.rows.length;
    }
  }

  /** Entries only another writer could have put there: never insertable, so acknowledged, counted and logged. */
  private async drop(entries: MalformedEntry[]): Promise<void> {
    await this.queue.ack(entries);
    this.metrics.dropped.inc(entries.length);
    this.logger.error(`dropped ${entries.length} queue entr${entries.length === 1 ? 'y' : 'ies'} that are not telemetry batches of this service (${entries.reduce((n, e) => n + e.events, 0)} events claimed)`);
  }

  /** Starts inserting everything held, in the background. */
  private dispatch(): void {
    const batches = this.held;
    this.held = [];
    this.heldRows = 0;
    for (const b of batches) this.inFlight.add(b.id);
    const flush: Promise<void> = this.flush(batches)
      .catch((e: unknown) => this.reportRedisError(e))
      .finally(() => {
        for (const b of batches) this.inFlight.delete(b.id);
        this.flushing.delete(flush);
      });
    this.flushing.add(flush);
  }

  /** Inserts `batches` (retrying until ClickHouse takes them or the service stops), then acknowledges them. */
  private async flush(batches: QueuedBatch[]): Promise<void> {
    const lines = batches.flatMap(keyedRows);
    let delay = INSERT_RETRY_FIRST_MS;
    for (;;) {
      try {
        await this.repository.insert(lines);
        break;
      } catch (e) {
        this.metrics.insertFailures.inc();
        this.outage.failure(this, e);
        if (this.stopping) return;
        await this.pause(delay);
        delay = Math.min(delay * 2, INSERT_RETRY_MAX_MS);
        // Still ours: keep other consumers from taking these batches over while we retry.
        await this.queue.touch(this.consumer, batches.map((b) => b.id)).catch(() => undefined);
        if (this.stopping) return;
      }
    }
    this.outage.ready(this);
    this.metrics.inserted.inc(lines.length);
    const entries = batches.map((b) => ({ id: b.id, events: b.rows.length }));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.queue.ack(entries);
        return;
      } catch (e) {
        // Not acknowledged, they stay pending and are taken over and inserted again later, with
        // the same row keys: harmless. So a Redis outage here never holds an insert slot for long.
        if (attempt >= ACK_ATTEMPTS || this.stopping) throw e;
        await this.pause(REDIS_RETRY_MS);
      }
    }
  }

  /**
   * A Redis outage is logged by the connection itself (rate-limited, `analytics-service-inserter`);
   * anything else (a refused command, a bug) as an error, at most once per 30 s.
   */
  private reportRedisError(e: unknown): void {
    if (dependencyFailure(e) !== undefined) {
      this.logger.debug(`queue read failed: ${(e as Error).message}`);
      return;
    }
    const now = this.clock.nowMs();
    if (now - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLogAt = now;
    this.logger.error(`telemetry queue: ${(e as Error).message}`);
  }

  /** Waits `ms`, or less when the service stops. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}
