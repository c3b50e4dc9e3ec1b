import { Logger } from '@nestjs/common';
import { redactIps } from './redact';

/** Where an {@link OutageLog} writes its lines: structured fields, `msg` being the message. */
export interface OutageSink {
  warn(fields: Record<string, unknown>): void;
  info(fields: Record<string, unknown>): void;
}

export interface OutageLogOptions {
  /** Least time between two lines of one outage (default 30 s); failures in between are counted. */
  intervalMs?: number;
  /** Milliseconds since the epoch (tests inject a fake clock). */
  now?: () => number;
  /** What is out, as the lines name it (default `Redis`; e.g. `ClickHouse`). */
  dependency?: string;
}

/** What a reconnecting client emits (an ioredis client, say): `error` on every failed attempt, `ready` once usable. */
export interface ConnectionEvents {
  on(event: 'error' | 'ready', listener: (error: Error) => void): unknown;
}

interface Outage {
  since: number;
  lastLineAt: number;
  failures: number;
  unreported: number;
}

const DEFAULT_INTERVAL_MS = 30_000;

/** The message of a connection error, without any address in it (an ioredis error names `host:port`). */
function errorFields(error: unknown): { error: string; code?: string } {
  const e = error as { message?: unknown; code?: unknown; name?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : (code ?? (typeof e?.name === 'string' ? e.name : String(error)));
  return { error: redactIps(message), ...(code ? { code } : {}) };
}

/**
 * The log of one connection's outages. A client that reconnects emits an error on every attempt
 * (ioredis: several a second, for as long as Redis is down); logged one by one they flood the
 * log and, printed raw by ioredis when nobody listens, bypass the redacting logger. Here an
 * outage is one `warn` line when it starts, then at most one line per `intervalMs` carrying the
 * count of failures since the previous line, and one `info` line when every member is ready again.
 *
 * A connection may have several members (a pub and a sub client): the outage starts with the
 * first member that fails and ends when none of those that failed is still down.
 */
export class OutageLog {
  private readonly down = new Set<object>();
  private outage: Outage | null = null;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly dependency: string;

  constructor(
    readonly connection: string,
    private readonly sink: OutageSink,
    options: OutageLogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.dependency = options.dependency ?? 'Redis';
  }

  /** True between the first failure and the recovery. */
  get failing(): boolean {
    return this.outage !== null;
  }

  /** A failed attempt (or a lost connection) of `member`. */
  failure(member: object, error: unknown): void {
    this.down.add(member);
    const now = this.now();
    const o = this.outage;
    if (o === null) {
      this.outage = { since: now, lastLineAt: now, failures: 1, unreported: 0 };
      this.sink.warn({ msg: `${this.dependency} unavailable`, connection: this.connection, ...errorFields(error) });
      return;
    }
    o.failures += 1;
    o.unreported += 1;
    if (now - o.lastLineAt < this.intervalMs) return;
    this.sink.warn({
      msg: `${this.dependency} still unavailable`,
      connection: this.connection,
      ...errorFields(error),
      failures: o.unreported,
      downForSec: Math.round((now - o.since) / 1000),
    });
    o.lastLineAt = now;
    o.unreported = 0;
  }

  /** `member` is connected and usable again. */
  ready(member: object): void {
    this.down.delete(member);
    const o = this.outage;
    if (o === null || this.down.size > 0) return;
    this.outage = null;
    this.sink.info({ msg: `${this.dependency} available again`, connection: this.connection, failures: o.failures, downForSec: Math.round((this.now() - o.since) / 1000) });
  }

  /** Listens to `client`'s `error` and `ready` events; being a listener, it also keeps ioredis from printing errors raw. */
  watch(client: ConnectionEvents): this {
    client.on('error', (error) => this.failure(client, error));
    client.on('ready', () => this.ready(client));
    return this;
  }
}

/** An {@link OutageSink} on Nest's logger, i.e. the service's `ServiceLogger` once the app uses it. */
export function nestOutageSink(context = 'Redis'): OutageSink {
  const logger = new Logger(context);
  return {
    warn: (fields) => logger.warn(fields),
    info: (fields) => logger.log(fields),
  };
}

/**
 * Logs the connection errors of a Redis client through the service's logger, rate-limited: the
 * one way every Redis client of a service reports an outage.
 *
 * @example
 * const redis = logRedisErrors(new Redis(url), 'peer-events');
 */
export function logRedisErrors<C extends ConnectionEvents>(client: C, connection: string, options?: OutageLogOptions): C {
  new OutageLog(connection, nestOutageSink(), options).watch(client);
  return client;
}
