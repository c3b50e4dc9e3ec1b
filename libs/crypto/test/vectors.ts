import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { base64urlEncode } from '../src/bytes';
import { i2osp, modInverse, os2ip } from '../src/blind-rsa/bigint';

/** The project root (/work/main): this file lives in libs/crypto/test. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** The shared test data directory beside the project root (see test/vectors/README.md). */
export const SHARED_DATA = path.resolve(REPO_ROOT, '../shared/data');

/**
 * Reads a vector file from the shared data directory. A missing file throws, so the suite fails
 * instead of silently running no cases.
 */
export function loadVectors<T>(file: string): T {
  const full = path.join(SHARED_DATA, file);
  try {
    return JSON.parse(readFileSync(full, 'utf8')) as T;
  } catch (err) {
    throw new Error(`test vector file ${full} is missing or unreadable: ${(err as Error).message}`);
  }
}

/** Hex (with or without 0x) to bytes; the vector files use both spellings. */
export function hex(text: string): Uint8Array {
  const body = text.startsWith('0x') ? text.slice(2) : text;
  return new Uint8Array(Buffer.from(body.length % 2 ? '0' + body : body, 'hex'));
}

/** Hex (with or without 0x) to a bigint. */
export function hexInt(text: string): bigint {
  return BigInt(text.startsWith('0x') ? text : '0x' + text);
}

/** An RSA private KeyObject from the numbers in a vector (CRT parameters derived here). */
export function rsaPrivateKeyFromNumbers(p: bigint, q: bigint, d: bigint, e: bigint): KeyObject {
  const n = p * q;
  const kLen = Math.ceil(n.toString(16).length / 2);
  const b64 = (x: bigint, len?: number): string =>
    base64urlEncode(i2osp(x, len ?? Math.ceil(x.toString(16).length / 2)));
  return createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: b64(n, kLen),
      e: b64(e),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(modInverse(q, p)),
    },
  });
}

export { os2ip };
