import { createHash } from 'node:crypto';
import { DEV_SECRET_PREFIX } from '@phoenix/common';
import { parseKeyEncryptionKey } from '@phoenix/crypto';

/**
 * The 32-byte key-encryption key of the issuer private keys. Production takes a real key (64 hex
 * characters or base64 of 32 bytes; config refuses `dev-` values there); outside production a
 * `dev-…` string is stretched to 32 bytes with SHA-256 so the stack runs without setup.
 *
 * @throws Error naming ISSUER_KEY_ENCRYPTION_KEY when it is not a usable key
 */
export function issuerKek(value: string, nodeEnv: string): Uint8Array {
  if (nodeEnv !== 'production' && value.startsWith(DEV_SECRET_PREFIX)) return createHash('sha256').update(value).digest();
  try {
    return parseKeyEncryptionKey(value);
  } catch {
    throw new Error('ISSUER_KEY_ENCRYPTION_KEY: must be 64 hex characters or base64 of 32 bytes');
  }
}
