// The published manifest (API.md "Published blocklist", `blocklist/latest.json`): its fields, its
// canonical bytes (RFC 8785, JCS) and the Ed25519 signature over the manifest without `signature`.
// Pure: the time (`createdAt`), the version and the keys are inputs; nothing is read or written.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as jcs from 'canonicalize';

import { BLOCKLIST_FORMAT, type BloomFilter } from './bloom-filter';
import { BlocklistError, BlocklistErrorCode, quote } from './errors';

// canonicalize 5 is an ES module with a default export; reading `.default` off the namespace works
// both under Node's require(esm) and under a CommonJS transpiler's interop.
const canonicalizeJson = (jcs as unknown as { default: (value: unknown) => string | undefined }).default;

/** `blocklist/latest.json`, field for field as API.md states it. */
export interface BlocklistManifest {
  readonly format: typeof BLOCKLIST_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  /** `blocklist/<sha256 hex>.bin`, relative to `BLOCKLIST_PUBLIC_URL`. */
  readonly file: string;
  readonly sha256: string;
  readonly size: number;
  readonly domains: number;
  readonly bits: number;
  readonly hashes: number;
  readonly falsePositiveRate: number;
  readonly source: { readonly url: string; readonly sha256: string };
  /** Base64 Ed25519 over {@link canonicalManifestBytes} of the manifest without this field. */
  readonly signature: string;
}

export type UnsignedManifest = Omit<BlocklistManifest, 'signature'>;

/** What {@link buildManifest} needs besides the filter. */
export interface ManifestInput {
  readonly filter: BloomFilter;
  readonly domains: number;
  readonly falsePositiveRate: number;
  readonly version: number;
  /** ISO 8601; an input so the same inputs give the same bytes. */
  readonly createdAt: string;
  readonly source: { readonly url: string; readonly sha256: string };
  /** The 32-byte Ed25519 secret key (seed). */
  readonly secretKey: Uint8Array;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Lowercase hex of SHA-256(bytes). */
export function sha256Hex(bytes: Uint8Array): string {
  return Buffer.from(sha256(bytes)).toString('hex');
}

/** The path of a filter file under the public URL: `blocklist/<sha256 hex>.bin`. */
export function filterFilePath(sha256HexDigest: string): string {
  return `blocklist/${sha256HexDigest}.bin`;
}

/**
 * RFC 8785 canonical UTF-8 bytes of the manifest without `signature` (a `signature` present is
 * ignored): the bytes that are signed and verified.
 */
export function canonicalManifestBytes(manifest: UnsignedManifest | BlocklistManifest): Uint8Array {
  const { signature: _ignored, ...unsigned } = manifest as BlocklistManifest;
  const text = canonicalizeJson(unsigned);
  if (text === undefined) throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, 'the manifest cannot be canonicalized');
  return new TextEncoder().encode(text);
}

/** RFC 8785 canonical JSON text of the whole signed manifest: the bytes to publish as `latest.json`. */
export function serializeManifest(manifest: BlocklistManifest): string {
  return canonicalizeJson(manifest) as string;
}

/** Signs `unsigned` with an Ed25519 secret key (32-byte seed). */
export function signManifest(unsigned: UnsignedManifest, secretKey: Uint8Array): BlocklistManifest {
  checkKey(secretKey, 'secret');
  const signature = Buffer.from(signBytes(canonicalManifestBytes(unsigned), secretKey)).toString('base64');
  return { ...unsigned, signature };
}

/** Ed25519 (RFC 8032, pure) signature of `message`: the primitive {@link signManifest} uses. */
export function signBytes(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/** Ed25519 verification (RFC 8032; noble's default rejects non-canonical encodings): the primitive {@link verifyManifest} uses. */
export function verifyBytes(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return ed25519.verify(signature, message, publicKey);
}

/** The Ed25519 public key (32 bytes) of a secret key. */
export function manifestPublicKey(secretKey: Uint8Array): Uint8Array {
  checkKey(secretKey, 'secret');
  return ed25519.getPublicKey(secretKey);
}

/**
 * Builds and signs the manifest of a filter. Deterministic: Ed25519 signatures are, and every
 * varying value (version, createdAt, key) is an input.
 *
 * @throws {BlocklistError} `INVALID_ARGUMENT` for a version that is not a non-negative integer,
 *   a createdAt that is not ISO 8601, a source sha256 that is not hex, or a key not 32 bytes
 */
export function buildManifest(input: ManifestInput): BlocklistManifest {
  const { filter } = input;
  if (!Number.isSafeInteger(input.version) || input.version < 0) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `the version must be a non-negative integer, got ${quote(input.version)}`);
  }
  if (!isIsoTime(input.createdAt)) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `createdAt must be an ISO 8601 UTC time, got ${quote(input.createdAt)}`);
  }
  if (!HEX64.test(input.source.sha256)) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `the source sha256 must be 64 lowercase hex digits, got ${quote(input.source.sha256)}`);
  }
  const digest = sha256Hex(filter.bytes);
  return signManifest(
    {
      format: BLOCKLIST_FORMAT,
      version: input.version,
      createdAt: input.createdAt,
      file: filterFilePath(digest),
      sha256: digest,
      size: filter.bytes.length,
      domains: input.domains,
      bits: filter.bits,
      hashes: filter.hashes,
      falsePositiveRate: input.falsePositiveRate,
      source: { url: input.source.url, sha256: input.source.sha256 },
    },
    input.secretKey,
  );
}

