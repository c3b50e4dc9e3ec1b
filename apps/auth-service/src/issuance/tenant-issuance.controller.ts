import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JsonBodyGuard } from '../core/json-body.guard';
import { ApiKeyGuard, CurrentTenant, CurrentTenantUser, TenantUserGuard } from '../tenants/tenant.guards';
import type { TenantScope } from '../tenants/tenant-scope';
import { MAX_BLINDED_MESSAGES, VpnTokenRequestDto, VpnTokenResponseDto } from './dto/vpn-token.dto';
import { DIRECTORY_CACHE_CONTROL, DIRECTORY_MEDIA_TYPE, type RenderedDirectory, matchesEtag } from './issuer-directory';
import { DIRECTORY_MAX_AGE_SEC } from './key-schedule';
import { TenantIssuanceService } from './tenant-issuance.service';
import { TENANT_TOKENS_PATH, TenantIssuers } from './tenant-issuers';

const TOKEN_KEYS_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    properties: { 'token-type': { type: 'integer', example: 2 }, 'token-key': { type: 'string', description: 'base64url RSASSA-PSS SPKI (342 bytes)' }, 'not-before': { type: 'integer' } },
  },
} as const;

async function sendCacheable(req: FastifyRequest, reply: FastifyReply, { body, etag }: RenderedDirectory, type: string): Promise<void> {
  void reply.header('Cache-Control', DIRECTORY_CACHE_CONTROL).header('ETag', etag);
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    await reply.status(304).send();
    return;
  }
  await reply.status(200).type(type).send(body);
}

/** A tenant device's tokens (API key + the device owner's access token). */
@ApiTags('tenant')
@ApiHeader({ name: 'X-API-Key', required: true, description: "The tenant's API key (phx_live_…)" })
@ApiBearerAuth()
@UseGuards(JsonBodyGuard, ApiKeyGuard, TenantUserGuard)
@Controller('api/v1/devices')
export class TenantTokensController {
  constructor(private readonly issuance: TenantIssuanceService) {}

  @Post(':id/tokens')
  @HttpCode(200)
  @ApiOperation({ summary: `Issue 1-${MAX_BLINDED_MESSAGES} tokens for a device under its tenant's current issuer key; each counts against the plan's tokensPerDevicePerDay` })
  @ApiOkResponse({ type: VpnTokenResponseDto })
  @ApiResponse({ status: 400, description: 'Malformed blindedMessages (VALIDATION_FAILED)' })
  @ApiUnauthorizedResponse({ description: 'Bad API key (INVALID_API_KEY), missing access token (UNAUTHENTICATED), bad or foreign one (INVALID_TOKEN)' })
  @ApiForbiddenResponse({ description: 'The tenant is suspended (TENANT_SUSPENDED); nothing is signed' })
  @ApiNotFoundResponse({ description: 'The user has no such device, or it was deleted (NOT_FOUND)' })
  @ApiResponse({ status: 415, description: 'Not JSON (UNSUPPORTED_MEDIA_TYPE)' })
  @ApiTooManyRequestsResponse({ description: "The device's daily quota is used (QUOTA_EXCEEDED); see Retry-After", headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } } })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down (UNAVAILABLE); nothing was signed' })
  async tokens(
    @CurrentTenant() scope: TenantScope,
    @CurrentTenantUser() userId: string,
    @Param('id') id: string,
    @Body() body: VpnTokenRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VpnTokenResponseDto> {
    void reply.header('Cache-Control', 'no-store');
    return this.issuance.issueForDevice(scope, userId, id, body.blindedMessages);
  }
}

/** Every issuer's public keys, and each tenant's issuer directory (public, cacheable). */
@ApiTags('issuance')
@ApiServiceUnavailableResponse({ description: 'The key store is unreachable (UNAVAILABLE)' })
@Controller()
export class TokenIssuersController {
  constructor(private readonly issuers: TenantIssuers) {}

  @Get('token-issuers')
  @ApiOperation({ summary: 'The keys of every issuer: the consumer issuer first, then each tenant (suspended ones too), as their directories list them' })
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({
    description: `Cache-Control public, max-age=${DIRECTORY_MAX_AGE_SEC} and a strong ETag. A key id is SHA-256 of its token-key`,
    schema: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          issuer: { type: 'string', example: 'phoenix-issuer/tenants/7d1c…' },
          tenantId: { type: 'string', format: 'uuid', nullable: true },
          leaseTtlHours: { type: 'integer', nullable: true, description: "The tenant plan's lease TTL; null for the consumer issuer" },
          'token-keys': TOKEN_KEYS_SCHEMA,
        },
      },
    },
  })
  @ApiResponse({ status: 304, description: 'Not modified (If-None-Match matched the ETag)' })
  async tokenIssuers(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await sendCacheable(req, reply, await this.issuers.tokenIssuers(), 'application/json; charset=utf-8');
  }

  @Get('tenants/:id/.well-known/private-token-issuer-directory')
  @ApiOperation({ summary: "A tenant's Privacy Pass issuer directory (RFC 9578 §4): its current, next and still-redeemable keys" })
  @ApiProduces(DIRECTORY_MEDIA_TYPE)
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({
    description: `Cache-Control public, max-age=${DIRECTORY_MAX_AGE_SEC} and a strong ETag; issuer-request-uri is the device tokens endpoint, ${TENANT_TOKENS_PATH} (a URI template)`,
    content: { [DIRECTORY_MEDIA_TYPE]: { schema: { type: 'object', properties: { 'issuer-request-uri': { type: 'string', example: TENANT_TOKENS_PATH }, 'token-keys': TOKEN_KEYS_SCHEMA } } } },
  })
  @ApiResponse({ status: 304, description: 'Not modified (If-None-Match matched the ETag)' })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async tenantDirectory(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await sendCacheable(req, reply, await this.issuers.directory(id), DIRECTORY_MEDIA_TYPE);
  }
}
