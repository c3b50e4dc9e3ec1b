import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsString, ValidateNested } from 'class-validator';
import { AppError } from '../errors/app-error';
import { strictValidationPipe } from './bootstrap';

class Channels {
  @IsBoolean()
  email!: boolean;
}

class Prefs {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => Channels)
  channels!: Channels;
}

const body: ArgumentMetadata = { type: 'body', metatype: Prefs };

async function codeOf(value: unknown): Promise<string | undefined> {
  try {
    await strictValidationPipe().transform(value, body);
    return undefined;
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
}

describe('strictValidationPipe', () => {
  it('accepts a valid body', async () => {
    expect(await codeOf({ name: 'a', channels: { email: true } })).toBeUndefined();
  });

  it.each([
    ['an unknown field', { name: 'a', channels: { email: true }, extra: 1 }],
    ['an unknown nested field', { name: 'a', channels: { email: true, sms: true } }],
    ['a wrong type', { name: 3, channels: { email: true } }],
    ['an array where an object belongs', { name: 'a', channels: [true] }],
    ['a string where an object belongs', { name: 'a', channels: 'yes' }],
    ['null', null],
    ['an array body', [1, 2]],
  ])('rejects %s with 400 VALIDATION_FAILED, never a crash', async (_label, value) => {
    expect(await codeOf(value)).toBe('VALIDATION_FAILED');
  });
});
