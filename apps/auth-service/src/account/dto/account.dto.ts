import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type, plainToInstance } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { LOCATION_ID } from '@phoenix/common';

export class NotificationPreferencesDto {
  @ApiProperty()
  @IsBoolean()
  email!: boolean;

  @ApiProperty()
  @IsBoolean()
  push!: boolean;
}

/** The whole preferences document (PUT replaces it; every field is required, unknown fields are 400). */
export class PreferencesDto {
  @ApiProperty({ type: String, nullable: true, example: 'de-fra', description: 'A location id, or null for automatic' })
  @ValidateIf((o: PreferencesDto) => o.defaultLocation !== null)
  @IsString()
  @Matches(LOCATION_ID, { message: 'defaultLocation must be a location id like "de-fra" or null' })
  defaultLocation!: string | null;

  @ApiProperty()
  @IsBoolean()
  blocklistEnabled!: boolean;

  @ApiProperty()
  @IsBoolean()
  killSwitch!: boolean;

  @ApiProperty({ type: NotificationPreferencesDto })
  @IsObject()
  @ValidateNested()
  // Not @Type: class-transformer crashes turning an array into a nested class (a 500 for
  // `"notifications": [true]`); only a plain object becomes the DTO, anything else fails IsObject.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? plainToInstance(NotificationPreferencesDto, value) : value,
  )
  notifications!: NotificationPreferencesDto;
}

export class SubscriptionDto {
  @ApiProperty({ enum: ['none', 'trialing', 'active', 'past_due', 'canceled', 'expired'] })
  status!: string;

  @ApiProperty({ type: String, nullable: true, example: 'monthly' })
  plan!: string | null;

  @ApiProperty({ enum: ['stripe', 'apple', 'trial'], nullable: true })
  provider!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  currentPeriodEnd!: string | null;

  @ApiProperty()
  entitled!: boolean;
}

export class AccountDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: SubscriptionDto })
  subscription!: SubscriptionDto;

  @ApiProperty({ type: PreferencesDto })
  preferences!: PreferencesDto;
}

export class PaymentsQueryDto {
  @ApiProperty({ required: false, description: 'Opaque cursor from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;

  @ApiProperty({ required: false, minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class PaymentDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['stripe', 'apple'] })
  provider!: string;

  @ApiProperty({ description: 'Minor units (cents); refunds are negative' })
  amount!: number;

  @ApiProperty({ example: 'eur' })
  currency!: string;

  @ApiProperty({ enum: ['paid', 'failed', 'refunded'] })
  status!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  paidAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  invoiceUrl!: string | null;
}

export class PaymentsPageDto {
  @ApiProperty({ type: [PaymentDto] })
  items!: PaymentDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
