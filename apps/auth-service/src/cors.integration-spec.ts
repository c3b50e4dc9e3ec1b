// CORS for the web app (API.md "Web"): only WEB_ORIGIN, exactly; the Bearer header allowed, no
// credentials (cookies); nothing at all without WEB_ORIGIN. On the real app against the stack.
import { TestApp, TestDatabase, migratedTestDatabase, signUp, startTestApp, testEnv, uniquePrefix } from '../test/helpers';

const WEB = 'http://127.0.0.1:4299';
const FOREIGN = 'http://evil.example';
const corsHeaders = (res: Response) => [...res.headers.keys()].filter((h) => h.startsWith('access-control-'));

describe('auth-service CORS', () => {
  let db: TestDatabase;
  let withWeb: TestApp;
  let without: TestApp;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    withWeb = await startTestApp(testEnv(db, uniquePrefix(), { WEB_ORIGIN: WEB }));
    without = await startTestApp(testEnv(db, uniquePrefix()));
  });
  afterAll(async () => {
    await withWeb?.close();
    await without?.close();
    await db?.drop();
  });

  const preflight = (base: string, path: string, origin: string, method: string) =>
    fetch(`${base}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' } });

  it('answers the pages’ preflights (Bearer header; GET, POST, PUT, DELETE) for the web origin only, without credentials', async () => {
    for (const [path, method] of [['/account/preferences', 'PUT'], ['/account', 'DELETE'], ['/auth/vpn-token', 'POST'], ['/billing/checkout', 'POST']] as const) {
      const ok = await preflight(withWeb.base, path, WEB, method);
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(WEB);
      expect(ok.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, DELETE');
      expect(ok.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
      expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
      expect(corsHeaders(await preflight(withWeb.base, path, FOREIGN, method))).toEqual([]);
    }
    expect((await preflight(withWeb.base, '/account', WEB, 'PATCH')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets the web origin read a signed-in answer and a refusal; a foreign origin reads neither', async () => {
    const user = await signUp();
    const get = (origin: string, token?: string) => fetch(`${withWeb.base}/account/subscription`, { headers: { origin, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const mine = await get(WEB, user.idToken);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(mine.headers.get('vary')).toMatch(/Origin/);
    const refused = await get(WEB);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(refused.headers.get('access-control-expose-headers')).toBe('retry-after, www-authenticate');
    expect(corsHeaders(await get(FOREIGN, user.idToken))).toEqual([]);
    expect(corsHeaders(await get(`${WEB}/`, user.idToken))).toEqual([]);
    const dir = await fetch(`${withWeb.base}/.well-known/private-token-issuer-directory`, { headers: { origin: WEB } });
    expect(dir.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(dir.headers.get('vary')).toMatch(/Origin/);
    await fetch(`${withWeb.base}/account`, { method: 'DELETE', headers: { authorization: `Bearer ${user.idToken}` } });
  });

  it('sends no CORS header at all without WEB_ORIGIN', async () => {
    for (const origin of [WEB, FOREIGN]) {
      expect(corsHeaders(await fetch(`${without.base}/.well-known/private-token-issuer-directory`, { headers: { origin } }))).toEqual([]);
      expect(corsHeaders(await preflight(without.base, '/account', origin, 'DELETE'))).toEqual([]);
    }
  });
});
