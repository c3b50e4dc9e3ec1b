import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { LeaseMaintenanceService } from './lease-maintenance.service';
import { LeasesController } from './leases.controller';
import { LeasesRepository } from './leases.repository';

@Module({
  imports: [FleetModule],
  controllers: [LeasesController],
  providers: [LeasesRepository, LeaseMaintenanceService],
  exports: [LeasesRepository, LeaseMaintenanceService],
})
export class LeasesModule {}
