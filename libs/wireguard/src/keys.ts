import { fail } from './assert';
import { WireGuardErrorCode } from './errors';

/** Length in bytes of a Curve25519 key (public, private or preshared). */
export const WIREGUARD_KEY_BYTES = 32;

// 32 bytes = 42 full base64 chars + 1 char carrying 4 data bits + '='. The last data char must have
// its 2 unused low bits clear, which leaves exactly these 16 symbols; anything else would decode
// to the same bytes but re-encode differently, i.e. not be canonical.
const CANONICAL_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

function checkedBytes(text: unknown, field: string): Uint8Array {
  // The message never echoes the input: what was passed may be a private key.
  if (typeof text !== 'string' || !CANONICAL_KEY.test(text)) {
    fail(WireGuardErrorCode.INVALID_KEY, `${field} is not a canonical base64 WireGuard key (44 chars, 32 bytes)`);
  }
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  if (bytes.length !== WIREGUARD_KEY_BYTES || Buffer.from(bytes).toString('base64') !== text) {
    fail(WireGuardErrorCode.INVALID_KEY, `${field} is not a canonical base64 WireGuard key`);
  }
  // An all-zero key is what an unset key looks like; as a peer key it makes every DH output zero.
  if (bytes.every((byte) => byte === 0)) fail(WireGuardErrorCode.INVALID_KEY, `${field} is the all-zero key`);
  return bytes;
}

/**
 * Decodes a WireGuard key: standard padded base64, exactly 32 bytes, canonical (re-encoding gives
 * the same string), not all zeros.
 *
 * @throws {WireGuardError} INVALID_KEY (the message never contains the input)
 * @example parseWireGuardKey('xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=') // → Uint8Array(32)
 */
export function parseWireGuardKey(text: string, field = 'key'): Uint8Array {
  return checkedBytes(text, field);
}

/**
 * Checks a key and returns it unchanged, for validating fields inline.
 *
 * @throws {WireGuardError} INVALID_KEY
 */
export function assertWireGuardKey(text: string, field = 'key'): string {
  checkedBytes(text, field);
  return text;
}

/** True when `text` is a valid WireGuard key (see {@link parseWireGuardKey}). */
export function isValidWireGuardKey(text: unknown): boolean {
  try {
    checkedBytes(text, 'key');
    return true;
  } catch {
    return false;
  }
}

/**
 * Encodes 32 key bytes as WireGuard base64.
 *
 * @throws {WireGuardError} INVALID_KEY when not exactly 32 bytes
 */
export function encodeWireGuardKey(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== WIREGUARD_KEY_BYTES) {
    fail(WireGuardErrorCode.INVALID_KEY, `a WireGuard key is ${WIREGUARD_KEY_BYTES} bytes`);
  }
  return Buffer.from(bytes).toString('base64');
}
