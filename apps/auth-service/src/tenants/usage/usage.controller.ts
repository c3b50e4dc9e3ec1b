import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AppError, ErrorCode, parseDayRange } from '@phoenix/common';
import { IsString } from 'class-validator';
import { ApiKeyGuard, CurrentTenant } from '../tenant.guards';
import type { TenantScope } from '../tenant-scope';
import { TenantUsageSource } from './tenant-usage.source';
import { type UsageRow, usageRows } from './usage';

/** The longest range `GET /api/v1/usage` answers (days, both ends included). */
export const USAGE_MAX_DAYS = 366;

export class UsageQueryDto {
  @ApiProperty({ example: '2026-11-01', description: 'First UTC day, YYYY-MM-DD' })
  @IsString()
  from!: string;

  @ApiProperty({ example: '2026-11-30', description: 'Last UTC day, YYYY-MM-DD (inclusive; at most 366 days from `from`)' })
  @IsString()
  to!: string;
}

export class UsageRowDto implements UsageRow {
  @ApiProperty({ example: '2026-11-01' })
  day!: string;

  @ApiProperty({ description: "Successful redemptions of the tenant's tokens that day" })
  connections!: number;

  @ApiProperty({ description: 'Lease time held that day, in hours (6 decimals)' })
  connectionHours!: number;

  @ApiProperty({ description: 'Bytes through its peers that day, in gigabytes of 10⁹ bytes (6 decimals)' })
  gigabytes!: number;
}

export class UsageDto {
  @ApiProperty({ type: UsageRowDto, isArray: true })
  rows!: UsageRowDto[];
}

/**
 * A tenant's usage (API.md "B2B tenants"): whole UTC days, tenant totals only. The API key alone
 * authorises it — the answer is the business's own totals, nothing of any one user, so no user's
 * access token is asked for (the tenant's backend reads it with the key it already holds).
 */
@ApiTags('tenant')
@ApiHeader({ name: 'X-API-Key', required: true, description: "The tenant's API key (phx_live_…)" })
@ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked API key (INVALID_API_KEY)' })
@ApiForbiddenResponse({ description: 'The tenant is suspended (TENANT_SUSPENDED)' })
@ApiServiceUnavailableResponse({ description: 'analytics-service (or the database) is down (UNAVAILABLE)' })
@UseGuards(ApiKeyGuard)
@Controller('api/v1/usage')
export class TenantUsageController {
  constructor(private readonly usage: TenantUsageSource) {}

  @Get()
  @ApiOperation({ summary: "The tenant's usage per UTC day from `from` to `to` (inclusive): one row per day with data, ordered by day" })
  @ApiOkResponse({ type: UsageDto })
  @ApiBadRequestResponse({ description: 'from/to missing, not YYYY-MM-DD dates, from after to, more than 366 days, or another parameter (VALIDATION_FAILED)' })
  async get(@CurrentTenant() scope: TenantScope, @Query() query: UsageQueryDto): Promise<UsageDto> {
    const range = parseDayRange(query.from, query.to, USAGE_MAX_DAYS);
    if (!range.ok) throw new AppError(ErrorCode.VALIDATION_FAILED, range.problem);
    return { rows: usageRows(await this.usage.days(scope.tenantId, range.from, range.to), range.from, range.to) };
  }
}
