import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AppError, Clock, ErrorCode } from '@phoenix/common';
import { JsonBodyGuard } from '../core/json-body.guard';
import { AuthResultDto, CreateDeviceDto, DeviceDto, LoginDto, MeDto, RefreshDto, RegisterDto } from './dto/tenants.dto';
import type { TenantDevice } from '../database/entities';
import { TenantAuthService } from './tenant-auth.service';
import { ApiKeyGuard, CurrentTenant, CurrentTenantUser, TenantUserGuard } from './tenant.guards';
import type { TenantScope } from './tenant-scope';
import type { TokenPair } from './tenant-tokens';

const API_KEY_HEADER = { name: 'X-API-Key', required: true, description: "The tenant's API key (phx_live_…)" };

/** A tenant's users: register, login, refresh, me (`X-API-Key` on every call). */
@ApiTags('tenant')
@ApiHeader(API_KEY_HEADER)
@ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked API key (INVALID_API_KEY)' })
@ApiForbiddenResponse({ description: 'The tenant is suspended (TENANT_SUSPENDED)' })
@ApiServiceUnavailableResponse({ description: 'A dependency is down (UNAVAILABLE)' })
@UseGuards(JsonBodyGuard, ApiKeyGuard)
@Controller('api/v1/auth')
export class TenantAuthController {
  constructor(private readonly auth: TenantAuthService) {}

  @Post('register')
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a user of the tenant (password ≥ 10 characters, argon2id-hashed)' })
  @ApiCreatedResponse({ type: AuthResultDto })
  @ApiBadRequestResponse({ description: 'Bad email or password (VALIDATION_FAILED)' })
  @ApiConflictResponse({ description: 'The email is registered in this tenant (EMAIL_TAKEN)' })
  register(@CurrentTenant() scope: TenantScope, @Body() body: RegisterDto): Promise<AuthResultDto> {
    return this.auth.register(scope, body.email, body.password);
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in; an unknown email answers exactly like a wrong password' })
  @ApiOkResponse({ type: AuthResultDto })
  @ApiTooManyRequestsResponse({ description: 'Too many logins with this API key or for this account (RATE_LIMITED, Retry-After)' })
  login(@CurrentTenant() scope: TenantScope, @Body() body: LoginDto): Promise<AuthResultDto> {
    return this.auth.login(scope, body.email, body.password);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new token pair; the refresh token works once (a reused one revokes its whole family: 401 INVALID_TOKEN)' })
  @ApiOkResponse({ description: 'The new pair', schema: { type: 'object', properties: { accessToken: { type: 'string' }, refreshToken: { type: 'string' } } } })
  refresh(@CurrentTenant() scope: TenantScope, @Body() body: RefreshDto): Promise<TokenPair> {
    return this.auth.refresh(scope, body.refreshToken);
  }

  @Get('me')
  @UseGuards(TenantUserGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The user of the access token' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentTenant() scope: TenantScope, @CurrentTenantUser() userId: string): Promise<MeDto> {
    return this.auth.me(scope, userId);
  }
}

function deviceView(d: TenantDevice): DeviceDto {
  return { id: d.id, deviceName: d.deviceName, platform: d.platform, createdAt: d.createdAt.toISOString() };
}

/**
 * A tenant user's devices (API key + Bearer). Only a name and a platform: no WireGuard key,
 * address or connection is stored on the identity side. Per-device token issuance (issue 17 item
 * 4) goes through `TenantScope.device`, so a deleted device gets no more tokens.
 */
@ApiTags('tenant')
@ApiHeader(API_KEY_HEADER)
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Bad API key (INVALID_API_KEY), missing access token (UNAUTHENTICATED), bad or foreign one (INVALID_TOKEN)' })
@ApiForbiddenResponse({ description: 'The tenant is suspended (TENANT_SUSPENDED), or the plan limit is reached (PLAN_LIMIT)' })
@ApiServiceUnavailableResponse({ description: 'A dependency is down (UNAVAILABLE)' })
@UseGuards(JsonBodyGuard, ApiKeyGuard, TenantUserGuard)
@Controller('api/v1/devices')
export class TenantDevicesController {
  constructor(private readonly clock: Clock) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: "Add a device (at most the plan's maxDevicesPerUser)" })
  @ApiCreatedResponse({ type: DeviceDto })
  @ApiBadRequestResponse({ description: 'Bad deviceName or platform (VALIDATION_FAILED)' })
  async create(@CurrentTenant() scope: TenantScope, @CurrentTenantUser() userId: string, @Body() body: CreateDeviceDto): Promise<DeviceDto> {
    return deviceView(await scope.createDevice(userId, body.deviceName.trim(), body.platform, this.clock.now()));
  }

  @Get()
  @ApiOperation({ summary: "The user's devices, oldest first" })
  @ApiOkResponse({ type: DeviceDto, isArray: true })
  async list(@CurrentTenant() scope: TenantScope, @CurrentTenantUser() userId: string): Promise<DeviceDto[]> {
    return (await scope.devices(userId)).map(deviceView);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a device: it gets no more tokens' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'The user has no such device (NOT_FOUND)' })
  async remove(@CurrentTenant() scope: TenantScope, @CurrentTenantUser() userId: string, @Param('id') id: string): Promise<void> {
    if (!(await scope.deleteDevice(userId, id))) throw new AppError(ErrorCode.NOT_FOUND, 'no such device');
  }
}
