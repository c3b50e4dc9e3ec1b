import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class AppleNotificationDto {
  @ApiProperty({ description: 'App Store Server Notification V2: a JWS (ES256, x5c chain to an Apple root)' })
  @IsString()
  @MaxLength(60_000)
  @Matches(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, { message: 'signedPayload must be a compact JWS' })
  signedPayload!: string;
}

export class WebhookAckDto {
  @ApiProperty({ example: true })
  received!: boolean;

  @ApiProperty({ enum: ['processed', 'duplicate', 'ignored', 'stale'], description: 'What the event did: applied, a replay, nothing to do, or older than stored state' })
  outcome!: string;
}
