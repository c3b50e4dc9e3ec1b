import { randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { assertBytes, assertString } from './asserts';
import { CryptoError, CryptoErrorCode } from './errors';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function view(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Concatenates byte strings into a new array.
 *
 * @param parts - the byte strings, in order
 * @returns a fresh Uint8Array holding all parts
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when a part is not a Uint8Array
 * @example
 * ```ts
 * concatBytes(Uint8Array.of(0, 2), nonce); // token_type ‖ nonce
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) {
    assertBytes(p, 'part');
    total += p.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Compares two byte strings in constant time (for equal lengths; a length mismatch returns early,
 * lengths are public everywhere this library compares).
 *
 * @param a - first byte string
 * @param b - second byte string
 * @returns true when both hold the same bytes
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when either is not a Uint8Array
 * @example
 * ```ts
 * if (!equalBytes(token.tokenKeyId, expectedKeyId)) throw ...;
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, 'a');
  assertBytes(b, 'b');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Encodes bytes as lowercase hex.
 *
 * @param bytes - the bytes
 * @returns lowercase hex, two characters per byte
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not a Uint8Array
 * @example
 * ```ts
 * bytesToHex(Uint8Array.of(0, 255)); // '00ff'
 * ```
 */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Decodes hex (either case, even length, nothing else) to bytes.
 *
 * @param hex - the hex text; an optional `0x` prefix is allowed
 * @returns the decoded bytes
 * @throws {@link CryptoError} `INVALID_ENCODING` when the text is not hex
 * @example
 * ```ts
 * hexToBytes('00ff'); // Uint8Array [0, 255]
 * ```
 */
export function hexToBytes(hex: string): Uint8Array {
  assertString(hex, 'hex');
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (!HEX_RE.test(body)) throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'not a hex string');
  return view(Buffer.from(body, 'hex'));
}

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5).
 *
 * @param bytes - the bytes
 * @returns base64url text, unpadded
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not a Uint8Array
 * @example
 * ```ts
 * base64urlEncode(Uint8Array.of(0xfb, 0xff)); // '-_8'
 * ```
 */
export function base64urlEncode(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes base64url (RFC 4648 §5), with or without `=` padding, rejecting any other character and
 * any non-canonical encoding (stray bits in the last character, wrong padding).
 *
 * @param text - base64url text
 * @returns the decoded bytes
 * @throws {@link CryptoError} `INVALID_ENCODING` when the text is not canonical base64url
 * @example
 * ```ts
 * base64urlDecode('-_8'); // Uint8Array [0xfb, 0xff]
 * base64urlDecode('-_8='); // the same
 * ```
 */
export function base64urlDecode(text: string): Uint8Array {
  assertString(text, 'base64url text');
  if (!BASE64URL_RE.test(text)) {
    throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'not base64url');
  }
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1 || (text.length !== unpadded.length && text.length % 4 !== 0)) {
    throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'bad base64url length or padding');
  }
  const buf = Buffer.from(unpadded, 'base64url');
  if (buf.toString('base64url') !== unpadded) {
    throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'non-canonical base64url');
  }
  return view(buf);
}

/**
 * Encodes bytes as standard, padded base64 (RFC 4648 §4).
 *
 * @param bytes - the bytes
 * @returns padded base64 text
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not a Uint8Array
 * @example
 * ```ts
 * base64Encode(new Uint8Array(32)); // 'AAAA…AAA=' (44 characters)
 * ```
 */
export function base64Encode(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes standard, padded base64 (RFC 4648 §4), rejecting missing padding, whitespace, the url
 * alphabet and non-canonical final characters.
 *
 * @param text - padded base64 text
 * @returns the decoded bytes
 * @throws {@link CryptoError} `INVALID_ENCODING` when the text is not canonical base64
 * @example
 * ```ts
 * base64Decode('AQI='); // Uint8Array [1, 2]
 * ```
 */
export function base64Decode(text: string): Uint8Array {
  assertString(text, 'base64 text');
  if (!BASE64_RE.test(text)) throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'not padded base64');
  const buf = Buffer.from(text, 'base64');
  if (buf.toString('base64') !== text) {
    throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'non-canonical base64');
  }
  return view(buf);
}

/**
 * Encodes a string as UTF-8.
 *
 * @param text - the string
 * @returns its UTF-8 bytes
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not a string
 * @example
 * ```ts
 * utf8Encode('issuer.example');
 * ```
 */
export function utf8Encode(text: string): Uint8Array {
  assertString(text, 'text');
  return utf8Encoder.encode(text);
}

/**
 * Decodes UTF-8, rejecting invalid sequences (so decode-then-encode gives back the same bytes).
 *
 * @param bytes - UTF-8 bytes
 * @returns the string
 * @throws {@link CryptoError} `INVALID_ENCODING` when the bytes are not valid UTF-8
 * @example
 * ```ts
 * utf8Decode(Uint8Array.of(0x68, 0x69)); // 'hi'
 * ```
 */
export function utf8Decode(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'invalid UTF-8');
  }
}

/**
 * Cryptographically secure random bytes (OpenSSL's CSPRNG).
 *
 * @param length - how many bytes
 * @returns fresh random bytes
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when length is not a non-negative integer
 * @example
 * ```ts
 * const nonce = randomBytes(32);
 * ```
 */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'length must be a non-negative integer');
  }
  return view(nodeRandomBytes(length));
}
