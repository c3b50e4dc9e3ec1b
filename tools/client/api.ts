// The wire protocol, one function per call (API.md). Errors become ApiError / UnreachableError.
import { ApiError, UnreachableError } from './errors';

export interface Endpoints {
  authUrl: string;
  configUrl: string;
  analyticsUrl: string;
  /** `host:port` of the Firebase Auth emulator, or null for the real Firebase (then `firebaseApiKey`). */
  firebaseEmulator: string | null;
  firebaseApiKey: string;
}

export interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T>(service: string, url: string, init: RequestInit = {}): Promise<Reply<T>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new UnreachableError(service, url, (error as { cause?: unknown }).cause ?? error);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  if (res.status >= 400) {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { code?: string; message?: string; error?: { message?: string } };
    // Firebase's REST errors are {"error": {"message": "EMAIL_EXISTS"}}.
    const firebaseCode = b.error?.message?.split(' ')[0];
    const retry = res.headers.get('retry-after');
    throw new ApiError(service, res.status, b.code ?? firebaseCode ?? `HTTP_${res.status}`, b.message ?? b.error?.message ?? String(text).slice(0, 200), retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined);
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

const jsonInit = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const bearer = (idToken: string) => ({ authorization: `Bearer ${idToken}` });

// ---------------------------------------------------------------- Firebase Auth (REST)

export interface FirebaseSession {
  idToken: string;
  refreshToken: string;
  localId: string;
  email: string;
  expiresIn: string;
}

function identityToolkit(e: Endpoints, method: string): string {
  const base = e.firebaseEmulator ? `http://${e.firebaseEmulator}/identitytoolkit.googleapis.com/v1` : 'https://identitytoolkit.googleapis.com/v1';
  return `${base}/accounts:${method}?key=${encodeURIComponent(e.firebaseApiKey)}`;
}

export async function firebaseSignUp(e: Endpoints, email: string, password: string): Promise<FirebaseSession> {
  return (await call<FirebaseSession>('Firebase', identityToolkit(e, 'signUp'), jsonInit('POST', { email, password, returnSecureToken: true }))).body;
}

export async function firebaseSignIn(e: Endpoints, email: string, password: string): Promise<FirebaseSession> {
  return (await call<FirebaseSession>('Firebase', identityToolkit(e, 'signInWithPassword'), jsonInit('POST', { email, password, returnSecureToken: true }))).body;
}

export async function firebaseRefresh(e: Endpoints, refreshToken: string): Promise<{ id_token: string; refresh_token: string; expires_in: string }> {
  const base = e.firebaseEmulator ? `http://${e.firebaseEmulator}/securetoken.googleapis.com/v1` : 'https://securetoken.googleapis.com/v1';
  return (
    await call<{ id_token: string; refresh_token: string; expires_in: string }>('Firebase', `${base}/token?key=${encodeURIComponent(e.firebaseApiKey)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    })
  ).body;
}

// ---------------------------------------------------------------- auth-service

export interface Subscription {
  status: string;
  plan: string | null;
  provider: string | null;
  currentPeriodEnd: string | null;
  entitled: boolean;
}

export interface Account {
  id: string;
  email: string;
  createdAt: string;
  subscription: Subscription;
  preferences: Record<string, unknown>;
}

export const getAccount = async (e: Endpoints, idToken: string) => (await call<Account>('auth-service', `${e.authUrl}/account`, { headers: bearer(idToken) })).body;
export const getSubscription = async (e: Endpoints, idToken: string) => (await call<Subscription>('auth-service', `${e.authUrl}/account/subscription`, { headers: bearer(idToken) })).body;
export const startTrial = async (e: Endpoints, idToken: string) => (await call<Subscription>('auth-service', `${e.authUrl}/account/trial`, { method: 'POST', headers: bearer(idToken) })).body;

export interface DirectoryJson {
  'issuer-request-uri': string;
  'token-keys': Array<{ 'token-type': number; 'token-key': string; 'not-before'?: number }>;
}

export const getDirectory = async (e: Endpoints) => (await call<DirectoryJson>('auth-service', `${e.authUrl}/.well-known/private-token-issuer-directory`)).body;

export interface VpnTokenReply {
  tokenKeyId: string;
  blindSignatures: string[];
  expiresAt: string;
}

/** `POST /auth/vpn-token`: only blinded messages go out; blind signatures come back. */
export const requestBlindSignatures = async (e: Endpoints, idToken: string, blindedMessages: string[]) =>
  (await call<VpnTokenReply>('auth-service', `${e.authUrl}/auth/vpn-token`, jsonInit('POST', { blindedMessages }, bearer(idToken)))).body;

// ---------------------------------------------------------------- config-service (no identity is ever sent here)

export interface LocationView {
  id: string;
  country: string;
  city: string;
  available: boolean;
  load: string;
}

export const getLocations = async (e: Endpoints) => (await call<LocationView[]>('config-service', `${e.configUrl}/locations`)).body;
export const getChallenge = async (e: Endpoints) => (await call<{ challenge: string; issuer: string }>('config-service', `${e.configUrl}/vpn/token-challenge`)).body;

export interface VpnConfigReply {
  config: string;
  interface: { addresses: string[]; dns: string[] };
  peer: { publicKey: string; endpoint: string; allowedIps: string[]; persistentKeepalive?: number };
  node: { id: string; location: string };
  expiresAt: string;
}

/** `POST /vpn/config` with `Authorization: PrivateToken token="…"` and our own public key. */
export const redeemToken = async (e: Endpoints, authorization: string, location: string, publicKey: string) =>
  (await call<VpnConfigReply>('config-service', `${e.configUrl}/vpn/config`, jsonInit('POST', { location, publicKey }, { authorization }))).body;

// ---------------------------------------------------------------- analytics-service (anonymous: no identity, no ids)

/** `POST /v1/events` (1 to 500 events) → `202 {"accepted": n}` once the batch is durably queued. */
export const postEvents = async (e: Endpoints, events: readonly object[]) =>
  (await call<{ accepted: number }>('analytics-service', `${e.analyticsUrl}/v1/events`, jsonInit('POST', { events }))).body;

// ---------------------------------------------------------------- tenants (B2B, API.md "B2B tenants")
// A tenant's user signs in to auth-service with the tenant's API key; the tokens they get are
// signed with the tenant's own issuer key, so config-service learns which tenant a token is for,
// never which user or device.

export interface TenantAuthResult {
  user: { id: string; email: string };
  accessToken: string;
  refreshToken: string;
}

export interface TenantMe {
  id: string;
  email: string;
  tenantId: string;
  createdAt: string;
}

export interface TenantDeviceView {
  id: string;
  deviceName: string;
  platform: string;
  createdAt: string;
}

export interface TokenIssuerEntry {
  issuer: string;
  tenantId: string | null;
  leaseTtlHours?: number | null;
  'token-keys': DirectoryJson['token-keys'];
}

export interface TenantUsageRow {
  day: string;
  connections: number;
  connectionHours: number;
  gigabytes: number;
}

const apiKey = (key: string) => ({ 'x-api-key': key });
const tenantUser = (key: string, accessToken: string) => ({ ...apiKey(key), ...bearer(accessToken) });

export const tenantRegister = async (e: Endpoints, key: string, email: string, password: string) =>
  (await call<TenantAuthResult>('auth-service', `${e.authUrl}/api/v1/auth/register`, jsonInit('POST', { email, password }, apiKey(key)))).body;
export const tenantLogin = async (e: Endpoints, key: string, email: string, password: string) =>
  (await call<TenantAuthResult>('auth-service', `${e.authUrl}/api/v1/auth/login`, jsonInit('POST', { email, password }, apiKey(key)))).body;
/** A refresh token works once: the pair that comes back replaces the one held. */
export const tenantRefresh = async (e: Endpoints, key: string, refreshToken: string) =>
  (await call<{ accessToken: string; refreshToken: string }>('auth-service', `${e.authUrl}/api/v1/auth/refresh`, jsonInit('POST', { refreshToken }, apiKey(key)))).body;
export const tenantMe = async (e: Endpoints, key: string, accessToken: string) =>
  (await call<TenantMe>('auth-service', `${e.authUrl}/api/v1/auth/me`, { headers: tenantUser(key, accessToken) })).body;
export const tenantAddDevice = async (e: Endpoints, key: string, accessToken: string, deviceName: string, platform: string) =>
  (await call<TenantDeviceView>('auth-service', `${e.authUrl}/api/v1/devices`, jsonInit('POST', { deviceName, platform }, tenantUser(key, accessToken)))).body;
/** `POST /api/v1/devices/:id/tokens`: as `POST /auth/vpn-token`, signed with the tenant's issuer key. */
export const tenantDeviceTokens = async (e: Endpoints, key: string, accessToken: string, deviceId: string, blindedMessages: string[]) =>
  (await call<VpnTokenReply>('auth-service', `${e.authUrl}/api/v1/devices/${encodeURIComponent(deviceId)}/tokens`, jsonInit('POST', { blindedMessages }, tenantUser(key, accessToken)))).body;
/** `GET /api/v1/usage`: tenant totals per day; the access token goes along when there is one. */
export const tenantUsage = async (e: Endpoints, key: string, accessToken: string | undefined, from: string, to: string) =>
  (
    await call<{ rows: TenantUsageRow[] }>('auth-service', `${e.authUrl}/api/v1/usage?${new URLSearchParams({ from, to }).toString()}`, {
      headers: accessToken ? tenantUser(key, accessToken) : apiKey(key),
    })
  ).body;

/** Every issuer's keys (public): the consumer issuer and one per tenant. */
export const getTokenIssuers = async (e: Endpoints) => (await call<TokenIssuerEntry[]>('auth-service', `${e.authUrl}/token-issuers`)).body;
/** A tenant's own issuer directory (RFC 9578 §4). */
export const getTenantDirectory = async (e: Endpoints, tenantId: string) =>
  (await call<DirectoryJson>('auth-service', `${e.authUrl}/tenants/${encodeURIComponent(tenantId)}/.well-known/private-token-issuer-directory`)).body;

/** `GET /vpn/token-challenge?issuer=<name>`: the challenge tokens of that issuer are made for. */
export const getIssuerChallenge = async (e: Endpoints, issuer: string) =>
  (await call<{ challenge: string; issuer: string }>('config-service', `${e.configUrl}/vpn/token-challenge?${new URLSearchParams({ issuer }).toString()}`)).body;

/** `POST /vpn/config` as `redeemToken`, with the lease id and release token of the `200`. */
export const redeemForLease = async (e: Endpoints, authorization: string, location: string, publicKey: string) =>
  (await call<VpnConfigReply & { lease?: { id: string; releaseToken: string } }>('config-service', `${e.configUrl}/vpn/config`, jsonInit('POST', { location, publicKey }, { authorization }))).body;

/** `DELETE /vpn/config`: ends the lease at once (no identity: the release token proves it is ours). */
export async function releaseLease(e: Endpoints, leaseId: string, releaseToken: string): Promise<void> {
  await call<null>('config-service', `${e.configUrl}/vpn/config`, jsonInit('DELETE', { leaseId, releaseToken }));
}
