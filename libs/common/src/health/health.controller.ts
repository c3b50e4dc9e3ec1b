import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-codes';
import { READINESS_CHECKS, ReadinessCheck, runReadinessChecks } from './readiness';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Every dependency answers; `503 UNAVAILABLE` naming the ones that do not. */
  @Get('ready')
  async ready() {
    const checks = await runReadinessChecks(this.checks);
    const down = Object.entries(checks).filter(([, s]) => s === 'down').map(([n]) => n);
    if (down.length) {
      throw new AppError(ErrorCode.UNAVAILABLE, `not ready: ${down.join(', ')} unavailable`, { details: { checks } });
    }
    return { status: 'ok', checks };
  }
}
