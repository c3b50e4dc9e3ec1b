// @phoenix/client-protocol: what a Phoenix client does on its own side, in code that runs in a
// browser as in Node (WebCrypto, atob/btoa, @noble/*; no node: modules, no Buffer): blind token
// requests and unblind the issuer's signatures, the PrivateToken header, the WireGuard key pair
// and the wg-quick file.
export { base64Decode, base64Encode, base64urlDecode, base64urlEncode } from './bytes';
export {
  MAX_TOKEN_BATCH,
  TOKEN_TYPE_BLIND_RSA,
  blindTokenRequests,
  currentTokenKey,
  privateTokenAuthorization,
  type BlindedBatch,
  type IssuerDirectory,
  type TokenKey,
} from './tokens';
export { generateWireGuardKeyPair, isWireGuardKey, parseWgQuick, wireGuardPublicKey, withPrivateKey, type WgQuickSection, type WireGuardKeyPair } from './wireguard';
