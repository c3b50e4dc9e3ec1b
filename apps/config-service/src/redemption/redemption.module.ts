import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { IssuerDirectoryModule } from '../issuer-directory/issuer-directory.module';
import { LeasesModule } from '../leases/leases.module';
import { LocationsModule } from '../locations/locations.module';
import { RedemptionController } from './redemption.controller';
import { RedemptionOutcomes } from './redemption-outcomes';
import { RedemptionService } from './redemption.service';
import { SpentTokensStore } from './spent-tokens.store';
import { TokenChallenge } from './token-challenge';
import { VpnConfigRoute } from './vpn-config.route';

@Module({
  imports: [FleetModule, LeasesModule, LocationsModule, IssuerDirectoryModule],
  controllers: [RedemptionController],
  providers: [RedemptionService, RedemptionOutcomes, SpentTokensStore, TokenChallenge, VpnConfigRoute],
})
export class RedemptionModule {}
