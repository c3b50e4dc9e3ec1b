// The privacy core of "Get a config", as plain functions (no React): tokens are blinded here and
// only blinded messages go to auth-service; one token goes to config-service with a public key
// made here; the private key goes into the file and nowhere else.
import {
  base64urlDecode,
  blindTokenRequests,
  currentTokenKey,
  generateWireGuardKeyPair,
  privateTokenAuthorization,
  withPrivateKey,
} from '@phoenix/client-protocol';
import type { Api, VpnConfigReply } from '../../lib/api';
import { tokenSpentBy } from '../../lib/errors';
import type { TokenStore } from '../../lib/token-store';

/** Tokens fetched per batch, and the stock below which the page fetches a batch ahead of time. */
export const TOKEN_BATCH = 5;
export const LOW_STOCK = 2;

/** Thrown when no token is left in this browser (the page then offers to fetch some). */
export class NoTokensError extends Error {
  constructor() {
    super('No anonymous tokens left in this browser. Fetch new tokens first.');
    this.name = 'NoTokensError';
  }
}

/**
 * Gets `count` tokens: the challenge (config-service) and the issuer's current key (its public
 * directory), blinds `count` requests, sends only the blinded messages to auth-service, unblinds
 * and verifies each signature, and stores the finished tokens. Returns how many are stored now.
 */
export async function fetchTokens(api: Api, store: TokenStore, now: Date, count = TOKEN_BATCH): Promise<number> {
  const [{ challenge }, directory] = await Promise.all([api.tokenChallenge(), api.issuerDirectory()]);
  const key = currentTokenKey(directory, Math.floor(now.getTime() / 1000));
  const batch = await blindTokenRequests(key, base64urlDecode(challenge), count);
  const reply = await api.vpnToken(batch.blindedMessages);
  if (reply.tokenKeyId !== key.tokenKeyId) throw new Error('The account service signed with another key than its directory lists; fetch tokens again.');
  const tokens = await batch.finalize(reply.blindSignatures);
  await store.add(tokens.map((token) => ({ token, tokenKeyId: reply.tokenKeyId, expiresAt: reply.expiresAt })));
  return store.count(now);
}

export interface ConfigFile {
  /** The wg-quick file, with the private key in it. */
  text: string;
  fileName: string;
  /** The public key sent to config-service. */
  publicKey: string;
  reply: VpnConfigReply;
}

/** A file name wg-quick accepts as an interface name (at most 15 characters of [a-zA-Z0-9_=+.-]). */
export function configFileName(location: string): string {
  return `phx-${location.replace(/[^a-z0-9-]/g, '')}`.slice(0, 15) + '.conf';
}

/**
 * Redeems one stored token for a config in `location`, with a key pair made here. A token the
 * server did not spend (no capacity, unavailable, unknown location, no answer) goes back into the
 * store; TOKEN_REUSED and INVALID_TOKEN use it up.
 *
 * @throws {NoTokensError} when the store is empty; the service's ApiError otherwise
 */
export async function getConfig(api: Api, store: TokenStore, location: string, now: Date): Promise<ConfigFile> {
  const token = await store.take(now);
  if (!token) throw new NoTokensError();
  const keys = generateWireGuardKeyPair();
  let reply: VpnConfigReply;
  try {
    reply = await api.redeem(privateTokenAuthorization(token.token), location, keys.publicKey);
  } catch (error) {
    if (!tokenSpentBy(error)) await store.putBack(token);
    throw error;
  }
  return { text: withPrivateKey(reply.config, keys.privateKey), fileName: configFileName(reply.node.location), publicKey: keys.publicKey, reply };
}
