// The blocklist signing key (`BLOCKLIST_SIGNING_KEY`): an Ed25519 private key as its 32-byte seed
// (RFC 8032), written as 64 hex digits or base64. Apps pin the public key, given as base64 — the
// encoding of the manifest's `signature`, and one the reference client's `--blocklist-key` takes.
import { manifestPublicKey } from '@phoenix/blocklist';
import { DEV_SECRET_PREFIX } from '@phoenix/common';

/**
 * The development default: a fixed key, published in this repository, so a development platform
 * and its client agree without setup. Its `dev-` prefix makes a production job-worker refuse it.
 */
export const DEV_BLOCKLIST_SIGNING_KEY = `${DEV_SECRET_PREFIX}ab18ea594e8e613d8e25740b6cffc00008b3e8933777ca427f5fa898a1aa7c45`;

/**
 * Decodes a signing key: 64 hex digits or base64 (standard or URL-safe) of 32 bytes, after an
 * optional `dev-` prefix.
 *
 * @throws Error saying what a key looks like (never echoing the value)
 * @example
 * parseSigningKey('dev-ab18…7c45'); // Uint8Array(32)
 */
export function parseSigningKey(text: string): Uint8Array {
  const t = (text.startsWith(DEV_SECRET_PREFIX) ? text.slice(DEV_SECRET_PREFIX.length) : text).trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!bytes || bytes.length !== 32) throw new Error('must be an Ed25519 private key: 32 bytes as 64 hex digits or base64 (optionally after "dev-")');
  return Uint8Array.from(bytes);
}

/** The public key apps pin, base64 (44 characters). */
export function publicKeyBase64(secretKey: Uint8Array): string {
  return Buffer.from(manifestPublicKey(secretKey)).toString('base64');
}
