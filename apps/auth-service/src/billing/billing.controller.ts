import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FirebaseIdentity } from '../identity/firebase.adapter';
import { CurrentIdentity, FirebaseAuthGuard } from '../identity/identity.guard';
import { BillingService } from './billing.service';
import { CheckoutRequestDto, UrlResponseDto } from './dto/billing.dto';
import { JsonBodyGuard } from '../core/json-body.guard';

@ApiTags('billing')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED' })
@ApiServiceUnavailableResponse({ description: 'Stripe or the database is unreachable (UNAVAILABLE)' })
@UseGuards(JsonBodyGuard, FirebaseAuthGuard)
@Controller('billing')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Post('checkout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start a Stripe Checkout Session for a plan' })
  @ApiOkResponse({ type: UrlResponseDto })
  @ApiBadRequestResponse({ description: 'Unknown plan (VALIDATION_FAILED)' })
  @ApiConflictResponse({ description: 'Already subscribed (CONFLICT)' })
  checkout(@CurrentIdentity() identity: FirebaseIdentity, @Body() body: CheckoutRequestDto): Promise<UrlResponseDto> {
    return this.billing.checkout(identity, body.plan);
  }

  @Post('portal')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open the Stripe customer portal' })
  @ApiOkResponse({ type: UrlResponseDto })
  @ApiNotFoundResponse({ description: 'No Stripe customer yet (NOT_FOUND)' })
  portal(@CurrentIdentity() identity: FirebaseIdentity): Promise<UrlResponseDto> {
    return this.billing.portal(identity);
  }
}
