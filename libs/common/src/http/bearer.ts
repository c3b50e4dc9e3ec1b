import { createHash, timingSafeEqual } from 'node:crypto';

/** The credentials of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(header);
  return m ? (m[1] as string) : null;
}

/**
 * Constant-time comparison of two secrets: both are hashed first, so neither the length nor any
 * prefix of the expected secret leaks through timing.
 */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
