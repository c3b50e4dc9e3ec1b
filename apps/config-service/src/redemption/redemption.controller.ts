import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { TokenChallengeView } from './dto/redeem.dto';
import { RedemptionService } from './redemption.service';

/** `GET /vpn/token-challenge`; `POST /vpn/config` is a raw route (`VpnConfigRoute`). */
@ApiTags('vpn')
@Controller('vpn')
export class RedemptionController {
  constructor(private readonly redemption: RedemptionService) {}

  @Get('token-challenge')
  @ApiOperation({ summary: 'The TokenChallenge tokens must answer' })
  @ApiOkResponse({ type: TokenChallengeView })
  @ApiQuery({ name: 'issuer', required: false, description: "A tenant issuer's name (GET /token-issuers of auth-service); none: the consumer's" })
  @ApiResponse({ status: 404, description: 'UNKNOWN_ISSUER' })
  tokenChallenge(@Query('issuer') issuer?: unknown): Promise<TokenChallengeView> {
    return this.redemption.tokenChallengeFor(issuer);
  }
}
