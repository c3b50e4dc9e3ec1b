import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Most blinded messages one `POST /auth/vpn-token` may carry (API.md). */
export const MAX_BLINDED_MESSAGES = 20;

export class VpnTokenRequestDto {
  @ApiProperty({ description: 'Blinded messages (RFC 9474), base64url of 256 bytes each', type: [String], minItems: 1, maxItems: MAX_BLINDED_MESSAGES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BLINDED_MESSAGES)
  @IsString({ each: true })
  @MaxLength(344, { each: true })
  @Matches(/^[A-Za-z0-9_-]+={0,2}$/, { each: true, message: 'each blinded message must be base64url' })
  blindedMessages!: string[];
}

export class VpnTokenResponseDto {
  @ApiProperty({ description: 'The signing key id: base64url of SHA-256 of its token key (32 bytes)' })
  tokenKeyId!: string;

  @ApiProperty({ type: [String], description: 'Blind signatures, base64url of 256 bytes each, in request order' })
  blindSignatures!: string[];

  @ApiProperty({ description: 'When tokens signed now stop being redeemable (ISO-8601)', example: '2026-01-15T00:00:00.000Z' })
  expiresAt!: string;
}

export class RotateIssuerKeysDto {
  @ApiProperty({ required: false, description: 'Retire the current key now instead of only running the schedule' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}
