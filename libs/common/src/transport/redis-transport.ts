import type { Type } from '@nestjs/common';
import { ClientProviderOptions, ClientProxy, ClientRedis, CustomStrategy, RedisOptions, ServerRedis } from '@nestjs/microservices';
import type { RedisStatus } from '@nestjs/microservices';
import { OutageLog, nestOutageSink } from '../logging/outage-log';
import { newRedisClient } from '../redis/redis-client';
import { isRedisClusterUrl } from '../redis/redis-url';

type RedisTransportOptions = Required<RedisOptions>['options'];
type Listener = { on: (event: string, fn: (error: Error) => void) => void };

// A Redis Cluster's URL, carried in the transport's options to the two classes below. Nest's
// transport takes ioredis *options* only and makes each of its two clients (pub and sub) with
// `new Redis({...options, lazyConnect: true})` in `ServerRedis.createRedisClient()` /
// `ClientRedis.createClient()`: no option makes that an `ioredis.Cluster`, but both methods are
// public and overridable, and everything Nest then does with a client — connect(), quit(), on()
// for error/reconnecting/ready/end/message, subscribe(), psubscribe(), unsubscribe(), publish() —
// a Cluster does too. Pub/sub on Redis Cluster: a PUBLISH on any node reaches the subscribers of
// every node over the cluster bus, so a Cluster client's one subscriber connection, on whichever
// node it picked, hears every request and reply.
const CLUSTER_URL = 'phoenixRedisClusterUrl';

function clusterUrlOf(options: object | undefined): string | undefined {
  const url = (options as Record<string, unknown> | undefined)?.[CLUSTER_URL];
  return typeof url === 'string' ? url : undefined;
}

/** The transport's client for a cluster URL: an ioredis Cluster, reconnecting as Nest's clients do. */
function clusterClient(url: string, retryStrategy: unknown): ReturnType<typeof newRedisClient> {
  return newRedisClient(url, { retryStrategy: retryStrategy as (times: number) => number | undefined, lazyConnect: true });
}

/**
 * Nest's Redis transport server, logging Redis outages like every other client of the service
 * ({@link OutageLog}): Nest's own listeners log every failed reconnect of the pub and the sub
 * client as an `error`, and a `Reconnecting to Redis...` line per attempt besides — once a second
 * each, for as long as Redis is down.
 */
export class LoggedServerRedis extends ServerRedis {
  private readonly outage = new OutageLog('transport-server', nestOutageSink());

  override registerErrorListener(client: Listener): void {
    client.on('error', (error) => this.outage.failure(client, error));
  }

  // Nest's listener, without its line per attempt.
  override registerReconnectListener(client: Listener): void {
    client.on('reconnecting', () => {
      if (!this.isManuallyClosed) this._status$.next('reconnecting' as RedisStatus);
    });
  }

  override registerReadyListener(client: Listener): void {
    super.registerReadyListener(client);
    client.on('ready', () => this.outage.ready(client));
  }

  /** Nest's client, or an ioredis Cluster for a `redis+cluster://` URL. */
  override createRedisClient(): ReturnType<ServerRedis['createRedisClient']> {
    const url = clusterUrlOf(this.options);
    return url ? clusterClient(url, this.getClientOptions()?.retryStrategy) : super.createRedisClient();
  }
}

/** Nest's Redis transport client, its outages logged as {@link LoggedServerRedis}' are. */
export class LoggedClientRedis extends ClientRedis {
  private readonly outage = new OutageLog('transport-client', nestOutageSink());

  override registerErrorListener(client: Listener): void {
    client.on('error', (error) => this.outage.failure(client, error));
  }

  // Nest's listener, without its line per attempt.
  override registerReconnectListener(client: Listener): void {
    client.on('reconnecting', () => {
      if (this.isManuallyClosed) return;
      this.connectionPromise = Promise.reject(new Error('Connection lost. Trying to reconnect...'));
      this.connectionPromise.catch(() => undefined);
      this._status$.next('reconnecting' as RedisStatus);
    });
  }

  override registerReadyListener(client: Listener): void {
    super.registerReadyListener(client);
    client.on('ready', () => this.outage.ready(client));
  }

  /** Nest's client, or an ioredis Cluster for a `redis+cluster://` URL. */
  override createClient(): ReturnType<ClientRedis['createClient']> {
    const url = clusterUrlOf(this.options);
    return url ? clusterClient(url, this.getClientOptions()?.retryStrategy) : super.createClient();
  }
}

function transportOptions(redisUrl: string): RedisTransportOptions {
  // Nest replaces ioredis' retryStrategy with its own, which gives up after the first
  // disconnect unless retryAttempts is set: reconnect (practically) forever, once a second, so
  // a Redis restart heals without restarting the service.
  const retry = { retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 };
  if (isRedisClusterUrl(redisUrl)) return { ...retry, [CLUSTER_URL]: redisUrl } as RedisTransportOptions;
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...retry,
  };
}

/** Server options for an app that listens on the Redis transport (`Transport.REDIS`, outages logged by {@link LoggedServerRedis}); `redisUrl` may name a Redis Cluster. */
export function redisTransportOptions(redisUrl: string): CustomStrategy {
  return { strategy: new LoggedServerRedis(transportOptions(redisUrl)) };
}

/** Client options for `ClientsModule.register` / `ClientProxyFactory.create` (`Transport.REDIS`, outages logged by {@link LoggedClientRedis}). */
export function redisClientOptions(name: string | symbol, redisUrl: string): ClientProviderOptions {
  // Nest types `customClass` as a ClientProxy of string statuses; ClientRedis' are narrower.
  return { name, customClass: LoggedClientRedis as unknown as Type<ClientProxy>, options: transportOptions(redisUrl) };
}
