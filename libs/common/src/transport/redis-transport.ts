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
      // Reconnect forever with a capped delay: a Redis restart must heal without a process restart.
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
    },
  };
}

/** Client options for `ClientsModule.register` / `ClientProxyFactory.create`. */
export function redisClientOptions(name: string | symbol, redisUrl: string): ClientProviderOptions {
  return { name, ...redisTransportOptions(redisUrl) } as ClientProviderOptions;
}
