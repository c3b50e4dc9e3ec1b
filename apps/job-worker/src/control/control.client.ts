import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { PingReply, Patterns } from '@phoenix/common';
import { firstValueFrom, timeout } from 'rxjs';

export const CONTROL_TRANSPORT = Symbol('CONTROL_TRANSPORT');

/**
 * Sends domain commands to the service that owns the data, over the Redis transport. job-worker
 * never touches another side's database: it asks the owner to do the work.
 */
@Injectable()
export class ControlClient implements OnApplicationShutdown {
  constructor(@Inject(CONTROL_TRANSPORT) private readonly client: ClientProxy) {}

  /** Round trip to whichever service answers `platform.ping` first. */
  ping(timeoutMs = 5000): Promise<PingReply> {
    return firstValueFrom(this.client.send<PingReply>(Patterns.PING, { from: 'job-worker' }).pipe(timeout(timeoutMs)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
