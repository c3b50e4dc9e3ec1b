import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsInt, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { LOCATION_ID } from '@phoenix/common';
import { IsCidrOf, IsEndpointHost, IsWireGuardKey } from '../../core/validators';

export class EndpointDto {
  @ApiProperty({ example: '198.18.0.10', description: 'IP address or host name clients connect to' })
  @IsEndpointHost()
  host!: string;

  @ApiProperty({ example: 51820 })
  @IsInt()
  @Min(1)
  @Max(65535)
  port!: number;
}

export class RegisterNodeDto {
  @ApiProperty({ description: "The node's WireGuard public key (base64)" })
  @IsWireGuardKey()
  publicKey!: string;

  @ApiProperty({ type: EndpointDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => EndpointDto)
  endpoint!: EndpointDto;

  @ApiProperty({ example: 'de-fra' })
  @IsString()
  @Matches(LOCATION_ID, { message: 'location must be a location id like de-fra' })
  location!: string;

  @ApiProperty({ example: 1000, description: 'Most leases the node should hold' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  capacity!: number;

  @ApiProperty({ example: '100.64.0.0/16' })
  @IsCidrOf(4)
  tunnelCidrV4!: string;

  @ApiPropertyOptional({ example: 'fd00:6a:1::/64' })
  @IsOptional()
  @IsCidrOf(6)
  tunnelCidrV6?: string;

  @ApiProperty({ description: 'Decommissioned (not just marked dead) when it stops pulsing, and at EPHEMERAL_MAX_AGE_SEC (24 h) of age' })
  @IsBoolean()
  ephemeral!: boolean;

  @ApiProperty({ example: '1.0.0' })
  @IsString()
  @MaxLength(64)
  @Matches(/^[\x21-\x7e]+$/, { message: 'version must be printable ASCII without spaces' })
  version!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "A node dedicated to this tenant: register with the tenant's enrollment token (POST /admin/tenants/:tenantId/enrollment-token)" })
  @IsOptional()
  @IsUUID('all')
  tenantId?: string;
}

export class TenantEnrollmentResponse {
  @ApiProperty() tenantId!: string;
  @ApiProperty({ description: "The tenant's node enrollment token, shown once (only its SHA-256 is stored); replaces the previous one" }) enrollmentToken!: string;
}

export class RegisterNodeResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Secret for the node endpoints; only its hash is stored. Rotated on every registration.' }) nodeToken!: string;
  @ApiProperty() pulseIntervalSec!: number;
}
