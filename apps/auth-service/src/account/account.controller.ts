import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FirebaseIdentity } from '../identity/firebase.adapter';
import { CurrentIdentity, FirebaseAuthGuard } from '../identity/identity.guard';
import { AccountService } from './account.service';
import { AccountDto, PaymentsPageDto, PaymentsQueryDto, PreferencesDto, SubscriptionDto } from './dto/account.dto';
import { JsonBodyGuard } from '../core/json-body.guard';

@ApiTags('account')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing, expired, revoked or foreign Firebase ID token (UNAUTHENTICATED)' })
@ApiServiceUnavailableResponse({ description: 'A dependency is down (UNAVAILABLE)' })
@UseGuards(JsonBodyGuard, FirebaseAuthGuard)
@Controller('account')
export class AccountController {
  constructor(private readonly accounts: AccountService) {}

  @Get()
  @ApiOperation({ summary: 'The account (created on first call), its subscription and preferences' })
  @ApiOkResponse({ type: AccountDto })
  account(@CurrentIdentity() identity: FirebaseIdentity): Promise<AccountDto> {
    return this.accounts.account(identity);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Erase the account (GDPR): cancels the Stripe subscription, deletes profile, subscriptions, payments and preferences. Idempotent' })
  @ApiNoContentResponse({ description: 'Erased (or nothing to erase)' })
  async erase(@CurrentIdentity() identity: FirebaseIdentity): Promise<void> {
    await this.accounts.erase(identity);
  }

  @Get('export')
  @ApiOperation({ summary: 'Everything stored about the user, as JSON' })
  @ApiOkResponse({ description: 'The export', schema: { type: 'object', additionalProperties: true } })
  export(@CurrentIdentity() identity: FirebaseIdentity): Promise<object> {
    return this.accounts.export(identity);
  }

  @Get('subscription')
  @ApiOperation({ summary: 'Subscription status and entitlement' })
  @ApiOkResponse({ type: SubscriptionDto })
  subscription(@CurrentIdentity() identity: FirebaseIdentity): Promise<SubscriptionDto> {
    return this.accounts.subscription(identity);
  }

  @Post('trial')
  @HttpCode(201)
  @ApiOperation({ summary: 'Start the one free trial (TRIAL_DAYS)' })
  @ApiCreatedResponse({ type: SubscriptionDto })
  @ApiConflictResponse({ description: 'The account already had a trial (TRIAL_USED)' })
  trial(@CurrentIdentity() identity: FirebaseIdentity): Promise<SubscriptionDto> {
    return this.accounts.startTrial(identity);
  }

  @Get('payments')
  @ApiOperation({ summary: 'Payment history, newest first, cursor-paginated' })
  @ApiOkResponse({ type: PaymentsPageDto })
  @ApiBadRequestResponse({ description: 'Bad cursor or limit (VALIDATION_FAILED)' })
  payments(@CurrentIdentity() identity: FirebaseIdentity, @Query() query: PaymentsQueryDto): Promise<PaymentsPageDto> {
    return this.accounts.payments(identity, query.cursor, query.limit);
  }

  @Get('preferences')
  @ApiOperation({ summary: 'App preferences' })
  @ApiOkResponse({ type: PreferencesDto })
  preferences(@CurrentIdentity() identity: FirebaseIdentity): Promise<PreferencesDto> {
    return this.accounts.preferences(identity);
  }

  @Put('preferences')
  @ApiOperation({ summary: 'Replace the app preferences (every field required; unknown fields are 400)' })
  @ApiOkResponse({ type: PreferencesDto })
  @ApiBadRequestResponse({ description: 'Invalid or unknown fields (VALIDATION_FAILED)' })
  putPreferences(@CurrentIdentity() identity: FirebaseIdentity, @Body() body: PreferencesDto): Promise<PreferencesDto> {
    return this.accounts.putPreferences(identity, body);
  }
}
