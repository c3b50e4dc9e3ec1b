import { Body, Controller, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { AppError, ErrorCode, JsonBodyLimits } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { StripeGateway } from '../billing/stripe.gateway';
import { AppleWebhookService } from './apple-webhook.service';
import { AppleNotificationVerifier } from './apple.verifier';
import { AppleNotificationDto, WebhookAckDto } from './dto/apple-notification.dto';
import { StripeWebhookService } from './stripe-webhook.service';
import { JsonBodyGuard } from '../core/json-body.guard';

/**
 * Providers' payloads are not ours to shape: up to a string as long as the body (Apple's
 * signedPayload is one JWS of up to 60,000 characters) and objects wider than ours (a Stripe
 * invoice has about a hundred fields). Depth and the count of values keep the platform's limits.
 */
const PROVIDER_PAYLOAD = JsonBodyLimits({ maxStringBytes: 64 * 1024, maxObjectKeys: 1024 });

@ApiTags('webhooks')
@UseGuards(JsonBodyGuard)
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly stripeGateway: StripeGateway,
    private readonly stripe: StripeWebhookService,
    private readonly appleVerifier: AppleNotificationVerifier,
    private readonly apple: AppleWebhookService,
  ) {}

  @Post('stripe')
  @HttpCode(200)
  @PROVIDER_PAYLOAD
  @ApiOperation({ summary: 'Stripe events; Stripe-Signature verified over the raw body. 200 only once stored, so Stripe retries failures' })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiBody({ description: 'A Stripe Event object', schema: { type: 'object', additionalProperties: true } })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiBadRequestResponse({ description: 'Signature missing or wrong (BAD_SIGNATURE), or not an event' })
  @ApiServiceUnavailableResponse({ description: 'Database or queue down (UNAVAILABLE): nothing stored, Stripe retries' })
  async stripeEvent(@Req() req: FastifyRequest & { rawBody?: Buffer }, @Headers('stripe-signature') signature?: string): Promise<WebhookAckDto> {
    if (!signature || !Buffer.isBuffer(req.rawBody)) throw new AppError(ErrorCode.BAD_SIGNATURE, 'Stripe-Signature header and a JSON body are required');
    const event = this.stripeGateway.verifyEvent(req.rawBody, signature);
    return { received: true, outcome: await this.stripe.handle(event) };
  }

  @Post('apple')
  @HttpCode(200)
  @PROVIDER_PAYLOAD
  @ApiOperation({ summary: 'App Store Server Notifications V2 (signedPayload verified against the configured Apple roots)' })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiBadRequestResponse({ description: 'Not a verifiable notification (BAD_SIGNATURE / VALIDATION_FAILED)' })
  @ApiServiceUnavailableResponse({ description: 'Database or queue down, or no roots configured (UNAVAILABLE)' })
  async appleNotification(@Body() body: AppleNotificationDto): Promise<WebhookAckDto> {
    const notification = await this.appleVerifier.verify(body.signedPayload);
    return { received: true, outcome: await this.apple.handle(notification) };
  }
}
