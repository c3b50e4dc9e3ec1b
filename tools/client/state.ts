// The client's local state: one JSON file, mode 0600 in a 0700 directory (default
// ~/.phoenix-client). It holds the Firebase session, the finalized tokens (secrets: whoever holds
// one can redeem it) and the current lease with its WireGuard private key. Nothing here is ever
// sent to auth-service; only one token at a time goes to config-service.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withPrivateKey as fillPrivateKey } from '@phoenix/client-protocol';

export interface Session {
  email: string;
  uid: string;
  idToken: string;
  refreshToken: string;
  /** Unix milliseconds when the ID token expires. */
  idTokenExpiresAt: number;
}

export interface StoredToken {
  /** The RFC 9578 Token, base64url. */
  token: string;
  /** base64url of the issuer key id that signed it. */
  tokenKeyId: string;
  /** When the key stops being listed (the token stops being redeemable), ISO-8601. */
  expiresAt: string;
}

export interface Lease {
  location: string;
  nodeId: string;
  /** WireGuard private key, base64. Generated here; never leaves the client. */
  privateKey: string;
  publicKey: string;
  addresses: string[];
  dns: string[];
  peer: { publicKey: string; endpoint: string; allowedIps: string[]; persistentKeepalive?: number };
  expiresAt: string;
  /** The wg-quick file written for it. */
  configFile: string;
}

export interface ClientState {
  version: 1;
  session?: Session;
  tokens: StoredToken[];
  lease?: Lease;
}

export const STATE_FILE = 'state.json';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PHOENIX_CLIENT_STATE_DIR ?? join(env.HOME ?? homedir(), '.phoenix-client');
}

export function emptyState(): ClientState {
  return { version: 1, tokens: [] };
}

export class StateError extends Error {}

/** Parses and checks a state file's text. */
export function parseState(text: string, file = STATE_FILE): ClientState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StateError(`${file} is not valid JSON; move it away to start over`);
  }
  const v = value as Partial<ClientState> | null;
  if (typeof v !== 'object' || v === null || v.version !== 1 || !Array.isArray(v.tokens)) {
    throw new StateError(`${file} is not a Phoenix client state file (version 1); move it away to start over`);
  }
  for (const t of v.tokens) {
    if (typeof t?.token !== 'string' || typeof t.expiresAt !== 'string' || typeof t.tokenKeyId !== 'string') throw new StateError(`${file} has a malformed token entry`);
  }
  return v as ClientState;
}

/** The text of `<dir>/<name>` (null when there is none), its mode tightened to 0600 first. */
export function readPrivateFile(dir: string, name: string): string | null {
  const file = join(dir, name);
  if (!existsSync(file)) return null;
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return readFileSync(file, 'utf8');
}

/** Writes `value` as JSON to `<dir>/<name>` atomically (temp file, mode 0600, then rename) in a 0700 directory. */
export function writePrivateJson(dir: string, name: string, value: unknown): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Reads `<dir>/state.json` (an empty state when there is none) and tightens its mode to 0600. */
export function loadState(dir: string): ClientState {
  const text = readPrivateFile(dir, STATE_FILE);
  return text === null ? emptyState() : parseState(text, join(dir, STATE_FILE));
}

/** Writes the state atomically (temp file, mode 0600, then rename) into a 0700 directory. */
export function saveState(dir: string, state: ClientState): void {
  writePrivateJson(dir, STATE_FILE, state);
}

/** Writes a secret file (mode 0600), replacing any earlier one. */
export function writeSecretFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Tokens still redeemable at `now`, oldest expiry first (use those first). */
export function usableTokens(tokens: readonly StoredToken[], now: Date): StoredToken[] {
  return tokens.filter((t) => Date.parse(t.expiresAt) > now.getTime()).sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
}

/** Removes one token (by value). */
export function withoutToken(state: ClientState, token: string): ClientState {
  return { ...state, tokens: state.tokens.filter((t) => t.token !== token) };
}

/** Seconds until the JWT's `exp`, from its payload (no verification: the client only reads its own token). */
export function jwtExpiry(jwt: string): number | null {
  const part = jwt.split('.')[1];
  if (!part) return null;
  try {
    const exp = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** The wg-quick file: config-service's config with this client's private key filled in (the web app's too: @phoenix/client-protocol). */
export function withPrivateKey(config: string, privateKey: string): string {
  try {
    return fillPrivateKey(config, privateKey);
  } catch (error) {
    throw new StateError((error as Error).message);
  }
}
