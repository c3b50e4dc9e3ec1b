// @phoenix/crypto: Privacy Pass (RFC 9578 type 2, RFC 9577) over RSA blind signatures (RFC 9474),
// issuer keys and their envelope encryption, WireGuard X25519 keys, libsodium sealed boxes.
export { assertBytes, assertBytesRange, assertInteger, assertString } from './asserts';
export {
  base64Decode,
  base64Encode,
  base64urlDecode,
  base64urlEncode,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  randomBytes,
  utf8Decode,
  utf8Encode,
} from './bytes';
export { CryptoError, CryptoErrorCode, isCryptoError } from './errors';
export * from './blind-rsa';
export * from './privacypass';
export {
  ISSUER_KEY_BITS,
  ISSUER_KEY_EXPONENT,
  exportIssuerPrivateKey,
  exportIssuerPublicKey,
  generateIssuerKeyPair,
  importIssuerPrivateKey,
  importIssuerPublicKey,
  issuerKeyId,
  issuerKeyPairFromPrivateKey,
  type IssuerKeyPair,
} from './issuer-keys';
export {
  ENVELOPE_OVERHEAD,
  KEK_LENGTH,
  decryptEnvelope,
  decryptIssuerPrivateKey,
  encryptEnvelope,
  encryptIssuerPrivateKey,
  kekFingerprint,
  parseKeyEncryptionKey,
} from './envelope';
export {
  WIREGUARD_KEY_LENGTH,
  deriveWireGuardPublicKey,
  encodeWireGuardKey,
  generateWireGuardKeyPair,
  isWireGuardKey,
  parseWireGuardKey,
  type WireGuardKeyPair,
} from './wireguard-keys';
export {
  BOX_KEY_LENGTH,
  SEALED_BOX_OVERHEAD,
  generateBoxKeyPair,
  openSealedBox,
  sealBox,
  type BoxKeyPair,
} from './sealed-box';
