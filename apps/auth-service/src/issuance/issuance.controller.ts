import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FirebaseIdentity } from '../identity/firebase.adapter';
import { CurrentIdentity, FirebaseAuthGuard } from '../identity/identity.guard';
import { MAX_BLINDED_MESSAGES, VpnTokenRequestDto, VpnTokenResponseDto } from './dto/vpn-token.dto';
import { IssuanceService } from './issuance.service';
import { DIRECTORY_CACHE_CONTROL, DIRECTORY_MEDIA_TYPE, IssuerDirectory, matchesEtag } from './issuer-directory';
import { DIRECTORY_MAX_AGE_SEC } from './key-schedule';
import { ISSUANCE_ERROR_RESPONSES } from './token-request.route';
import { JsonBodyGuard } from '../core/json-body.guard';

// The shared error responses of the issuance endpoints (POST /token-request documents the same).
const IssuanceErrorResponses = () => applyDecorators(...Object.entries(ISSUANCE_ERROR_RESPONSES).map(([status, r]) => ApiResponse({ status: Number(status), ...r })));

@ApiTags('issuance')
@Controller()
export class IssuanceController {
  constructor(
    private readonly issuance: IssuanceService,
    private readonly issuerDirectory: IssuerDirectory,
  ) {}

  @Get('.well-known/private-token-issuer-directory')
  @ApiOperation({ summary: 'Privacy Pass issuer directory (RFC 9578 §4): the current, next and still-redeemable keys' })
  @ApiProduces(DIRECTORY_MEDIA_TYPE)
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({
    description: `The directory; Cache-Control public, max-age=${DIRECTORY_MAX_AGE_SEC} and a strong ETag. The next key is listed a day and a max-age before it signs`,
    content: {
      [DIRECTORY_MEDIA_TYPE]: {
        schema: {
          type: 'object',
          properties: {
            'issuer-request-uri': { type: 'string', example: '/token-request' },
            'token-keys': {
              type: 'array',
              items: {
                type: 'object',
                properties: { 'token-type': { type: 'integer', example: 2 }, 'token-key': { type: 'string', description: 'base64url RSASSA-PSS SPKI (342 bytes)' }, 'not-before': { type: 'integer' } },
              },
            },
          },
        },
      },
    },
  })
  @ApiResponse({ status: 304, description: 'Not modified (If-None-Match matched the ETag)' })
  @ApiServiceUnavailableResponse({ description: 'The key store is unreachable (UNAVAILABLE)' })
  async directory(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { body, etag } = await this.issuerDirectory.render();
    void reply.header('Cache-Control', DIRECTORY_CACHE_CONTROL).header('ETag', etag);
    if (matchesEtag(req.headers['if-none-match'], etag)) {
      await reply.status(304).send();
      return;
    }
    await reply.status(200).type(DIRECTORY_MEDIA_TYPE).send(body);
  }

  @Post('auth/vpn-token')
  @HttpCode(200)
  @UseGuards(JsonBodyGuard, FirebaseAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: `Issue a batch of 1-${MAX_BLINDED_MESSAGES} tokens; each counts against the daily quota` })
  @ApiOkResponse({ type: VpnTokenResponseDto })
  @IssuanceErrorResponses()
  async vpnToken(@Body() body: VpnTokenRequestDto, @CurrentIdentity() identity: FirebaseIdentity, @Res({ passthrough: true }) reply: FastifyReply): Promise<VpnTokenResponseDto> {
    void reply.header('Cache-Control', 'no-store');
    return this.issuance.issueBatch(identity, body.blindedMessages);
  }
}
