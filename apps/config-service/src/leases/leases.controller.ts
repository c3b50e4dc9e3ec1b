import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Patterns } from '@phoenix/common';
import { ExpiryResult, LeaseMaintenanceService, ReapResult } from './lease-maintenance.service';

/**
 * Commands from job-worker's schedules over the Redis transport (every replica receives each one;
 * the payload is a `ScheduledCommand`, which these state-based handlers need not read: a repeated
 * run finds nothing left to do).
 */
@Controller()
export class LeasesController {
  constructor(private readonly maintenance: LeaseMaintenanceService) {}

  @MessagePattern(Patterns.LEASES_EXPIRE)
  expire(): Promise<ExpiryResult> {
    return this.maintenance.expireLeases();
  }

  @MessagePattern(Patterns.NODES_REAP)
  reap(): Promise<ReapResult> {
    return this.maintenance.reapNodes();
  }
}
