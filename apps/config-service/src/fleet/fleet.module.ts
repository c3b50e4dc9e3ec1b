import { Module } from '@nestjs/common';
import { EnrollmentGuard } from './enrollment.guard';
import { FleetCounters } from './fleet-counters.store';
import { FleetReportController } from './fleet-report.controller';
import { FleetReporter } from './fleet-reporter';
import { FleetController } from './fleet.controller';
import { FleetService } from './fleet.service';
import { NodeAuthGuard } from './node-auth.guard';
import { NodeGenerations } from './node-generations';
import { NodeMetricsStore } from './node-metrics.store';
import { NodeSelectionService } from './node-selection.service';
import { NodesChangedController } from './nodes-changed.controller';
import { NodesRepository } from './nodes.repository';
import { PeerAnnouncer } from './peer-announcer';
import { TenantEnrollmentController } from './tenant-enrollment.controller';
import { TenantUsageStore } from './tenant-usage.store';

@Module({
  controllers: [FleetController, TenantEnrollmentController, FleetReportController, NodesChangedController],
  providers: [FleetService, NodesRepository, NodeMetricsStore, NodeSelectionService, PeerAnnouncer, NodeGenerations, NodeAuthGuard, EnrollmentGuard, FleetCounters, FleetReporter, TenantUsageStore],
  exports: [NodesRepository, NodeMetricsStore, NodeSelectionService, PeerAnnouncer, NodeGenerations, FleetCounters, TenantUsageStore],
})
export class FleetModule {}
