import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminGuard, Patterns } from '@phoenix/common';
import { RotateIssuerKeysDto } from './dto/vpn-token.dto';
import { IssuerKeyStore, RotationResult } from './issuer-keys.store';
import { TenantIssuers, type TenantRotationSummary } from './tenant-issuers';
import { JsonBodyGuard } from '../core/json-body.guard';

/** The consumer issuer's rotation, as before, plus what the same run did to the tenants' issuers. */
export type AllIssuersRotation = RotationResult & { tenants: TenantRotationSummary };

/** Rotates the consumer issuer first (its result unchanged), then every tenant's issuer. */
async function rotateAll(keys: IssuerKeyStore, tenants: TenantIssuers, force: boolean, requestedAt?: Date): Promise<AllIssuersRotation> {
  const consumer = await keys.rotate(force, requestedAt);
  return { ...consumer, tenants: await tenants.rotateAll(force, requestedAt) };
}

@ApiTags('admin')
@Controller('admin/issuer-keys')
export class IssuerKeysAdminController {
  constructor(
    private readonly keys: IssuerKeyStore,
    private readonly tenants: TenantIssuers,
  ) {}

  @Post('rotate')
  @HttpCode(200)
  @UseGuards(JsonBodyGuard, AdminGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Rotate every issuer\'s keys (consumer and tenants): run the schedule (default) or, with {"force": true}, retire the current keys now' })
  @ApiOkResponse({ description: "The consumer issuer's keys created, removed and retired, its current and listed keys; `tenants`: counts of the tenant issuers' changes" })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong ADMIN_TOKEN' })
  rotate(@Body() body: RotateIssuerKeysDto): Promise<AllIssuersRotation> {
    return rotateAll(this.keys, this.tenants, body.force === true);
  }
}

/**
 * `identity.issuer-keys.rotate` from job-worker over the Redis transport: `{}` runs the schedule;
 * `{"force": true, "requestedAt": "<ISO>"}` retires the current key unless one started signing
 * since `requestedAt`. Every replica receives the message, so a force without `requestedAt` only
 * runs the schedule (it could not be told apart from a second rotation). Every issuer: the consumer
 * issuer and each tenant's, each under its own schedule lock.
 */
@Controller()
export class IssuerKeysMessagesController {
  constructor(
    private readonly keys: IssuerKeyStore,
    private readonly tenants: TenantIssuers,
  ) {}

  @MessagePattern(Patterns.ISSUER_ROTATE)
  rotate(@Payload() payload: unknown): Promise<AllIssuersRotation> {
    const p = typeof payload === 'object' && payload !== null ? (payload as { force?: unknown; requestedAt?: unknown }) : {};
    const requestedAt = typeof p.requestedAt === 'string' ? new Date(p.requestedAt) : null;
    const valid = requestedAt !== null && !Number.isNaN(requestedAt.getTime());
    return rotateAll(this.keys, this.tenants, p.force === true && valid, valid ? requestedAt : undefined);
  }
}
