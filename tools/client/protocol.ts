// The client side of the token protocol: blind locally, let auth-service sign, unblind and check
// locally; redeem one token with a locally generated WireGuard key.
import {
  activeTokenKeys,
  base64urlDecode,
  base64urlEncode,
  createTokenRequest,
  decodeTokenRequest,
  encodeToken,
  encodeTokenResponse,
  finalizeToken,
  generateWireGuardKeyPair,
  parseIssuerDirectory,
  renderAuthorization,
  verifyToken,
} from '@phoenix/crypto';
import {
  base64urlDecode as protocolBase64urlDecode,
  blindTokenRequests,
  currentTokenKey,
  generateWireGuardKeyPair as clientKeyPair,
  privateTokenAuthorization,
} from '@phoenix/client-protocol';
import {
  Endpoints,
  getChallenge,
  getDirectory,
  getIssuerChallenge,
  getTenantDirectory,
  getTokenIssuers,
  redeemForLease,
  redeemToken,
  requestBlindSignatures,
  tenantDeviceTokens,
  VpnConfigReply,
} from './api';
import { ApiError, ClientError } from './errors';
import { Lease, StoredToken } from './state';
import { TenantLease, TenantToken } from './tenant-state';

export const MAX_BATCH = 20;

export interface IssuedBatch {
  tokens: StoredToken[];
  /** What went over the wire (for inspection and tests; never stored). */
  wire: { blindedMessages: string[]; blindSignatures: string[] };
}

/**
 * Gets `count` tokens in one batch: fetches config-service's TokenChallenge and the issuer's
 * current key, makes `count` random token requests and blinds them here, sends only the blinded
 * messages, unblinds the signatures and verifies each finished token against the key.
 */
export async function issueTokens(e: Endpoints, idToken: string, count: number, now = new Date()): Promise<IssuedBatch> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BATCH) throw new ClientError(`--count must be 1 to ${MAX_BATCH}`);
  const [{ challenge }, directoryJson] = await Promise.all([getChallenge(e), getDirectory(e)]);
  const keys = activeTokenKeys(parseIssuerDirectory(directoryJson), Math.floor(now.getTime() / 1000));
  // The current key is the newest whose not-before has passed.
  const key = [...keys].sort((a, b) => (b.notBefore ?? 0) - (a.notBefore ?? 0))[0];
  if (!key) throw new ClientError('the issuer directory lists no usable key yet');
  const requests = Array.from({ length: count }, () => createTokenRequest(key.tokenKey, base64urlDecode(challenge)));
  const blindedMessages = requests.map((r) => base64urlEncode(decodeTokenRequest(r.request).blindedMsg));
  const reply = await requestBlindSignatures(e, idToken, blindedMessages);
  if (reply.tokenKeyId !== base64urlEncode(key.tokenKeyId)) throw new ClientError('auth-service signed with another key than the directory\'s current one; run `tokens` again');
  if (reply.blindSignatures.length !== count) throw new ClientError(`auth-service returned ${reply.blindSignatures.length} signatures for ${count} requests`);
  const tokens = requests.map((r, i) => {
    const token = encodeToken(finalizeToken(r.state, encodeTokenResponse({ blindSig: base64urlDecode(reply.blindSignatures[i] ?? '') })));
    if (!verifyToken(key.publicKey, token)) throw new ClientError('a signature from auth-service does not verify; tokens discarded');
    return { token: base64urlEncode(token), tokenKeyId: reply.tokenKeyId, expiresAt: reply.expiresAt };
  });
  return { tokens, wire: { blindedMessages, blindSignatures: reply.blindSignatures } };
}

export interface Redemption {
  lease: Omit<Lease, 'configFile'>;
  reply: VpnConfigReply;
  /** Whether the token is used up (keep it otherwise). */
  spent: boolean;
}

/**
 * Redeems one token for a WireGuard config, with a key pair made here (the private key is never
 * sent). Resolves, or rejects with an ApiError whose `tokenSpent` tells the caller whether to
 * drop the token: TOKEN_REUSED and INVALID_TOKEN use it up; NO_CAPACITY, UNKNOWN_LOCATION,
 * UNAVAILABLE and other failures do not spend it.
 */
export async function redeem(e: Endpoints, token: string, location: string): Promise<Redemption> {
  const keys = generateWireGuardKeyPair();
  const reply = await redeemToken(e, renderAuthorization(base64urlDecode(token)), location, keys.publicKey);
  return { spent: true, reply, lease: leaseOf(reply, keys) };
}