/** Why {@link verifyManifest} or {@link verifyFilterFile} refused. */
export enum ManifestRejection {
  /** Not JSON, or a field missing, extra or of the wrong type. */
  MALFORMED = 'MALFORMED',
  /** `format` is not {@link BLOCKLIST_FORMAT}. */
  UNKNOWN_FORMAT = 'UNKNOWN_FORMAT',
  /** The signature does not verify under the pinned public key. */
  BAD_SIGNATURE = 'BAD_SIGNATURE',
  /** The filter file's length is not `size`, or `size` is not ⌈bits/8⌉. */
  SIZE_MISMATCH = 'SIZE_MISMATCH',
  /** The filter file's SHA-256 is not `sha256`, or `file` does not name it. */
  HASH_MISMATCH = 'HASH_MISMATCH',
}

/** Thrown when a downloaded manifest or filter must not be used. */
export class ManifestVerificationError extends Error {
  override readonly name = 'ManifestVerificationError';

  constructor(
    readonly reason: ManifestRejection,
    message: string,
  ) {
    super(message);
  }
}

const FIELDS = ['bits', 'createdAt', 'domains', 'falsePositiveRate', 'file', 'format', 'hashes', 'sha256', 'signature', 'size', 'source', 'version'];

/**
 * Checks a downloaded manifest (its JSON text or the parsed value) against the pinned public key:
 * shape, then the Ed25519 signature over its canonical bytes, then the format. Returns the typed
 * manifest; the filter file is checked with {@link verifyFilterFile}.
 *
 * @throws {ManifestVerificationError} with the {@link ManifestRejection} reason
 */
export function verifyManifest(manifest: unknown, publicKey: Uint8Array): BlocklistManifest {
  let value = manifest;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ManifestVerificationError(ManifestRejection.MALFORMED, 'the manifest is not JSON');
    }
  }
  const m = checkShape(value);
  checkKey(publicKey, 'public');
  const signature = Buffer.from(m.signature, 'base64');
  let ok = false;
  if (signature.length === 64 && signature.toString('base64') === m.signature) {
    try {
      ok = verifyBytes(signature, canonicalManifestBytes(m), publicKey);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new ManifestVerificationError(ManifestRejection.BAD_SIGNATURE, 'the manifest signature does not verify under the pinned public key');
  if (m.format !== BLOCKLIST_FORMAT) {
    throw new ManifestVerificationError(ManifestRejection.UNKNOWN_FORMAT, `unknown blocklist format ${quote(m.format)}`);
  }
  return m;
}

/**
 * Checks downloaded filter bytes against a verified manifest: size (also against ⌈bits/8⌉), then
 * SHA-256 (also against the `file` name).
 *
 * @throws {ManifestVerificationError} `SIZE_MISMATCH` or `HASH_MISMATCH`
 */
export function verifyFilterFile(manifest: BlocklistManifest, bytes: Uint8Array): void {
  if (bytes.length !== manifest.size || manifest.size !== Math.ceil(manifest.bits / 8)) {
    throw new ManifestVerificationError(ManifestRejection.SIZE_MISMATCH, `the filter is ${bytes.length} bytes; the manifest says ${manifest.size} for ${manifest.bits} bits`);
  }
  const digest = sha256Hex(bytes);
  if (digest !== manifest.sha256 || manifest.file !== filterFilePath(digest)) {
    throw new ManifestVerificationError(ManifestRejection.HASH_MISMATCH, `the filter's sha256 is ${digest}; the manifest names ${quote(manifest.sha256)} (${quote(manifest.file)})`);
  }
}

/**
 * {@link verifyManifest} then {@link verifyFilterFile}: the whole check a client does before it
 * uses a downloaded filter.
 */
export function verifyPublished(manifest: unknown, filterBytes: Uint8Array, publicKey: Uint8Array): BlocklistManifest {
  const m = verifyManifest(manifest, publicKey);
  verifyFilterFile(m, filterBytes);
  return m;
}

function checkShape(value: unknown): BlocklistManifest {
  const bad = (what: string) => new ManifestVerificationError(ManifestRejection.MALFORMED, `malformed manifest: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not an object');
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.join() !== FIELDS.join()) throw bad(`fields ${quote(keys.join(','))}`);
  for (const k of ['format', 'createdAt', 'file', 'sha256', 'signature']) if (typeof o[k] !== 'string') throw bad(`${k} is not a string`);
  for (const k of ['version', 'size', 'domains', 'bits', 'hashes']) {
    if (!Number.isSafeInteger(o[k]) || (o[k] as number) < 0) throw bad(`${k} is not a non-negative integer`);
  }
  if (typeof o.falsePositiveRate !== 'number' || !(o.falsePositiveRate > 0 && o.falsePositiveRate < 1)) throw bad('falsePositiveRate is not in (0, 1)');
  const s = o.source as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null || Array.isArray(s) || Object.keys(s).sort().join() !== 'sha256,url' || typeof s.url !== 'string' || typeof s.sha256 !== 'string') {
    throw bad('source is not {url, sha256}');
  }
  return o as unknown as BlocklistManifest;
}

function checkKey(key: Uint8Array, kind: 'secret' | 'public'): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `an Ed25519 ${kind} key is 32 bytes`);
  }
}

function isIsoTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(value) && !Number.isNaN(Date.parse(value));
}
