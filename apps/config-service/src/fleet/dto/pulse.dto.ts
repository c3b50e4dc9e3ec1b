import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsInt, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { MAX_PULSE_TENANTS, TenantBytesDto } from './tenant-bytes.dto';

export class PulseDto {
  @ApiProperty({ minimum: 0, maximum: 100 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  load!: number;

  @ApiProperty({ description: 'Peers configured on the interface' })
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  peers!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  rxBytes?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  txBytes?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  cpu?: number;

  @ApiProperty()
  @IsBoolean()
  healthy!: boolean;

  @ApiPropertyOptional({ type: [TenantBytesDto], maxItems: MAX_PULSE_TENANTS, description: 'Per tenant, rx + tx of its peers since the previous pulse; each tenant once' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PULSE_TENANTS)
  @ArrayUnique((t: TenantBytesDto) => (typeof t?.tenantId === 'string' ? t.tenantId.toLowerCase() : t))
  @ValidateNested({ each: true })
  @Type(() => TenantBytesDto)
  tenantBytes?: TenantBytesDto[];
}

export class PulseResponse {
  @ApiProperty({ description: "The node's desired-state generation; a node behind it reconciles" }) generation!: number;
}

export class DesiredPeerView {
  @ApiProperty() publicKey!: string;
  @ApiProperty({ example: ['100.64.3.7/32', 'fd00:6a:1::5e1f/128'] }) allowedIps!: string[];
  @ApiProperty() expiresAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The tenant the lease belongs to; null for a consumer lease' }) tenantId!: string | null;
}

export class PeerSetResponse {
  @ApiProperty() generation!: number;
  @ApiProperty({ type: [DesiredPeerView] }) peers!: DesiredPeerView[];
}

export class NodeView {
  @ApiProperty() id!: string;
  @ApiProperty() publicKey!: string;
  @ApiProperty({ example: { host: '198.18.0.10', port: 51820 } }) endpoint!: { host: string; port: number };
  @ApiProperty() location!: string;
  @ApiProperty() capacity!: number;
  @ApiProperty() tunnelCidrV4!: string;
  @ApiProperty({ nullable: true, type: String }) tunnelCidrV6!: string | null;
  @ApiProperty() ephemeral!: boolean;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: ['active', 'dead', 'decommissioned'] }) status!: string;
  @ApiProperty() draining!: boolean;
  @ApiProperty() healthy!: boolean;
  @ApiProperty() generation!: number;
  @ApiProperty() pulseIntervalSec!: number;
  @ApiProperty() registeredAt!: string;
  @ApiProperty({ nullable: true, type: String }) lastPulseAt!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Load at the last pulse (from Redis)' }) load!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Peers at the last pulse (from Redis)' }) peers!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The tenant the node is dedicated to; null: the shared fleet' }) tenantId!: string | null;
}
