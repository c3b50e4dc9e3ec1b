import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Patterns, PingReply } from './patterns';

export const SERVICE_NAME = Symbol('SERVICE_NAME');

/** Answers `platform.ping` on the Redis transport: proof that a service's transport is wired. */
@Controller()
export class PingController {
  constructor(@Inject(SERVICE_NAME) private readonly service: string) {}

  @MessagePattern(Patterns.PING)
  ping(): PingReply {
    return { service: this.service, at: new Date().toISOString() };
  }
}
