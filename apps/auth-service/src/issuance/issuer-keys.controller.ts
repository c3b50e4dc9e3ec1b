import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminGuard, Patterns } from '@phoenix/common';
import { RotateIssuerKeysDto } from './dto/vpn-token.dto';
import { IssuerKeyStore, RotationResult } from './issuer-keys.store';
import { JsonBodyGuard } from '../core/json-body.guard';

@ApiTags('admin')
@Controller('admin/issuer-keys')
export class IssuerKeysAdminController {
  constructor(private readonly keys: IssuerKeyStore) {}

  @Post('rotate')
  @HttpCode(200)
  @UseGuards(JsonBodyGuard, AdminGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Rotate issuer keys: run the schedule (default) or, with {"force": true}, retire the current key now' })
  @ApiOkResponse({ description: 'The keys created, removed and retired, the current key and the listed keys' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong ADMIN_TOKEN' })
  rotate(@Body() body: RotateIssuerKeysDto): Promise<RotationResult> {
    return this.keys.rotate(body.force === true);
  }
}

/**
 * `identity.issuer-keys.rotate` from job-worker over the Redis transport: `{}` runs the schedule;
 * `{"force": true, "requestedAt": "<ISO>"}` retires the current key unless one started signing
 * since `requestedAt`. Every replica receives the message, so a force without `requestedAt` only
 * runs the schedule (it could not be told apart from a second rotation).
 */
@Controller()
export class IssuerKeysMessagesController {
  constructor(private readonly keys: IssuerKeyStore) {}

  @MessagePattern(Patterns.ISSUER_ROTATE)
  rotate(@Payload() payload: unknown): Promise<RotationResult> {
    const p = typeof payload === 'object' && payload !== null ? (payload as { force?: unknown; requestedAt?: unknown }) : {};
    const requestedAt = typeof p.requestedAt === 'string' ? new Date(p.requestedAt) : null;
    const valid = requestedAt !== null && !Number.isNaN(requestedAt.getTime());
    return this.keys.rotate(p.force === true && valid, valid ? requestedAt : undefined);
  }
}
