import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { LocationSeeder } from './location-seeder';
import { AdminLocationsController, LocationsController } from './locations.controller';
import { LocationsRepository } from './locations.repository';
import { LocationsService } from './locations.service';

@Module({
  imports: [FleetModule],
  controllers: [LocationsController, AdminLocationsController],
  providers: [LocationsRepository, LocationsService, LocationSeeder],
  exports: [LocationsRepository],
})
export class LocationsModule {}
