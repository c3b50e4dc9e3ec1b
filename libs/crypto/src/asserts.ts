import { CryptoError, CryptoErrorCode } from './errors';

/**
 * Asserts `value` is a Uint8Array (a Buffer counts), optionally of an exact length.
 *
 * @param value - the value to check
 * @param name - what the value is, for the error message
 * @param length - the exact length required, if any
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not bytes, `INVALID_LENGTH` when the length differs
 * @example
 * ```ts
 * assertBytes(nonce, 'nonce', 32);
 * ```
 */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, `${name} must be a Uint8Array`);
  }
  if (length !== undefined && value.length !== length) {
    throw new CryptoError(
      CryptoErrorCode.INVALID_LENGTH,
      `${name} must be ${length} bytes, got ${value.length}`,
    );
  }
}

/**
 * Asserts `value` is a Uint8Array whose length lies in `[min, max]`.
 *
 * @param value - the value to check
 * @param name - what the value is, for the error message
 * @param min - smallest allowed length
 * @param max - largest allowed length
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not bytes, `INVALID_LENGTH` when out of range
 * @example
 * ```ts
 * assertBytesRange(context, 'redemption_context', 0, 32);
 * ```
 */
export function assertBytesRange(
  value: unknown,
  name: string,
  min: number,
  max: number,
): asserts value is Uint8Array {
  assertBytes(value, name);
  if (value.length < min || value.length > max) {
    throw new CryptoError(
      CryptoErrorCode.INVALID_LENGTH,
      `${name} must be ${min}..${max} bytes, got ${value.length}`,
    );
  }
}

/**
 * Asserts `value` is a string.
 *
 * @param value - the value to check
 * @param name - what the value is, for the error message
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not a string
 * @example
 * ```ts
 * assertString(header, 'WWW-Authenticate header');
 * ```
 */
export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, `${name} must be a string`);
  }
}

/**
 * Asserts `value` is an integer in `[min, max]`.
 *
 * @param value - the value to check
 * @param name - what the value is, for the error message
 * @param min - smallest allowed value
 * @param max - largest allowed value
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not such an integer
 * @example
 * ```ts
 * assertInteger(tokenType, 'token_type', 0, 0xffff);
 * ```
 */
export function assertInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, `${name} must be an integer in ${min}..${max}`);
  }
}
