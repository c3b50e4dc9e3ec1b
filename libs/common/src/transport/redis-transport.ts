import { ClientProviderOptions, RedisOptions, Transport } from '@nestjs/microservices';

/** Server options for an app that listens on the Redis transport. */
export function redisTransportOptions(redisUrl: string): RedisOptions {
  const u = new URL(redisUrl);
  return {
    transport: Transport.REDIS,
    options: {
      host: u.hostname,
      port: Number(u.port || 6379),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      // Nest replaces ioredis' retryStrategy with its own, which gives up after the first
      // disconnect unless retryAttempts is set: reconnect (practically) forever, once a second, so
      // a Redis restart heals without restarting the service.
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryDelay: 1000,
    },
  };
}

/** Client options for `ClientsModule.register` / `ClientProxyFactory.create`. */
export function redisClientOptions(name: string | symbol, redisUrl: string): ClientProviderOptions {
  return { name, ...redisTransportOptions(redisUrl) } as ClientProviderOptions;
}
