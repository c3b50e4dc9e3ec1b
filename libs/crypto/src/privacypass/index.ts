export {
  AUTH_SCHEME_NAME,
  BLIND_RSA_NK,
  CHALLENGE_DIGEST_LENGTH,
  NONCE_LENGTH,
  TOKEN_KEY_ID_LENGTH,
  TOKEN_TYPE_BLIND_RSA,
} from './constants';
export {
  activeTokenKeys,
  parseIssuerDirectory,
  renderIssuerDirectory,
  type ActiveTokenKey,
  type IssuerDirectory,
  type IssuerDirectoryJson,
  type IssuerDirectoryKey,
} from './directory';
export {
  parseAuthChallenges,
  parseAuthorization,
  parseWwwAuthenticate,
  renderAuthorization,
  renderWwwAuthenticate,
  type AuthChallenge,
  type PrivateTokenChallenge,
  type PrivateTokenChallengeInput,
} from './headers';
export {
  assertValidToken,
  createTokenRequest,
  finalizeToken,
  issueTokenResponse,
  publishedTokenKey,
  verifyToken,
  type ClientTokenRequest,
  type IssuerPublicKey,
  type TokenRequestState,
} from './issuance';
export { encodeTokenKey, parseTokenKey, tokenKeyId, tokenKeyIdFromBytes, truncatedTokenKeyId } from './spki';
export {
  TOKEN_INPUT_LENGTH,
  TOKEN_LENGTH,
  TOKEN_REQUEST_LENGTH,
  challengeDigest,
  decodeToken,
  decodeTokenChallenge,
  decodeTokenRequest,
  decodeTokenResponse,
  encodeToken,
  encodeTokenChallenge,
  encodeTokenInput,
  encodeTokenRequest,
  encodeTokenResponse,
  type Token,
  type TokenChallenge,
  type TokenRequest,
  type TokenResponse,
} from './wire';
