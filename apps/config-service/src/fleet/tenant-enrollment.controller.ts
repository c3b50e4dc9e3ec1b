import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminGuard, AppError, ErrorCode } from '@phoenix/common';
import { TenantEnrollmentResponse } from './dto/register-node.dto';
import { FleetService } from './fleet.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Admin: node enrollment tokens of tenants (nodes dedicated to one tenant register with its token
 * and `"tenantId"`). The tenant id is auth-service's; config-service does not check that the tenant
 * exists (a node dedicated to an unknown tenant only ever stays empty).
 */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/tenants')
export class TenantEnrollmentController {
  constructor(private readonly fleet: FleetService) {}

  @Post(':tenantId/enrollment-token')
  @HttpCode(201)
  @ApiOperation({ summary: "Admin: a new node enrollment token for a tenant's dedicated nodes (shown once; replaces the previous one)" })
  @ApiResponse({ status: 201, type: TenantEnrollmentResponse })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED: tenantId is not a UUID' })
  enrollmentToken(@Param('tenantId') tenantId: string): Promise<TenantEnrollmentResponse> {
    if (!UUID.test(tenantId)) throw new AppError(ErrorCode.VALIDATION_FAILED, 'tenantId must be a UUID');
    return this.fleet.tenantEnrollmentToken(tenantId);
  }
}
