/** Token type 0x0002, Blind RSA (2048-bit) (RFC 9578 §8.2.1). */
export const TOKEN_TYPE_BLIND_RSA = 0x0002;
/** Nk: the size in bytes of blinded_msg, blind_sig and authenticator for token type 2 (RFC 9578 §6). */
export const BLIND_RSA_NK = 256;
/** Nid: the size in bytes of a token key id (SHA-256 output) (RFC 9578 §6). */
export const TOKEN_KEY_ID_LENGTH = 32;
/** Size of a token's client nonce (RFC 9577 §2.2). */
export const NONCE_LENGTH = 32;
/** Size of a token's challenge digest, SHA-256 of the TokenChallenge (RFC 9577 §2.2). */
export const CHALLENGE_DIGEST_LENGTH = 32;
/** The HTTP authentication scheme name (RFC 9577 §2). */
export const AUTH_SCHEME_NAME = 'PrivateToken';
