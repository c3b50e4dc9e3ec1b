/**
 * Machine-readable reasons a crypto operation refused its input.
 *
 * Callers branch on `code`, never on `message` (messages are for logs and may change).
 */
export enum CryptoErrorCode {
  /** A byte string or text has the wrong length. */
  INVALID_LENGTH = 'INVALID_LENGTH',
  /** An integer representative is not below the RSA modulus (RFC 8017 §5.2). */
  MESSAGE_OUT_OF_RANGE = 'MESSAGE_OUT_OF_RANGE',
  /** A signature, token or authentication tag does not verify. */
  INVALID_SIGNATURE = 'INVALID_SIGNATURE',
  /** A key is of the wrong type, size or shape. */
  INVALID_KEY = 'INVALID_KEY',
  /** A key id does not name the key in use. */
  UNKNOWN_KEY = 'UNKNOWN_KEY',
  /** A structure could not be parsed. */
  MALFORMED = 'MALFORMED',
  /** Text is not in the required canonical encoding (hex, base64, base64url). */
  INVALID_ENCODING = 'INVALID_ENCODING',
  /** A value is not of the expected type (not bytes, not a string, not an integer). */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** The token type is not 0x0002 (Blind RSA, 2048-bit). */
  UNSUPPORTED_TOKEN_TYPE = 'UNSUPPORTED_TOKEN_TYPE',
  /** An envelope or blob carries a version or algorithm this code does not know. */
  UNSUPPORTED_VERSION = 'UNSUPPORTED_VERSION',
  /** EMSA-PSS encoding cannot fit the message in the modulus (RFC 8017 §9.1.1). */
  ENCODING_ERROR = 'ENCODING_ERROR',
  /** The encoded message is not coprime with the modulus, or r has no inverse (RFC 9474 §4.2). */
  BLINDING_FAILED = 'BLINDING_FAILED',
  /** The RSA private operation produced a value that does not verify (RFC 9474 §4.3). */
  SIGNING_FAILURE = 'SIGNING_FAILURE',
  /** A token's challenge digest is not the one the origin expects. */
  CHALLENGE_MISMATCH = 'CHALLENGE_MISMATCH',
  /** Authenticated decryption failed: wrong key, wrong associated data or tampered ciphertext. */
  DECRYPTION_FAILED = 'DECRYPTION_FAILED',
  /** An envelope was sealed under a different key-encryption key. */
  WRONG_KEY_ENCRYPTION_KEY = 'WRONG_KEY_ENCRYPTION_KEY',
}

/**
 * The one error type this library throws for bad input or failed verification.
 *
 * @example
 * ```ts
 * try {
 *   decodeToken(bytes);
 * } catch (err) {
 *   if (isCryptoError(err, CryptoErrorCode.MALFORMED)) reply(400);
 *   else throw err;
 * }
 * ```
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';

  /**
   * @param code - the machine-readable reason
   * @param message - a human-readable explanation (never contains secret material)
   */
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Whether `err` is a {@link CryptoError}, optionally with the given code.
 *
 * @param err - anything caught
 * @param code - when given, the code `err` must carry
 * @returns true when `err` is a CryptoError (with that code)
 * @throws never
 * @example
 * ```ts
 * if (isCryptoError(err, CryptoErrorCode.UNKNOWN_KEY)) rotateKeys();
 * ```
 */
export function isCryptoError(err: unknown, code?: CryptoErrorCode): err is CryptoError {
  return err instanceof CryptoError && (code === undefined || err.code === code);
}
