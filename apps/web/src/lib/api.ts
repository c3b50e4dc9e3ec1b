// The one typed client of the pages (API.md). auth-service calls carry the Firebase ID token as
// Bearer; config-service calls carry no identity at all — only a PrivateToken for redemption —
// and no cookies or referrer go to either.
import type { IssuerDirectory } from '@phoenix/client-protocol';
import { ApiError, NetworkError, type Service } from './errors';
import type { RuntimeConfig } from './runtime-config';

export interface Subscription {
  status: 'none' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired';
  plan: string | null;
  provider: 'stripe' | 'apple' | 'trial' | null;
  currentPeriodEnd: string | null;
  entitled: boolean;
}

export interface Preferences {
  defaultLocation: string | null;
  blocklistEnabled: boolean;
  killSwitch: boolean;
  notifications: { email: boolean; push: boolean };
}

export interface Account {
  id: string;
  email: string | null;
  createdAt: string;
  subscription: Subscription;
  preferences: Preferences;
}

export interface Payment {
  id: string;
  provider: string;
  amount: number;
  currency: string;
  status: string;
  paidAt: string | null;
  invoiceUrl: string | null;
}

export interface PaymentsPage {
  items: Payment[];
  nextCursor: string | null;
}

export interface Location {
  id: string;
  country: string;
  city: string;
  available: boolean;
  load: 'low' | 'medium' | 'high';
}

export interface VpnTokenReply {
  tokenKeyId: string;
  blindSignatures: string[];
  expiresAt: string;
}

export interface VpnConfigReply {
  config: string;
  interface: { addresses: string[]; dns: string[] };
  peer: { publicKey: string; endpoint: string; allowedIps: string[]; persistentKeepalive?: number };
  node: { id: string; location: string };
  expiresAt: string;
}

export interface Api {
  account(): Promise<Account>;
  subscription(): Promise<Subscription>;
  startTrial(): Promise<Subscription>;
  payments(cursor?: string | null, limit?: number): Promise<PaymentsPage>;
  preferences(): Promise<Preferences>;
  savePreferences(p: Preferences): Promise<Preferences>;
  /** `GET /account/export`, as the JSON text the server sent. */
  exportAccount(): Promise<string>;
  deleteAccount(): Promise<void>;
  checkout(plan: 'monthly' | 'yearly'): Promise<{ url: string }>;
  portal(): Promise<{ url: string }>;
  issuerDirectory(): Promise<IssuerDirectory>;
  /** `POST /auth/vpn-token`: blinded messages out, blind signatures back. */
  vpnToken(blindedMessages: string[]): Promise<VpnTokenReply>;
  locations(): Promise<Location[]>;
  tokenChallenge(): Promise<{ challenge: string; issuer: string }>;
  /** `POST /vpn/config` with `Authorization: PrivateToken …` and the browser's public key. */
  redeem(authorization: string, location: string, publicKey: string): Promise<VpnConfigReply>;
}

async function call(fetchFn: typeof fetch, service: Service, url: string, init: RequestInit): Promise<{ status: number; text: string }> {
  let res: Response;
  try {
    res = await fetchFn(url, { ...init, credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store' });
  } catch {
    throw new NetworkError(service);
  }
  const text = await res.text();
  if (res.status >= 400) {
    let body: { code?: unknown; message?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: a gateway's page
    }
    const retry = res.headers.get('retry-after');
    throw new ApiError(
      service,
      res.status,
      typeof body.code === 'string' ? body.code : `HTTP_${res.status}`,
      typeof body.message === 'string' ? body.message : '',
      retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined,
    );
  }
  return { status: res.status, text };
}

const json = <T>(r: { text: string }): T => (r.text ? (JSON.parse(r.text) as T) : (undefined as T));

/** The client for `config`, getting the signed-in user's ID token from `idToken` for auth-service calls. */
export function createApi(config: RuntimeConfig, idToken: () => Promise<string>, fetchFn: typeof fetch = (...a) => fetch(...a)): Api {
  const auth = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${await idToken()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return json<T>(await call(fetchFn, 'auth-service', `${config.authUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
  };
  const anonymous = async <T>(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<T> =>
    json<T>(
      await call(fetchFn, 'config-service', `${config.configUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  return {
    account: () => auth('GET', '/account'),
    subscription: () => auth('GET', '/account/subscription'),
    startTrial: () => auth('POST', '/account/trial'),
    payments: (cursor, limit = 10) => auth('GET', `/account/payments?${new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) })}`),
    preferences: () => auth('GET', '/account/preferences'),
    savePreferences: (p) => auth('PUT', '/account/preferences', p),
    exportAccount: async () => {
      const text = (await call(fetchFn, 'auth-service', `${config.authUrl}/account/export`, { method: 'GET', headers: { authorization: `Bearer ${await idToken()}` } })).text;
      return text;
    },
    deleteAccount: () => auth('DELETE', '/account'),
    checkout: (plan) => auth('POST', '/billing/checkout', { plan }),
    portal: () => auth('POST', '/billing/portal'),
    // The directory is public: no identity needed, none sent.
    issuerDirectory: async () => json<IssuerDirectory>(await call(fetchFn, 'auth-service', `${config.authUrl}/.well-known/private-token-issuer-directory`, { method: 'GET' })),
    vpnToken: (blindedMessages) => auth('POST', '/auth/vpn-token', { blindedMessages }),
    locations: () => anonymous('GET', '/locations'),
    tokenChallenge: () => anonymous('GET', '/vpn/token-challenge'),
    redeem: (authorization, location, publicKey) => anonymous('POST', '/vpn/config', { authorization }, { location, publicKey }),
  };
}
