import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { Pattern, PingReply, Patterns, ScheduledCommand, type RedisClient, channelListeners } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import { TimeoutError, firstValueFrom, timeout } from 'rxjs';

export const CONTROL_TRANSPORT = Symbol('CONTROL_TRANSPORT');

/** A command that did not come back with a reply: why, in words an operator can act on. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

/** What an owner's error reply carries (`RpcException`, or Nest's default `{status, message}`). */
function describeOwnerError(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return typeof e === 'string' ? e : JSON.stringify(e);
}

/**
 * Sends domain commands to the service that owns the data, over the Redis transport. job-worker
 * never touches another side's database: it asks the owner to do the work.
 */
@Injectable()
export class ControlClient implements OnApplicationShutdown {
  constructor(
    @Inject(CONTROL_TRANSPORT) private readonly client: ClientProxy,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  /** Round trip to whichever service answers `platform.ping` first. */
  ping(timeoutMs = 5000): Promise<PingReply> {
    return firstValueFrom(this.client.send<PingReply>(Patterns.PING, { from: 'job-worker' }).pipe(timeout(timeoutMs)));
  }

  /**
   * Sends `command` and resolves with the first reply (every replica of the owner receives it).
   * A command nobody subscribes to fails at once rather than after the timeout: Redis pub/sub
   * drops a message without subscribers, so no reply could ever come.
   *
   * @throws CommandFailedError when no service listens on `command`, no reply comes within
   *   `timeoutMs`, or the owner answers with an error
   */
  async command<R = unknown>(command: Pattern, payload: ScheduledCommand, timeoutMs: number): Promise<R> {
    // On a Redis Cluster each node counts only its own subscribers: channelListeners adds them up.
    if ((await channelListeners(this.redis, command)) === 0) {
      throw new CommandFailedError(`no service listens on ${command}: its owner is down, or does not handle this command yet`);
    }
    try {
      return await firstValueFrom(this.client.send<R>(command, payload).pipe(timeout(timeoutMs)));
    } catch (e) {
      if (e instanceof TimeoutError) throw new CommandFailedError(`no reply to ${command} within ${timeoutMs} ms`);
      throw new CommandFailedError(`${command} failed at its owner: ${describeOwnerError(e)}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
