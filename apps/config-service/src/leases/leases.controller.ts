import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Patterns } from '@phoenix/common';
import { LeaseMaintenanceService, MaintenanceResult } from './lease-maintenance.service';

/** Commands from job-worker over the Redis transport (every replica receives each one). */
@Controller()
export class LeasesController {
  constructor(private readonly maintenance: LeaseMaintenanceService) {}

  @MessagePattern(Patterns.LEASES_EXPIRE)
  expire(): Promise<MaintenanceResult> {
    return this.maintenance.expireLeases();
  }

  @MessagePattern(Patterns.NODES_REAP)
  reap(): Promise<MaintenanceResult> {
    return this.maintenance.reapNodes();
  }
}
