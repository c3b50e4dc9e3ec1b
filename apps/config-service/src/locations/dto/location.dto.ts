import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class PutLocationDto {
  @ApiProperty({ example: 'DE', description: 'ISO 3166-1 alpha-2, upper case' })
  @IsString()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code in upper case' })
  country!: string;

  @ApiProperty({ example: 'Frankfurt' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  city!: string;
}

export class PublicLocationView {
  @ApiProperty({ example: 'de-fra' }) id!: string;
  @ApiProperty({ example: 'DE' }) country!: string;
  @ApiProperty({ example: 'Frankfurt' }) city!: string;
  @ApiProperty() available!: boolean;
  @ApiProperty({ enum: ['low', 'medium', 'high'] }) load!: 'low' | 'medium' | 'high';
}

export class AdminLocationView {
  @ApiProperty({ example: 'de-fra' }) id!: string;
  @ApiProperty({ example: 'DE' }) country!: string;
  @ApiProperty({ example: 'Frankfurt' }) city!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
