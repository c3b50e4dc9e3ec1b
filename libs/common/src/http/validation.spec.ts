import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsString, ValidateNested } from 'class-validator';
import { AppError } from '../errors/app-error';
import { strictValidationPipe, validateJsonObject } from './bootstrap';

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

describe('validateJsonObject', () => {
  /** What the pipe answers: the instance, or the error's code and message. */
  async function viaPipe(value: object): Promise<unknown> {
    try {
      return await strictValidationPipe().transform(value, body);
    } catch (e) {
      return e instanceof AppError ? { code: e.code, message: e.message } : e;
    }
  }
  function direct(value: object): unknown {
    try {
      return validateJsonObject(Prefs, value);
    } catch (e) {
      return e instanceof AppError ? { code: e.code, message: e.message } : e;
    }
  }

  it.each([
    ['a valid body', { name: 'a', channels: { email: true } }],
    ['an unknown field', { name: 'a', channels: { email: true }, extra: 1 }],
    ['an unknown nested field', { name: 'a', channels: { email: true, sms: true } }],
    ['a wrong type', { name: 3, channels: { email: true } }],
    ['two faults', { name: 3, channels: { email: 'no' }, extra: 1 }],
    ['an array where an object belongs', { name: 'a', channels: [true] }],
    ['a string where an object belongs', { name: 'a', channels: 'yes' }],
    ['a missing field', { channels: { email: true } }],
    ['an empty object', {}],
  ])('answers %s as the strict pipe does', async (_label, value) => {
    const expected = await viaPipe(structuredClone(value));
    const got = direct(structuredClone(value));
    expect(got).toEqual(expected);
    if (expected instanceof Prefs) expect(got).toBeInstanceOf(Prefs);
    else expect(got).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
