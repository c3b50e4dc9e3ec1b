import { TestApp, TestDatabase, adminUpdate, bearer, decodeJwt, json, migratedTestDatabase, signIn, signUp, startTestApp, testEnv, uniquePrefix, unsignedJwt } from '../../test/helpers';

// Firebase identity against the Auth emulator: who is let in and who is not.
describe('Firebase identity', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    t = await startTestApp(testEnv(db, uniquePrefix()));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const account = (authorization?: string) => fetch(`${t.base}/account`, { headers: authorization === undefined ? {} : { authorization } });

  async function expect401(res: Response): Promise<void> {
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'UNAUTHENTICATED' });
  }

  it('creates the user on first sight and finds the same one again', async () => {
    const u = await signUp();
    const first = await account(`Bearer ${u.idToken}`);
    expect(first.status).toBe(200);
    const a = await json<{ id: string; email: string; createdAt: string; subscription: unknown; preferences: unknown }>(first);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.email).toBe(u.email);
    expect(a.subscription).toEqual({ status: 'none', plan: null, provider: null, currentPeriodEnd: null, entitled: false });
    expect(a.preferences).toEqual({ defaultLocation: null, blocklistEnabled: true, killSwitch: false, notifications: { email: true, push: true } });
    const again = await json<{ id: string }>(await account(`Bearer ${await signIn(u.email)}`));
    expect(again.id).toBe(a.id);
  });

  it('creates one user under concurrent first requests', async () => {
    const u = await signUp();
    const ids = await Promise.all(Array.from({ length: 5 }, async () => (await json<{ id: string }>(await account(`Bearer ${u.idToken}`))).id));
    expect(new Set(ids).size).toBe(1);
  });

  it.each<[string, string | undefined]>([
    ['no Authorization header', undefined],
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['garbage', 'Bearer not-a-jwt'],
    ['a JWT that is not a Firebase token', `Bearer ${unsignedJwt({ sub: 'x' })}`],
    ['an overlong token', `Bearer ${'a'.repeat(10_000)}`],
  ])('refuses %s (401)', async (_name, header) => {
    await expect401(await account(header));
  });

  it('refuses an expired token (401)', async () => {
    const u = await signUp();
    const claims = decodeJwt(u.idToken);
    const past = Math.floor(Date.now() / 1000) - 7200;
    await expect401(await account(`Bearer ${unsignedJwt({ ...claims, iat: past - 3600, auth_time: past - 3600, exp: past })}`));
  });

  it('refuses a token for another Firebase project (401)', async () => {
    const u = await signUp();
    const claims = decodeJwt(u.idToken);
    await expect401(await account(`Bearer ${unsignedJwt({ ...claims, aud: 'other-project', iss: 'https://securetoken.google.com/other-project' })}`));
  });

  it('refuses a forged token for a user Firebase does not know (401)', async () => {
    const u = await signUp();
    const claims = decodeJwt(u.idToken);
    await expect401(await account(`Bearer ${unsignedJwt({ ...claims, sub: 'forged-uid-000000000000', user_id: 'forged-uid-000000000000' })}`));
  });

  it('refuses a token whose payload was altered (401)', async () => {
    const u = await signUp();
    const [h, , s] = u.idToken.split('.');
    await expect401(await account(`Bearer ${h}.${Buffer.from('{"sub":').toString('base64url')}.${s}`));
  });

  it('refuses a revoked token and accepts a fresh one (checkRevoked)', async () => {
    const u = await signUp();
    expect((await account(`Bearer ${u.idToken}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100)); // revocation is in whole seconds
    await adminUpdate(u.uid, { validSince: String(Math.floor(Date.now() / 1000)) });
    await expect401(await account(`Bearer ${u.idToken}`));
    await new Promise((r) => setTimeout(r, 1100));
    expect((await account(`Bearer ${await signIn(u.email)}`)).status).toBe(200);
  });

  it('refuses a disabled account (401)', async () => {
    const u = await signUp();
    expect((await account(`Bearer ${u.idToken}`)).status).toBe(200);
    await adminUpdate(u.uid, { disableUser: true });
    await expect401(await account(`Bearer ${u.idToken}`));
    const token = await fetch(`${t.base}/auth/vpn-token`, { method: 'POST', headers: { ...bearer(u.idToken), 'content-type': 'application/json' }, body: '{"blindedMessages":["AA"]}' });
    expect(token.status).toBe(401);
  });
});
