import { base64urlDecode, isCryptoError, parseAuthChallenges, parseAuthorization } from '@phoenix/crypto';
import { badRequest } from './redemption.errors';

/** Whether an Authorization header carries the PrivateToken scheme (RFC 9577 §2.2.2). */
export function hasPrivateTokenCredentials(header: string | undefined): boolean {
  if (!header) return false;
  try {
    return parseAuthChallenges(header).some((c) => c.scheme.toLowerCase() === 'privatetoken');
  } catch {
    // Unparsable: let the redemption report it as malformed rather than as "no token".
    return /privatetoken/i.test(header);
  }
}

/**
 * The token bytes from `Authorization: PrivateToken token="…"` or the body's `token` field.
 * `inHeader`: what {@link hasPrivateTokenCredentials} said of `header`, when the caller asked already.
 * @throws AppError VALIDATION_FAILED for both at once, or for bad base64url
 */
export function tokenBytes(header: string | undefined, bodyToken: string | undefined, inHeader = hasPrivateTokenCredentials(header)): Uint8Array {
  if (inHeader && bodyToken !== undefined) throw badRequest('send the token once: in the Authorization header or in the body');
  try {
    return inHeader ? parseAuthorization(header as string) : base64urlDecode(bodyToken ?? '');
  } catch (e) {
    if (isCryptoError(e)) throw badRequest('token is not valid base64url in a PrivateToken credential');
    throw e;
  }
}
