import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsUUID, Max, Min } from 'class-validator';

/** At most this many tenants in one pulse (node-daemon sends the rest with its next pulse). */
export const MAX_PULSE_TENANTS = 1000;

/** One tenant's traffic on a node since its previous pulse (`tenantBytes` of a pulse). */
export class TenantBytesDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  tenantId!: string;

  @ApiProperty({ description: 'rx + tx bytes of the tenant’s peers since the previous pulse', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  bytes!: number;
}
