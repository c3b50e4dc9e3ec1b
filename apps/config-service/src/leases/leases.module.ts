import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { LeaseMaintenanceService } from './lease-maintenance.service';
import { LeaseReleaseController } from './lease-release.controller';
import { LeaseReleaseService } from './lease-release.service';
import { LeasesController } from './leases.controller';
import { LeasesRepository } from './leases.repository';

@Module({
  imports: [FleetModule],
  controllers: [LeasesController, LeaseReleaseController],
  providers: [LeasesRepository, LeaseMaintenanceService, LeaseReleaseService],
  exports: [LeasesRepository, LeaseMaintenanceService],
})
export class LeasesModule {}
