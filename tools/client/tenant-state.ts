// The tenant side of the client's local state: `<state-dir>/tenant.json`, kept like the consumer's
// state.json (mode 0600 in a 0700 directory, written atomically). It holds one tenant login — the
// tenant's API key, the user's access and refresh tokens, the device tokens are issued for — the
// finished tokens of the tenant's issuer, and the current lease with its WireGuard private key and
// release token. Only one token at a time, a public key and (to end the lease) the lease id and
// release token ever go to config-service; the login stays between this file and auth-service.
import { join } from 'node:path';
import { Lease, readPrivateFile, StoredToken, writePrivateJson } from './state';

export const TENANT_STATE_FILE = 'tenant.json';

export interface TenantSession {
  /** The tenant's API key (`X-API-Key` of every tenant call): a secret. */
  apiKey: string;
  tenantId: string;
  userId: string;
  email: string;
  accessToken: string;
  /** Unix milliseconds when the access token expires. */
  accessTokenExpiresAt: number;
  /** Works once: replaced by every refresh. */
  refreshToken: string;
}

export interface TenantDevice {
  id: string;
  deviceName: string;
  platform: string;
}

export interface TenantToken extends StoredToken {
  /** The tenant's issuer name (`GET /token-issuers`) the token was made for. */
  issuer: string;
}

export interface TenantLease extends Lease {
  /** `lease.id` of the `200` from `POST /vpn/config`. */
  leaseId: string;
  /** `lease.releaseToken`: with the id, all `DELETE /vpn/config` needs (a secret). */
  releaseToken: string;
  /** Whether `tenant redeem --up` brought the development tunnel up for it. */
  tunnelUp?: boolean;
}

export interface TenantState {
  version: 1;
  session?: TenantSession;
  device?: TenantDevice;
  tokens: TenantToken[];
  lease?: TenantLease;
}

export function emptyTenantState(): TenantState {
  return { version: 1, tokens: [] };
}

export class TenantStateError extends Error {}

const isStr = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Parses and checks the tenant state file's text. */
export function parseTenantState(text: string, file = TENANT_STATE_FILE): TenantState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TenantStateError(`${file} is not valid JSON; move it away to start over`);
  }
  const v = value as Partial<TenantState> | null;
  if (typeof v !== 'object' || v === null || v.version !== 1 || !Array.isArray(v.tokens)) {
    throw new TenantStateError(`${file} is not a Phoenix client tenant state file (version 1); move it away to start over`);
  }
  const s = v.session;
  if (s !== undefined && (![s.apiKey, s.tenantId, s.userId, s.email, s.accessToken, s.refreshToken].every(isStr) || typeof s.accessTokenExpiresAt !== 'number')) {
    throw new TenantStateError(`${file} has a malformed session`);
  }
  if (v.device !== undefined && !isStr(v.device?.id)) throw new TenantStateError(`${file} has a malformed device`);
  for (const t of v.tokens) {
    if (![t?.token, t?.tokenKeyId, t?.expiresAt, t?.issuer].every(isStr)) throw new TenantStateError(`${file} has a malformed token entry`);
  }
  if (v.lease !== undefined && ![v.lease?.leaseId, v.lease?.releaseToken, v.lease?.privateKey, v.lease?.expiresAt].every(isStr)) {
    throw new TenantStateError(`${file} has a malformed lease`);
  }
  return v as TenantState;
}

/** Reads `<dir>/tenant.json` (empty when there is none), its mode tightened to 0600. */
export function loadTenantState(dir: string): TenantState {
  const text = readPrivateFile(dir, TENANT_STATE_FILE);
  return text === null ? emptyTenantState() : parseTenantState(text, join(dir, TENANT_STATE_FILE));
}

export function saveTenantState(dir: string, state: TenantState): void {
  writePrivateJson(dir, TENANT_STATE_FILE, state);
}

/**
 * The state after a login as `session`: the same tenant user keeps device, tokens and lease; another
 * user (or tenant) starts afresh. Refused while a lease of the previous login is held (its release
 * token would be lost with it).
 */
export function withLogin(state: TenantState, session: TenantSession): TenantState {
  const prev = state.session;
  if (prev && prev.tenantId === session.tenantId && prev.userId === session.userId) return { ...state, session };
  if (state.lease) throw new TenantStateError(`a lease of ${prev?.email ?? 'an earlier login'} is still held: run \`tenant release\` first`);
  return { ...emptyTenantState(), session };
}

/** The state without `token` (spent or refused). */
export function withoutTenantToken(state: TenantState, token: string): TenantState {
  return { ...state, tokens: state.tokens.filter((t) => t.token !== token) };
}

/** What `tenant status` shows: no secret (no API key, token, private key or release token). */
export function tenantStatus(state: TenantState, dir: string, now: Date): Record<string, unknown> {
  const held = state.tokens.filter((t) => Date.parse(t.expiresAt) > now.getTime());
  const l = state.lease;
  return {
    stateFile: join(dir, TENANT_STATE_FILE),
    tenantId: state.session?.tenantId ?? null,
    loggedInAs: state.session?.email ?? null,
    device: state.device ? { id: state.device.id, deviceName: state.device.deviceName, platform: state.device.platform } : null,
    tokens: held.length,
    lease: l ? { id: l.leaseId, node: l.nodeId, location: l.location, endpoint: l.peer.endpoint, addresses: l.addresses, expiresAt: l.expiresAt, configFile: l.configFile, tunnelUp: l.tunnelUp === true } : null,
  };
}
