import { Module } from '@nestjs/common';
import { FleetController } from './fleet.controller';
import { FleetRepository } from './fleet.repository';

/** The fleet panel's data: config-service's reports over the Redis transport into `fleet_hourly`. */
@Module({
  controllers: [FleetController],
  providers: [FleetRepository],
})
export class FleetModule {}
