import { randomUUID } from 'node:crypto';
import { describeHostileJson } from '@phoenix/common/testing';
import { AppleChain, makeAppleChain } from '../test/apple';
import { EmulatorUser, TestApp, TestDatabase, bearer, json, migratedTestDatabase, signUp, startTestApp, testEnv, uniquePrefix } from '../test/helpers';

let db: TestDatabase;
let t: TestApp;
let user: EmulatorUser;
let apiKey: string;
let accessToken: string;

describeHostileJson(
  'auth-service',
  async () => {
    db = await migratedTestDatabase();
    t = await startTestApp(testEnv(db, uniquePrefix()));
    user = await signUp();
    const tenant = await json<{ id: string }>(
      await fetch(`${t.base}/admin/tenants`, {
        method: 'POST',
        headers: { ...bearer(t.config.ADMIN_TOKEN), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Hostile', plan: { maxUsers: 10, maxDevicesPerUser: 2, tokensPerDevicePerDay: 10, leaseTtlHours: 1 } }),
      }),
    );
    apiKey = (await json<{ apiKey: string }>(await fetch(`${t.base}/admin/tenants/${tenant.id}/api-keys`, { method: 'POST', headers: bearer(t.config.ADMIN_TOKEN) }))).apiKey;
    accessToken = (
      await json<{ accessToken: string }>(
        await fetch(`${t.base}/api/v1/auth/register`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ email: `hostile-${randomUUID()}@example.com`, password: 'correct horse battery' }) }),
      )
    ).accessToken;
    return {
      base: t.base,
      close: async () => {
        await t.close();
        await db.drop();
      },
    };
  },
  [
    // A signed-in user: the requests get past FirebaseAuthGuard to the validation pipe.
    { method: 'PUT', path: '/account/preferences', headers: () => bearer(user.idToken) },
    { method: 'POST', path: '/auth/vpn-token', headers: () => bearer(user.idToken) },
    { method: 'POST', path: '/billing/checkout', headers: () => bearer(user.idToken) },
    { method: 'POST', path: '/admin/issuer-keys/rotate', headers: () => bearer(t.config.ADMIN_TOKEN) },
    // B2B tenants: the operator's and a tenant's JSON endpoints (an API key gets past ApiKeyGuard).
    { method: 'POST', path: '/admin/tenants', headers: () => bearer(t.config.ADMIN_TOKEN) },
    // The body is validated before the tenant is looked up.
    { method: 'PUT', path: '/admin/tenants/00000000-0000-4000-8000-000000000000/billing', headers: () => bearer(t.config.ADMIN_TOKEN) },
    { method: 'POST', path: '/api/v1/auth/register', headers: () => ({ 'x-api-key': apiKey }) },
    { method: 'POST', path: '/api/v1/auth/login', headers: () => ({ 'x-api-key': apiKey }) },
    { method: 'POST', path: '/api/v1/auth/refresh', headers: () => ({ 'x-api-key': apiKey }) },
    // A device's tokens: the body is validated before the device is looked up.
    { method: 'POST', path: '/api/v1/devices/00000000-0000-4000-8000-000000000000/tokens', headers: () => ({ 'x-api-key': apiKey, ...bearer(accessToken) }) },
  ],
);

describe('auth-service: provider webhooks take strings as long as the body', () => {
  let chain: AppleChain;
  let app: TestApp;
  let database: TestDatabase;

  beforeAll(async () => {
    chain = makeAppleChain();
    database = await migratedTestDatabase();
    app = await startTestApp(
      testEnv(database, uniquePrefix(), { APPLE_ROOT_CERTIFICATES: chain.rootPath, APPLE_BUNDLE_ID: 'com.phoenix.vpn', APPLE_ENVIRONMENT: 'Sandbox', APPLE_ONLINE_CHECKS: 'false' }),
    );
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
    chain?.cleanup();
  });

  it('accepts a 40 KiB Apple signedPayload (Apple chains and nested JWSs are long), but not the same string elsewhere', async () => {
    const signedPayload = chain.sign({
      notificationType: 'TEST',
      notificationUUID: randomUUID(),
      version: '2.0',
      signedDate: Date.now(),
      data: { bundleId: 'com.phoenix.vpn', environment: 'Sandbox', padding: 'x'.repeat(30 * 1024) },
    });
    expect(signedPayload.length).toBeGreaterThan(40 * 1024);
    const body = JSON.stringify({ signedPayload });
    const apple = await fetch(`${app.base}/webhooks/apple`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(apple.status).toBe(200);
    expect(await json(apple)).toEqual({ received: true, outcome: 'ignored' });

    const u = await signUp();
    const other = await fetch(`${app.base}/billing/checkout`, { method: 'POST', headers: { ...bearer(u.idToken), 'content-type': 'application/json' }, body });
    expect(other.status).toBe(400);
    expect((await json(other)).code).toBe('BODY_TOO_COMPLEX');
  });
});
