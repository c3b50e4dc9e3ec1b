/**
 * The one error type of `@phoenix/wireguard`. Callers switch on `code`, never on the message.
 *
 * Messages never contain key material: a rejected key may be a private key, and error messages
 * end up in logs.
 */
export enum WireGuardErrorCode {
  INVALID_KEY = 'INVALID_KEY',
  INVALID_ADDRESS = 'INVALID_ADDRESS',
  INVALID_CIDR = 'INVALID_CIDR',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  INVALID_INTERFACE = 'INVALID_INTERFACE',
  POOL_EXHAUSTED = 'POOL_EXHAUSTED',
  PARSE_ERROR = 'PARSE_ERROR',
  COMMAND_FAILED = 'COMMAND_FAILED',
}

/**
 * Thrown by every function of this library on bad input or an impossible request.
 *
 * @example
 * try { parseCidr('100.64.0.1/16'); } catch (e) { if (isWireGuardError(e, WireGuardErrorCode.INVALID_CIDR)) … }
 */
export class WireGuardError extends Error {
  override readonly name = 'WireGuardError';

  constructor(
    readonly code: WireGuardErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `error` is a {@link WireGuardError}, optionally with the given code. */
export function isWireGuardError(error: unknown, code?: WireGuardErrorCode): error is WireGuardError {
  return error instanceof WireGuardError && (code === undefined || error.code === code);
}
