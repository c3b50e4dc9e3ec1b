// CORS for the web app (API.md "Web"): only WEB_ORIGIN, exactly; no credentials; nothing at all
// without WEB_ORIGIN. On the real app (Fastify, the global hooks) against the stack.
import { LocalIssuer, RunningApp, TestDb, createNetworkDb, startApp, testEnv } from '../test/support';

const WEB = 'http://127.0.0.1:4299';
const FOREIGN = 'http://evil.example';

describe('config-service CORS', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let withWeb: RunningApp;
  let without: RunningApp;

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    withWeb = await startApp(testEnv(db, issuer, { WEB_ORIGIN: WEB }));
    without = await startApp(testEnv(db, issuer));
  });
  afterAll(async () => {
    await withWeb?.close();
    await without?.close();
    await issuer?.close();
    await db?.drop();
  });

  const preflight = (base: string, origin: string, method: string, headers = 'authorization, content-type') =>
    fetch(`${base}/vpn/config`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });

  it('lets the web origin read locations and the challenge, and a 401 with its WWW-Authenticate', async () => {
    for (const path of ['/locations', '/vpn/token-challenge']) {
      const res = await fetch(`${withWeb.base}${path}`, { headers: { origin: WEB } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(WEB);
      expect(res.headers.get('vary')).toMatch(/Origin/);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const refused = await fetch(`${withWeb.base}/vpn/config`, { method: 'POST', headers: { origin: WEB, 'content-type': 'application/json' }, body: '{"location":"auto","publicKey":"x"}' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(refused.headers.get('access-control-expose-headers')).toBe('retry-after, www-authenticate');
  });

  it('answers the preflight of POST /vpn/config with the PrivateToken Authorization header, and no other method', async () => {
    const ok = await preflight(withWeb.base, WEB, 'POST');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const put = await preflight(withWeb.base, WEB, 'PUT');
    expect(put.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives a foreign origin nothing to read', async () => {
    const res = await fetch(`${withWeb.base}/locations`, { headers: { origin: FOREIGN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await preflight(withWeb.base, FOREIGN, 'POST');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('sends no CORS header at all without WEB_ORIGIN', async () => {
    for (const origin of [WEB, FOREIGN]) {
      const res = await fetch(`${without.base}/locations`, { headers: { origin } });
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      const pre = await preflight(without.base, origin, 'POST');
      expect([...pre.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });
});
