// Privacy Pass token issuance on the client side (RFC 9578 §5, token type 0x0002, Blind RSA 2048,
// SHA-384, PSS), over WebCrypto through @cloudflare/privacypass-ts, so it runs in a browser as it
// does in Node. Only blinded messages leave: the issuer never sees the tokens it signs.
import { TokenChallenge, publicVerif } from '@cloudflare/privacypass-ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlDecode, base64urlEncode } from './bytes';

const { BlindRSAMode, Client, TokenResponse } = publicVerif;

/** RFC 9578 token type of publicly verifiable tokens (Blind RSA 2048). */
export const TOKEN_TYPE_BLIND_RSA = 2;
/** Most blinded messages `POST /auth/vpn-token` signs at once (API.md). */
export const MAX_TOKEN_BATCH = 20;

/** `GET /.well-known/private-token-issuer-directory` (RFC 9578 §4). */
export interface IssuerDirectory {
  'issuer-request-uri': string;
  'token-keys': Array<{ 'token-type': number; 'token-key': string; 'not-before'?: number }>;
}

export interface TokenKey {
  /** The SPKI (RSASSA-PSS OID) bytes the directory lists. */
  tokenKey: Uint8Array;
  /** base64url of SHA-256(tokenKey): the id auth-service names in its reply. */
  tokenKeyId: string;
  notBefore: number;
}

/**
 * The key tokens are issued under now: of the directory's type-2 keys whose not-before has
 * passed, the newest (a pre-published next key is not used before its time).
 *
 * @throws {Error} when the directory is malformed or lists no usable key
 * @example currentTokenKey(await (await fetch(directoryUrl)).json(), Date.now() / 1000)
 */
export function currentTokenKey(directory: unknown, nowSec: number): TokenKey {
  const keys = (directory as IssuerDirectory | null)?.['token-keys'];
  if (!Array.isArray(keys)) throw new Error('the issuer directory has no token-keys');
  const usable = keys
    .filter((k) => k?.['token-type'] === TOKEN_TYPE_BLIND_RSA && typeof k['token-key'] === 'string')
    .map((k) => ({ bytes: base64urlDecode(k['token-key']), notBefore: typeof k['not-before'] === 'number' ? k['not-before'] : 0 }))
    .filter((k) => k.notBefore <= nowSec)
    .sort((a, b) => b.notBefore - a.notBefore);
  const key = usable[0];
  if (!key) throw new Error('the issuer directory lists no usable key yet');
  return { tokenKey: key.bytes, tokenKeyId: base64urlEncode(sha256(key.bytes)), notBefore: key.notBefore };
}

export interface BlindedBatch {
  /** What goes to `POST /auth/vpn-token` as `blindedMessages` (base64url, 256 bytes each). */
  blindedMessages: string[];
  /**
   * Unblinds the issuer's signatures (same order) into finished tokens (base64url RFC 9578
   * Token), each verified against the key: a signature that does not verify throws, and no
   * token of the batch is returned.
   */
  finalize(blindSignatures: readonly string[]): Promise<string[]>;
}

/**
 * Makes `count` token requests for `challenge` (the bytes of config-service's TokenChallenge)
 * under `key`, blinded here with fresh randomness each.
 *
 * @throws {Error} when count is not 1 to {@link MAX_TOKEN_BATCH} or the challenge is malformed
 */
export async function blindTokenRequests(key: Pick<TokenKey, 'tokenKey'>, challenge: Uint8Array, count: number): Promise<BlindedBatch> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_TOKEN_BATCH) throw new Error(`a batch is 1 to ${MAX_TOKEN_BATCH} tokens`);
  const tokenChallenge = TokenChallenge.deserialize(challenge);
  if (tokenChallenge.tokenType !== TOKEN_TYPE_BLIND_RSA) throw new Error('the challenge is not for token type 2');
  const clients = Array.from({ length: count }, () => new Client(BlindRSAMode.PSS));
  const requests = [];
  for (const client of clients) requests.push(await client.createTokenRequest(tokenChallenge, key.tokenKey));
  return {
    blindedMessages: requests.map((r) => base64urlEncode(r.blindedMsg)),
    async finalize(blindSignatures) {
      if (blindSignatures.length !== count) throw new Error(`the issuer returned ${blindSignatures.length} signatures for ${count} requests`);
      const tokens: string[] = [];
      for (const [i, client] of clients.entries()) {
        const token = await client.finalize(new TokenResponse(base64urlDecode(blindSignatures[i] ?? '')));
        tokens.push(base64urlEncode(token.serialize()));
      }
      return tokens;
    },
  };
}

/** The `Authorization` value that redeems `token` at config-service (RFC 9577 §2.2). */
export function privateTokenAuthorization(token: string): string {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw new Error('a token is base64url');
  return `PrivateToken token="${token}"`;
}
