import { Logger } from '@nestjs/common';
import { OutageLog, isRedisClusterUrl, nestOutageSink, newRedisClient } from '@phoenix/common';
import { ConnectionOptions, isNotConnectionError } from 'bullmq';

const retryStrategy = (times: number) => Math.min(times * 200, 2000);

/**
 * BullMQ's connection from a `redis://user:password@host:port` URL: the jobs user, no ioredis
 * `keyPrefix` (BullMQ refuses it: its `prefix` option places the keys, and `JOBS_PREFIX` ends in a
 * hash tag so that every key of every queue shares one slot of a Redis Cluster), and a reconnect
 * backoff capped at 2 s like every other client of the services (BullMQ's own grows to 20 s).
 *
 * For a `redis+cluster://` URL it is an ioredis Cluster client (BullMQ makes only plain clients
 * of options): BullMQ shares a client it is given and never closes it, so whoever asked for it
 * closes it after its queues and workers ({@link closeBullConnection}).
 */
export function bullConnection(redisUrl: string): ConnectionOptions {
  // maxRetriesPerRequest null: a worker's commands wait out an outage (BullMQ refuses a shared client without it).
  if (isRedisClusterUrl(redisUrl)) return newRedisClient(redisUrl, { maxRetriesPerRequest: null, retryStrategy }) as ConnectionOptions;
  const u = new URL(redisUrl);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    retryStrategy,
  };
}

/** Closes a connection {@link bullConnection} made as a client (a cluster's); options need nothing. */
export async function closeBullConnection(connection: ConnectionOptions): Promise<void> {
  const client = connection as { quit?: () => Promise<unknown>; disconnect?: () => void };
  if (typeof client.quit !== 'function') return;
  await client.quit().catch(() => client.disconnect?.());
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

function isConnectionError(e: Error): boolean {
  return !isNotConnectionError(e) || CONNECTION_CODES.has(String((e as { code?: unknown }).code));
}

/** A BullMQ Queue or Worker: it re-emits its connections' errors; its backend emits `ready`. */
interface BullEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
  getBackend(): { on(event: 'ready', listener: () => void): unknown };
}

/**
 * Routes a BullMQ Queue's or Worker's errors to the service log: connection failures through an
 * {@link OutageLog} (one warning per outage, then one per 30 s, and the recovery — never a line per
 * reconnect, never BullMQ's raw `console.error` of an unheard error), anything else as an error.
 */
export class BullConnectionLog {
  private readonly outage: OutageLog;
  private readonly logger: Logger;

  constructor(readonly connection: string) {
    this.outage = new OutageLog(connection, nestOutageSink());
    this.logger = new Logger(connection);
  }

  /** Hears `emitter`'s errors (attach as soon as it exists: BullMQ prints errors nobody hears). */
  error(emitter: object, e: Error): void {
    if (isConnectionError(e)) this.outage.failure(emitter, e);
    else this.logger.error({ msg: 'BullMQ error', error: e.message });
  }

  watch(emitter: BullEmitter): void {
    emitter.on('error', (e) => this.error(emitter, e));
    this.watchReady(emitter);
  }

  /** The end of an outage: the emitter's backend is connected again. */
  watchReady(emitter: BullEmitter): void {
    emitter.getBackend().on('ready', () => this.outage.ready(emitter));
  }
}
