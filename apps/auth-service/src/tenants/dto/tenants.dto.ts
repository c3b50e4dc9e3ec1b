import { ApiProperty } from '@nestjs/swagger';
import { Transform, plainToInstance } from 'class-transformer';
import { IsEmail, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf, ValidateNested } from 'class-validator';

/** A Stripe customer id, as the `tenants.stripe_customer_id` check allows it. */
const STRIPE_CUSTOMER_ID = /^cus_[A-Za-z0-9]{1,250}$/;

// --- operator ------------------------------------------------------------------------------------

/** A tenant's plan: positive integers within sane bounds (anything else is 400 VALIDATION_FAILED). */
export class PlanDto {
  @ApiProperty({ minimum: 1, maximum: 10_000_000, example: 1000 })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  maxUsers!: number;

  @ApiProperty({ minimum: 1, maximum: 1000, example: 5 })
  @IsInt()
  @Min(1)
  @Max(1000)
  maxDevicesPerUser!: number;

  @ApiProperty({ minimum: 1, maximum: 100_000, example: 48 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  tokensPerDevicePerDay!: number;

  @ApiProperty({ minimum: 1, maximum: 720, example: 24, description: 'Lease TTL of the tenant’s connections (hours, at most 30 days)' })
  @IsInt()
  @Min(1)
  @Max(720)
  leaseTtlHours!: number;
}

export class CreateTenantDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Acme Corp' })
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(200)
  name!: string;

  @ApiProperty({ type: PlanDto })
  @IsObject()
  @ValidateNested()
  // Only a plain object becomes the DTO (an array would crash class-transformer: a 500).
  @Transform(({ value }: { value: unknown }) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? plainToInstance(PlanDto, value) : value))
  plan!: PlanDto;

  @ApiProperty({ required: false, example: 'cus_NffrFeUfNV2Hib', description: 'Optional: the Stripe customer the monthly usage report bills (meter events)' })
  @IsOptional()
  @IsString()
  @Matches(STRIPE_CUSTOMER_ID, { message: 'stripeCustomerId must be a Stripe customer id (cus_…)' })
  stripeCustomerId?: string;
}

/** `PUT /admin/tenants/:id/billing`: the Stripe customer to bill, or null to stop billing by meter. */
export class TenantBillingDto {
  @ApiProperty({ type: String, nullable: true, example: 'cus_NffrFeUfNV2Hib' })
  @ValidateIf((o: TenantBillingDto) => o.stripeCustomerId !== null)
  @IsString()
  @Matches(STRIPE_CUSTOMER_ID, { message: 'stripeCustomerId must be a Stripe customer id (cus_…) or null' })
  stripeCustomerId!: string | null;
}

export class TenantBillingViewDto {
  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({ type: String, nullable: true })
  stripeCustomerId!: string | null;
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: string;

  @ApiProperty({ type: PlanDto })
  plan!: PlanDto;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'phx_live_ab12cd34', description: 'The visible start of the key, to tell keys apart' })
  prefix!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;
}

export class CreatedApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The key itself — shown this once; only its hash is stored' })
  apiKey!: string;

  @ApiProperty({ example: 'phx_live_ab12cd34' })
  prefix!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

// --- tenant users ----------------------------------------------------------------------------------

export class RegisterDto {
  @ApiProperty({ format: 'email', maxLength: 254 })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email!: string;

  @ApiProperty({ minLength: 10, maxLength: 1024 })
  @IsString()
  @MinLength(10)
  @MaxLength(1024)
  password!: string;
}

/** Login takes any password up to the bound (a short one simply does not match). */
export class LoginDto {
  @ApiProperty({ format: 'email', maxLength: 254 })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email!: string;

  @ApiProperty({ maxLength: 1024 })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refreshToken!: string;
}

export class TenantUserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;
}

export class AuthResultDto {
  @ApiProperty({ type: TenantUserDto })
  user!: TenantUserDto;

  @ApiProperty({ description: 'A JWT (HS256) that lives 15 minutes' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque; works once' })
  refreshToken!: string;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

// --- devices -------------------------------------------------------------------------------------

export class CreateDeviceDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Work laptop' })
  @IsString()
  @Matches(/\S/, { message: 'deviceName must not be blank' })
  @MaxLength(100)
  deviceName!: string;

  @ApiProperty({ minLength: 1, maxLength: 32, example: 'macos', description: 'A short platform name: letters, digits, `_`, `-`, `.`' })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,32}$/, { message: 'platform must be 1-32 characters of letters, digits, _ . -' })
  platform!: string;
}

export class DeviceDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  deviceName!: string;

  @ApiProperty()
  platform!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}
