import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
  tokenChallenge(): TokenChallengeView {
    return this.redemption.tokenChallenge();
  }
}
