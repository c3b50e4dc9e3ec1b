import { Module } from '@nestjs/common';
import { DashboardAdminGuard, StatsAdminGuard } from './admin-credentials.guard';
import { StatsController } from './stats.controller';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';

/** `GET /v1/stats/:panel`, and the admin guard the dashboard shares. */
@Module({
  controllers: [StatsController],
  providers: [StatsRepository, StatsService, StatsAdminGuard, DashboardAdminGuard],
  exports: [DashboardAdminGuard],
})
export class StatsModule {}
