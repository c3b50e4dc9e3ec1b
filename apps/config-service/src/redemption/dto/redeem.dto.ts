import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { LOCATION_ID } from '@phoenix/common';
import { IsWireGuardKey } from '../../core/validators';

export class RedeemDto {
  @ApiPropertyOptional({ example: 'de-fra', default: 'auto', description: 'A location id, or "auto" for any' })
  @IsOptional()
  @IsString()
  @ValidateIf((o: RedeemDto) => o.location !== 'auto')
  @Matches(LOCATION_ID, { message: 'location must be a location id like de-fra, or auto' })
  location?: string;

  @ApiPropertyOptional({ description: "The client's WireGuard public key (base64). Omit to have the server make the key pair (then sealTo is required)." })
  @IsOptional()
  @IsWireGuardKey()
  publicKey?: string;

  @ApiPropertyOptional({ description: 'X25519 public key (base64) the server-made private key is sealed to (libsodium crypto_box_seal)' })
  @IsOptional()
  @IsWireGuardKey()
  sealTo?: string;

  @ApiPropertyOptional({ description: 'The token (base64url RFC 9578 Token), when not sent as Authorization: PrivateToken token="…"' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @Matches(/^[A-Za-z0-9_-]+={0,2}$/, { message: 'token must be base64url' })
  token?: string;
}

export class InterfaceView {
  @ApiProperty({ example: ['100.64.0.2/32', 'fd00:6a:1::5e1f/128'] }) addresses!: string[];
  @ApiProperty({ example: ['100.64.0.1', 'fd00:6a:1::1'] }) dns!: string[];
}

export class PeerView {
  @ApiProperty() publicKey!: string;
  @ApiProperty({ example: '198.18.0.10:51820' }) endpoint!: string;
  @ApiProperty({ example: ['0.0.0.0/0', '::/0'] }) allowedIps!: string[];
  @ApiProperty({ example: 25 }) persistentKeepalive!: number;
}

export class NodeRefView {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'de-fra' }) location!: string;
}

export class LeaseRefView {
  @ApiProperty({ description: 'The lease id' }) id!: string;
  @ApiProperty({ description: 'base64url secret that ends the lease at DELETE /vpn/config (only its hash is stored)' }) releaseToken!: string;
}

export class RedeemResponse {
  @ApiProperty({ description: 'wg-quick configuration without the PrivateKey line (the app adds its key)' }) config!: string;
  @ApiProperty({ type: InterfaceView }) interface!: InterfaceView;
  @ApiProperty({ type: PeerView }) peer!: PeerView;
  @ApiProperty({ type: NodeRefView }) node!: NodeRefView;
  @ApiProperty() expiresAt!: string;
  @ApiProperty({ type: LeaseRefView }) lease!: LeaseRefView;
  @ApiPropertyOptional({ description: 'Only for a server-made key pair: the 32-byte private key as a libsodium sealed box to sealTo, base64' })
  sealedPrivateKey?: string;
}

export class TokenChallengeView {
  @ApiProperty({ description: 'base64url TokenChallenge (RFC 9577)' }) challenge!: string;
  @ApiProperty({ description: 'issuer name in the challenge' }) issuer!: string;
}