/** The lease a config answer describes, with the key pair made here for it. */
function leaseOf(reply: VpnConfigReply, keys: { privateKey: string; publicKey: string }): Omit<Lease, 'configFile'> {
  return {
    location: reply.node.location,
    nodeId: reply.node.id,
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    addresses: reply.interface.addresses,
    dns: reply.interface.dns,
    peer: reply.peer,
    expiresAt: reply.expiresAt,
  };
}

/** Whether a failed redemption used the token up. */
export function tokenSpentBy(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'TOKEN_REUSED' || error.code === 'INVALID_TOKEN');
}

// ---------------------------------------------------------------- tenants (B2B)

export interface TenantIssued {
  issuer: string;
  tokens: TenantToken[];
  /** What went over the wire (for inspection and tests; never stored). */
  wire: { blindedMessages: string[]; blindSignatures: string[] };
}

/**
 * Gets `count` tokens of the tenant's own issuer for one device, the same blind protocol as
 * `issueTokens` through @phoenix/client-protocol: the tenant's issuer name from `GET /token-issuers`,
 * its current key from the tenant's directory, the TokenChallenge config-service expects for that
 * issuer (`GET /vpn/token-challenge?issuer=`); only blinded messages go to
 * `POST /api/v1/devices/:id/tokens`, and every unblinded token is verified here.
 */
export async function issueTenantTokens(e: Endpoints, apiKey: string, accessToken: string, tenantId: string, deviceId: string, count: number, now = new Date()): Promise<TenantIssued> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BATCH) throw new ClientError(`--count must be 1 to ${MAX_BATCH}`);
  const [issuers, directory] = await Promise.all([getTokenIssuers(e), getTenantDirectory(e, tenantId)]);
  const entry = Array.isArray(issuers) ? issuers.find((i) => i?.tenantId === tenantId) : undefined;
  if (!entry || typeof entry.issuer !== 'string') throw new ClientError(`auth-service publishes no token issuer for tenant ${tenantId} yet (GET /token-issuers; a tenant made in the last minute may not be listed yet): try again shortly`);
  const challenge = await getIssuerChallenge(e, entry.issuer);
  if (challenge.issuer !== entry.issuer) throw new ClientError(`config-service answered the challenge of issuer "${challenge.issuer}" for "${entry.issuer}"`);
  let key;
  try {
    key = currentTokenKey(directory, Math.floor(now.getTime() / 1000));
  } catch (error) {
    throw new ClientError(`the tenant's issuer directory: ${(error as Error).message}`);
  }
  const batch = await blindTokenRequests(key, protocolBase64urlDecode(challenge.challenge), count);
  const reply = await tenantDeviceTokens(e, apiKey, accessToken, deviceId, batch.blindedMessages);
  if (reply.tokenKeyId !== key.tokenKeyId) throw new ClientError("auth-service signed with another key than the tenant directory's current one; run `tenant tokens` again");
  let tokens: string[];
  try {
    tokens = await batch.finalize(reply.blindSignatures);
  } catch (error) {
    throw new ClientError(`a signature from auth-service does not verify; tokens discarded (${(error as Error).message})`);
  }
  return {
    issuer: entry.issuer,
    tokens: tokens.map((token) => ({ token, tokenKeyId: reply.tokenKeyId, expiresAt: reply.expiresAt, issuer: entry.issuer })),
    wire: { blindedMessages: batch.blindedMessages, blindSignatures: reply.blindSignatures },
  };
}

export interface TenantRedemption {
  lease: Omit<TenantLease, 'configFile'>;
  reply: VpnConfigReply;
}

/** Redeems one tenant token (key pair made here, as `redeem`); the answer's lease id and release token are kept. */
export async function redeemTenant(e: Endpoints, token: string, location: string): Promise<TenantRedemption> {
  const keys = clientKeyPair();
  const reply = await redeemForLease(e, privateTokenAuthorization(token), location, keys.publicKey);
  if (!reply.lease || typeof reply.lease.id !== 'string' || typeof reply.lease.releaseToken !== 'string') {
    throw new ClientError('config-service spent the token but answered without a lease id and release token (API.md "B2B tenants"): the config is not kept, as it could not be released');
  }
  return { reply, lease: { ...leaseOf(reply, keys), leaseId: reply.lease.id, releaseToken: reply.lease.releaseToken } };
}
