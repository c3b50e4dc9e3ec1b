import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What every API key starts with; the next {@link PREFIX_RANDOM_CHARS} characters make the visible prefix. */
export const API_KEY_SCHEME = 'phx_live_';
const PREFIX_RANDOM_CHARS = 8;
const API_KEY_SHAPE = /^phx_live_[A-Za-z0-9_-]{43}$/;

/**
 * SHA-256 (hex) of a high-entropy secret (an API key or a refresh token: 256 random bits each).
 *
 * Not argon2 on purpose: a memory-hard hash protects low-entropy secrets (passwords) against
 * guessing; a 256-bit random key cannot be guessed whatever the hash, so a slow hash would add
 * nothing but tens of milliseconds and ~19 MiB of memory to every tenant request — a denial of
 * service lever for anyone sending junk keys. No salt is needed either: every key is unique.
 */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export interface NewApiKey {
  apiKey: string;
  prefix: string;
  hash: string;
}

/** `phx_live_` + 32 random bytes (base64url); its prefix (`phx_live_` + 8 characters) is stored in clear. */
export function newApiKey(): NewApiKey {
  const apiKey = `${API_KEY_SCHEME}${randomBytes(32).toString('base64url')}`;
  return { apiKey, prefix: apiKeyPrefix(apiKey), hash: sha256Hex(apiKey) };
}

export function apiKeyPrefix(apiKey: string): string {
  return apiKey.slice(0, API_KEY_SCHEME.length + PREFIX_RANDOM_CHARS);
}

/** Whether a header value has the shape of an API key (anything else is refused before any lookup). */
export function looksLikeApiKey(value: unknown): value is string {
  return typeof value === 'string' && API_KEY_SHAPE.test(value);
}

/** An opaque refresh token: 32 random bytes, base64url. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}
