import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Patterns } from '@phoenix/common';
import { RetentionResult, RetentionService } from './retention.service';

/**
 * `analytics.retention` from job-worker's schedule over the Redis transport (every replica receives
 * it; the payload is a `ScheduledCommand`, which this state-based handler need not read).
 */
@Controller()
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @MessagePattern(Patterns.ANALYTICS_RETENTION)
  enforce(): Promise<RetentionResult> {
    return this.retention.enforce();
  }
}
