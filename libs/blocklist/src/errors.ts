/**
 * The one error type of `@phoenix/blocklist`. Callers switch on `code`, never on the message.
 *
 * Only impossible requests throw (a false-positive rate outside (0, 1), a filter too large to
 * hold, bytes that do not match the stated size). A hosts file never does: its bad lines are
 * counted and reported by {@link parseHosts}.
 */
export enum BlocklistErrorCode {
  /** An argument is out of range or of the wrong type. */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** A name given to the builder is not in the normalized form lookups hash. */
  NOT_NORMALIZED = 'NOT_NORMALIZED',
  /** The filter would exceed {@link MAX_FILTER_BITS}. */
  TOO_LARGE = 'TOO_LARGE',
  /** Filter bytes that do not match their stated size or carry set padding bits. */
  MALFORMED_FILTER = 'MALFORMED_FILTER',
}

/**
 * Thrown by this library on bad input or an impossible request.
 *
 * @example
 * try { bloomParameters(0, 1e-6); } catch (e) { if (isBlocklistError(e, BlocklistErrorCode.INVALID_ARGUMENT)) … }
 */
export class BlocklistError extends Error {
  override readonly name = 'BlocklistError';

  constructor(
    readonly code: BlocklistErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * True when `error` is a {@link BlocklistError}, optionally with the given code.
 *
 * @example
 * isBlocklistError(new BlocklistError(BlocklistErrorCode.TOO_LARGE, '…'), BlocklistErrorCode.TOO_LARGE); // true
 */
export function isBlocklistError(error: unknown, code?: BlocklistErrorCode): error is BlocklistError {
  return error instanceof BlocklistError && (code === undefined || error.code === code);
}

/** A short, single-line, quoted rendering of an untrusted value for an error message. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
