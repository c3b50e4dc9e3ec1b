import { env } from '../config/env';
import { corsAnswer, webCorsPolicy } from './cors';

const WEB = 'http://127.0.0.1:4200';
const policy = webCorsPolicy(WEB, ['GET', 'POST', 'PUT', 'DELETE'])!;
const req = (over: Partial<Parameters<typeof corsAnswer>[1]>) => ({ method: 'GET', origin: WEB, requestMethod: undefined, requestHeaders: undefined, ...over });

describe('CORS for the web origin', () => {
  it('has no policy at all without WEB_ORIGIN', () => {
    expect(webCorsPolicy(undefined, ['GET'])).toBeUndefined();
    expect(webCorsPolicy('', ['GET'])).toBeUndefined();
  });

  it('allows the exact origin, exposes Retry-After and WWW-Authenticate, never credentials', () => {
    const a = corsAnswer(policy, req({}));
    expect(a).toEqual({ preflight: false, headers: { vary: 'Origin', 'access-control-allow-origin': WEB, 'access-control-expose-headers': 'retry-after, www-authenticate' } });
    expect(JSON.stringify(a)).not.toMatch(/credentials/i);
  });

  it('gives nothing but Vary to another origin, a look-alike, or no origin', () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:4201', 'https://127.0.0.1:4200', `${WEB}.evil.example`, 'null', undefined]) {
      expect(corsAnswer(policy, req({ origin }))).toEqual({ preflight: false, headers: { vary: 'Origin' } });
      expect(corsAnswer(policy, req({ origin, method: 'OPTIONS', requestMethod: 'POST' }))).toEqual({ preflight: false, headers: { vary: 'Origin' } });
    }
  });

  it('answers a preflight for the pages’ methods and headers, and no other', () => {
    const ok = corsAnswer(policy, req({ method: 'OPTIONS', requestMethod: 'PUT', requestHeaders: 'Authorization, Content-Type' }));
    expect(ok.preflight).toBe(true);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': WEB, 'access-control-allow-methods': 'GET, POST, PUT, DELETE', 'access-control-allow-headers': 'authorization, content-type' });
    expect(corsAnswer(policy, req({ method: 'OPTIONS', requestMethod: 'PATCH' }))).toEqual({ preflight: true, headers: { vary: 'Origin' } });
    expect(corsAnswer(policy, req({ method: 'OPTIONS', requestMethod: 'POST', requestHeaders: 'x-forwarded-for' }))).toEqual({ preflight: true, headers: { vary: 'Origin' } });
  });

  it('takes WEB_ORIGIN only as an exact origin', () => {
    const schema = env.origin();
    for (const good of ['http://127.0.0.1:4200', 'https://app.phoenix.example']) expect(schema.safeParse(good).success).toBe(true);
    for (const bad of ['http://127.0.0.1:4200/', 'https://app.example/path', 'ftp://x.example', '*', 'app.example', 'https://APP.example']) expect(schema.safeParse(bad).success).toBe(false);
  });
});
