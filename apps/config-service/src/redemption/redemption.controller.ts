import { Body, Controller, Get, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RedeemDto, RedeemResponse, TokenChallengeView } from './dto/redeem.dto';
import { RedemptionService } from './redemption.service';
import { tokenBytes } from './token';
import { TokenRequiredGuard } from './token-required.guard';

@ApiTags('vpn')
@Controller('vpn')
export class RedemptionController {
  constructor(private readonly redemption: RedemptionService) {}

  @Post('config')
  @HttpCode(200)
  @UseGuards(TokenRequiredGuard)
  @ApiOperation({ summary: 'Redeem one Privacy Pass token for a WireGuard config' })
  @ApiHeader({ name: 'Authorization', required: false, description: 'PrivateToken token="<base64url Token>" (or the body field "token")' })
  @ApiOkResponse({ type: RedeemResponse })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED / MALFORMED_BODY: unknown fields, bad base64, wrong lengths' })
  @ApiResponse({ status: 401, description: 'UNAUTHENTICATED (no token; WWW-Authenticate: PrivateToken challenge) or INVALID_TOKEN' })
  @ApiResponse({ status: 404, description: 'UNKNOWN_LOCATION' })
  @ApiResponse({ status: 409, description: 'TOKEN_REUSED' })
  @ApiResponse({ status: 503, description: 'NO_CAPACITY (token not spent) or UNAVAILABLE (token not spent, no config)' })
  redeem(@Body() dto: RedeemDto, @Headers('authorization') authorization?: string): Promise<RedeemResponse> {
    return this.redemption.redeem({
      token: tokenBytes(authorization, dto.token),
      location: dto.location ?? 'auto',
      ...(dto.publicKey !== undefined ? { publicKey: dto.publicKey } : {}),
      ...(dto.sealTo !== undefined ? { sealTo: dto.sealTo } : {}),
    });
  }

  @Get('token-challenge')
  @ApiOperation({ summary: 'The TokenChallenge tokens must answer' })
  @ApiOkResponse({ type: TokenChallengeView })
  tokenChallenge(): TokenChallengeView {
    return this.redemption.tokenChallenge();
  }
}
