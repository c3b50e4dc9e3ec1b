import { Module } from '@nestjs/common';
import { StatsModule } from '../stats/stats.module';
import { DashboardAssets } from './dashboard-assets';
import { DashboardController } from './dashboard.controller';

/** `GET /dashboard`: the stats panels as charts, drawn in the browser from `GET /v1/stats/:panel`. */
@Module({
  imports: [StatsModule],
  controllers: [DashboardController],
  providers: [DashboardAssets],
})
export class DashboardModule {}
