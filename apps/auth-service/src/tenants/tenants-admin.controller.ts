import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminGuard, Clock } from '@phoenix/common';
import { JsonBodyGuard } from '../core/json-body.guard';
import { ApiKeyDto, CreateTenantDto, CreatedApiKeyDto, TenantBillingDto, TenantBillingViewDto, TenantDto } from './dto/tenants.dto';
import { tenantView } from './tenant-plan';
import { TenantsRepository } from './tenants.repository';

/** The operator's tenant endpoints (`Authorization: Bearer <ADMIN_TOKEN>`). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or wrong ADMIN_TOKEN (UNAUTHENTICATED)' })
@ApiServiceUnavailableResponse({ description: 'A dependency is down (UNAVAILABLE)' })
@UseGuards(JsonBodyGuard, AdminGuard)
@Controller('admin/tenants')
export class TenantsAdminController {
  constructor(
    private readonly tenants: TenantsRepository,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a tenant with its plan limits (active)' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiBadRequestResponse({ description: 'Bad name or plan: positive integers within bounds (VALIDATION_FAILED)' })
  async create(@Body() body: CreateTenantDto): Promise<TenantDto> {
    return tenantView(await this.tenants.create(body.name.trim(), { ...body.plan }, this.clock.now(), body.stripeCustomerId ?? null));
  }

  @Get(':id/billing')
  @ApiOperation({ summary: 'The Stripe customer the monthly usage report bills (null: none)' })
  @ApiOkResponse({ type: TenantBillingViewDto })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async billing(@Param('id') id: string): Promise<TenantBillingViewDto> {
    const t = await this.tenants.get(id);
    return { tenantId: t.id, stripeCustomerId: t.stripeCustomerId };
  }

  @Put(':id/billing')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the Stripe customer the monthly usage report bills (meter events), or null to stop' })
  @ApiOkResponse({ type: TenantBillingViewDto })
  @ApiBadRequestResponse({ description: 'Not a Stripe customer id (cus_…) or null (VALIDATION_FAILED)' })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async setBilling(@Param('id') id: string, @Body() body: TenantBillingDto): Promise<TenantBillingViewDto> {
    const t = await this.tenants.setStripeCustomer(id, body.stripeCustomerId, this.clock.now());
    return { tenantId: t.id, stripeCustomerId: t.stripeCustomerId };
  }

  @Get()
  @ApiOperation({ summary: 'Every tenant, oldest first' })
  @ApiOkResponse({ type: TenantDto, isArray: true })
  async list(): Promise<TenantDto[]> {
    return (await this.tenants.list()).map(tenantView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async get(@Param('id') id: string): Promise<TenantDto> {
    return tenantView(await this.tenants.get(id));
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend a tenant: every tenant call answers 403 TENANT_SUSPENDED (idempotent)' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async suspend(@Param('id') id: string): Promise<TenantDto> {
    return tenantView(await this.tenants.setStatus(id, 'suspended', this.clock.now()));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a suspended tenant (idempotent)' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async resume(@Param('id') id: string): Promise<TenantDto> {
    return tenantView(await this.tenants.setStatus(id, 'active', this.clock.now()));
  }

  @Post(':id/api-keys')
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue an API key: the key is in this answer only; only its SHA-256 is stored' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async issueKey(@Param('id') id: string): Promise<CreatedApiKeyDto> {
    const { row, apiKey } = await this.tenants.issueKey(id, this.clock.now());
    return { id: row.id, apiKey, prefix: row.prefix, createdAt: row.createdAt.toISOString() };
  }

  @Get(':id/api-keys')
  @ApiOperation({ summary: "The tenant's API keys, without secrets (revoked ones with revokedAt)" })
  @ApiOkResponse({ type: ApiKeyDto, isArray: true })
  @ApiNotFoundResponse({ description: 'No such tenant (NOT_FOUND)' })
  async keys(@Param('id') id: string): Promise<ApiKeyDto[]> {
    return (await this.tenants.keys(id)).map((k) => ({ id: k.id, prefix: k.prefix, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null }));
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key: it answers 401 INVALID_API_KEY from now on (idempotent)' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ description: 'No such tenant, or the tenant has no such key (NOT_FOUND)' })
  async revokeKey(@Param('id') id: string, @Param('keyId') keyId: string): Promise<void> {
    await this.tenants.revokeKey(id, keyId, this.clock.now());
  }
}
