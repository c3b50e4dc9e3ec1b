import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, Matches } from 'class-validator';

/** `DELETE /vpn/config`: the lease, and the release token handed out with its config. */
export class ReleaseLeaseDto {
  @ApiProperty({ format: 'uuid', description: 'lease.id from the POST /vpn/config answer' })
  @IsUUID('all')
  leaseId!: string;

  @ApiProperty({ description: 'lease.releaseToken from the POST /vpn/config answer (base64url, 32 bytes)' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'releaseToken must be 43 characters of base64url' })
  releaseToken!: string;
}
