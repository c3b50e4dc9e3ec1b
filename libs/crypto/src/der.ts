import { CryptoError, CryptoErrorCode } from './errors';

/** A DER tag-length-value element located inside a buffer. */
export interface DerElement {
  /** The identifier octet (only single-octet tags are supported; that is all SPKI needs). */
  readonly tag: number;
  /** The contents octets. */
  readonly value: Uint8Array;
  /** The whole element: identifier, length and contents. */
  readonly raw: Uint8Array;
}

/**
 * Reads one DER element at `offset`, with definite minimal-length encoding only (X.690 §10.1).
 *
 * @param bytes - the buffer
 * @param offset - where the element starts
 * @returns the element and the offset just past it
 * @throws {@link CryptoError} `MALFORMED` on truncation, indefinite or non-minimal lengths
 * @example
 * ```ts
 * const { element: spki } = readDer(bytes, 0);
 * ```
 */
export function readDer(bytes: Uint8Array, offset: number): { element: DerElement; next: number } {
  const fail = (why: string): never => {
    throw new CryptoError(CryptoErrorCode.MALFORMED, `bad DER: ${why}`);
  };
  if (offset + 2 > bytes.length) fail('truncated');
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) fail('multi-byte tag');
  let len = bytes[offset + 1];
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) fail('unsupported length');
    if (pos + n > bytes.length) fail('truncated length');
    if (bytes[pos] === 0) fail('non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[pos + i];
    if (len < 0x80) fail('non-minimal length');
    pos += n;
  }
  if (pos + len > bytes.length) fail('truncated value');
  return {
    element: { tag, value: bytes.subarray(pos, pos + len), raw: bytes.subarray(offset, pos + len) },
    next: pos + len,
  };
}

/**
 * Reads all consecutive DER elements filling `bytes` exactly.
 *
 * @param bytes - contents of a constructed element
 * @returns the child elements
 * @throws {@link CryptoError} `MALFORMED` when the bytes are not a sequence of whole elements
 * @example
 * ```ts
 * const [algorithm, subjectPublicKey] = readDerChildren(spki.value);
 * ```
 */
export function readDerChildren(bytes: Uint8Array): DerElement[] {
  const out: DerElement[] = [];
  let off = 0;
  while (off < bytes.length) {
    const { element, next } = readDer(bytes, off);
    out.push(element);
    off = next;
  }
  return out;
}

/**
 * Writes one DER element with a minimal definite length.
 *
 * @param tag - identifier octet
 * @param parts - contents, concatenated
 * @returns the encoded element
 * @throws never
 * @example
 * ```ts
 * derElement(0x30, algorithmId, bitString); // SEQUENCE { … }
 * ```
 */
export function derElement(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((a, p) => a + p.length, 0);
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else if (len < 0x100) header = [tag, 0x81, len];
  else if (len < 0x10000) header = [tag, 0x82, len >> 8, len & 0xff];
  else header = [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  let off = header.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Writes a DER INTEGER from unsigned big-endian magnitude bytes (adds the sign octet if needed).
 *
 * @param magnitude - unsigned big-endian bytes
 * @returns the INTEGER element
 * @throws never
 * @example
 * ```ts
 * derUnsignedInteger(modulusBytes);
 * ```
 */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const body = trimmed.length === 0 ? Uint8Array.of(0) : trimmed;
  return body[0] & 0x80 ? derElement(0x02, Uint8Array.of(0), body) : derElement(0x02, body);
}
