import { Body, Controller, Delete, HttpCode } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ReleaseLeaseDto } from './dto/release-lease.dto';
import { LeaseReleaseService } from './lease-release.service';

@ApiTags('vpn')
@Controller('vpn')
export class LeaseReleaseController {
  constructor(private readonly release: LeaseReleaseService) {}

  @Delete('config')
  @HttpCode(204)
  @ApiOperation({ summary: 'End a lease at once with its release token (disconnect); its peer is removed from the node' })
  @ApiResponse({ status: 204, description: 'Ended' })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED / MALFORMED_BODY' })
  @ApiResponse({ status: 404, description: 'UNKNOWN_LEASE: unknown, already ended, or not this release token' })
  @ApiResponse({ status: 503, description: 'UNAVAILABLE' })
  async releaseLease(@Body() dto: ReleaseLeaseDto): Promise<void> {
    await this.release.release(dto.leaseId, dto.releaseToken);
  }
}
