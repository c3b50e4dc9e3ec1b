import { Controller, Get, Header, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { StatsAdminGuard } from './admin-credentials.guard';
import { PANELS } from './panels';
import { StatsResponse, StatsService } from './stats.service';

@ApiTags('stats')
@ApiBearerAuth()
@ApiBasicAuth()
@UseGuards(StatsAdminGuard)
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get(':panel')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: `Admin: one stats panel (${PANELS.join(', ')}) over whole UTC days, cells of fewer than k events suppressed` })
  @ApiQuery({ name: 'from', example: '2026-11-01', description: 'first day (UTC), YYYY-MM-DD' })
  @ApiQuery({ name: 'to', example: '2026-11-07', description: 'last day (UTC), included; at most 92 days after from' })
  @ApiOkResponse({ description: '{panel, from, to, k, rows, suppressed: {cells, events}}' })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED: missing or bad dates, from after to, more than 92 days' })
  @ApiResponse({ status: 404, description: 'UNKNOWN_PANEL' })
  @ApiResponse({ status: 503, description: 'UNAVAILABLE: ClickHouse is down' })
  get(@Param('panel') panel: string, @Query() query: Record<string, unknown>): Promise<StatsResponse> {
    return this.stats.panel(panel, query);
  }
}
