import { Logger } from '@nestjs/common';
import { OutageLog, nestOutageSink } from '@phoenix/common';
import { ConnectionOptions, isNotConnectionError } from 'bullmq';

/**
 * BullMQ's connection options from a `redis://user:password@host:port` URL: the jobs user, no
 * ioredis `keyPrefix` (BullMQ refuses it: its `prefix` option places the keys), and a reconnect
 * backoff capped at 2 s like every other client of the services (BullMQ's own grows to 20 s).
 */
export function bullConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
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
