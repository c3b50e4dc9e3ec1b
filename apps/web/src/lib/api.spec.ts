import { describe, expect, it } from 'vitest';
import { createApi } from './api';
import { ApiError, NetworkError } from './errors';

const config = { authUrl: 'http://auth.test', configUrl: 'http://config.test', firebase: { apiKey: 'k', projectId: 'demo-p' }, firebaseAuthEmulator: null };

function recorder(reply: (url: string) => Response) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const f = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return reply(url);
  }) as unknown as typeof fetch;
  return { calls, f };
}

const headersOf = (init: RequestInit) => new Headers(init.headers);

describe('the API client', () => {
  it('sends the Firebase ID token to auth-service only; config-service gets no identity, and no call sends cookies', async () => {
    const { calls, f } = recorder((url) => new Response(url.endsWith('/locations') ? '[]' : '{"config":"[Interface]"}', { status: 200 }));
    const api = createApi(config, async () => 'ID-TOKEN', f);
    const { calls: authCalls, f: authFetch } = recorder(() => new Response('{"status":"none"}', { status: 200 }));
    await createApi(config, async () => 'ID-TOKEN', authFetch).subscription();
    expect(headersOf(authCalls[0]!.init).get('authorization')).toBe('Bearer ID-TOKEN');
    await api.locations();
    await api.redeem('PrivateToken token="abc"', 'de-fra', 'PUB=');
    for (const c of calls) {
      expect(c.url.startsWith('http://config.test/')).toBe(true);
      expect(JSON.stringify([...headersOf(c.init)])).not.toContain('ID-TOKEN');
      expect(c.init.credentials).toBe('omit');
      expect(c.init.referrerPolicy).toBe('no-referrer');
    }
    expect(headersOf(calls[1]!.init).get('authorization')).toBe('PrivateToken token="abc"');
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({ location: 'de-fra', publicKey: 'PUB=' });
  });

  it('turns error bodies into ApiError with code and Retry-After, and no answer into NetworkError', async () => {
    const { f } = recorder(() => new Response('{"statusCode":429,"code":"QUOTA_EXCEEDED","message":"quota"}', { status: 429, headers: { 'retry-after': '120' } }));
    const error = await createApi(config, async () => 't', f).vpnToken(['x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ service: 'auth-service', status: 429, code: 'QUOTA_EXCEEDED', retryAfter: 120 });
    const { f: html } = recorder(() => new Response('<html>bad gateway</html>', { status: 502 }));
    await expect(createApi(config, async () => 't', html).locations()).rejects.toMatchObject({ service: 'config-service', code: 'HTTP_502' });
    const down = (async () => Promise.reject(new TypeError('Failed to fetch'))) as unknown as typeof fetch;
    await expect(createApi(config, async () => 't', down).locations()).rejects.toBeInstanceOf(NetworkError);
  });

  it('pages payments with the cursor', async () => {
    const { calls, f } = recorder(() => new Response('{"items":[],"nextCursor":null}', { status: 200 }));
    await createApi(config, async () => 't', f).payments('abc_-', 10);
    expect(calls[0]!.url).toBe('http://auth.test/account/payments?limit=10&cursor=abc_-');
  });
});
