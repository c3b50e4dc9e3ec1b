import { randomUUID } from 'node:crypto';
import { AppleChain, appleNotification, makeAppleChain } from '../../test/apple';
import { TestApp, TestDatabase, bearer, json, migratedTestDatabase, signUp, startTestApp, testEnv, uniquePrefix } from '../../test/helpers';

describe('App Store Server Notifications V2', () => {
  let db: TestDatabase;
  let t: TestApp;
  let chain: AppleChain;
  let stranger: AppleChain;

  beforeAll(async () => {
    chain = makeAppleChain();
    stranger = makeAppleChain();
    db = await migratedTestDatabase();
    t = await startTestApp(testEnv(db, uniquePrefix(), { APPLE_ROOT_CERTIFICATES: chain.rootPath, APPLE_BUNDLE_ID: 'com.phoenix.vpn', APPLE_ENVIRONMENT: 'Sandbox', APPLE_ONLINE_CHECKS: 'false' }));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    chain?.cleanup();
    stranger?.cleanup();
  });

  const post = (body: unknown) => fetch(`${t.base}/webhooks/apple`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const status = async (idToken: string) => json<{ status: string; provider: string | null; plan: string | null; entitled: boolean }>(await fetch(`${t.base}/account/subscription`, { headers: bearer(idToken) }));

  async function newUser() {
    const u = await signUp();
    const { id } = await json<{ id: string }>(await fetch(`${t.base}/account`, { headers: bearer(u.idToken) }));
    return { ...u, userId: id };
  }

  it('links a purchase by appAccountToken and follows it through renewal, billing trouble and expiry', async () => {
    const u = await newUser();
    const original = `orig-${randomUUID()}`;
    const t0 = Date.now() - 60_000;
    const send = async (type: string, extra: Partial<Parameters<typeof appleNotification>[1]> = {}) => {
      const res = await post({ signedPayload: appleNotification(chain, { type, userId: u.userId, originalTransactionId: original, ...extra }).signedPayload });
      expect(res.status).toBe(200);
      return json<{ outcome: string }>(res);
    };
    expect((await send('SUBSCRIBED', { subtype: 'INITIAL_BUY', signedDate: t0, productId: 'com.phoenix.vpn.yearly' })).outcome).toBe('processed');
    expect(await status(u.idToken)).toMatchObject({ status: 'active', provider: 'apple', plan: 'yearly', entitled: true });
    await send('DID_RENEW', { signedDate: t0 + 1000, expiresDate: Date.now() + 60 * 86_400_000 });
    expect((await status(u.idToken)).status).toBe('active');
    await send('DID_FAIL_TO_RENEW', { subtype: 'GRACE_PERIOD', signedDate: t0 + 2000, gracePeriodExpiresDate: Date.now() + 86_400_000 });
    expect(await status(u.idToken)).toMatchObject({ status: 'past_due', entitled: true });
    await send('GRACE_PERIOD_EXPIRED', { signedDate: t0 + 3000 });
    expect(await status(u.idToken)).toMatchObject({ status: 'expired', entitled: false });
    const payments = await json<{ items: Array<{ provider: string; amount: number; currency: string }> }>(await fetch(`${t.base}/account/payments`, { headers: bearer(u.idToken) }));
    expect(payments.items).toHaveLength(2);
    expect(payments.items[0]).toMatchObject({ provider: 'apple', amount: 999, currency: 'eur' });
  });

  it.each<[string, string]>([
    ['EXPIRED', 'expired'],
    ['REFUND', 'expired'],
  ])('%s ends the entitlement', async (type, expected) => {
    const u = await newUser();
    const original = `orig-${randomUUID()}`;
    await post({ signedPayload: appleNotification(chain, { type: 'SUBSCRIBED', userId: u.userId, originalTransactionId: original, signedDate: Date.now() - 5000 }).signedPayload });
    expect((await status(u.idToken)).entitled).toBe(true);
    const res = await post({ signedPayload: appleNotification(chain, { type, userId: u.userId, originalTransactionId: original }).signedPayload });
    expect(res.status).toBe(200);
    expect(await status(u.idToken)).toMatchObject({ status: expected, entitled: false });
  });

  it('is idempotent per notificationUUID and ignores older notifications', async () => {
    const u = await newUser();
    const original = `orig-${randomUUID()}`;
    const now = Date.now();
    const subscribed = appleNotification(chain, { type: 'SUBSCRIBED', userId: u.userId, originalTransactionId: original, signedDate: now - 10_000 });
    expect((await json<{ outcome: string }>(await post({ signedPayload: subscribed.signedPayload }))).outcome).toBe('processed');
    expect((await json<{ outcome: string }>(await post({ signedPayload: subscribed.signedPayload }))).outcome).toBe('duplicate');
    await post({ signedPayload: appleNotification(chain, { type: 'EXPIRED', userId: u.userId, originalTransactionId: original, signedDate: now - 1000 }).signedPayload });
    const late = await post({ signedPayload: appleNotification(chain, { type: 'DID_RENEW', userId: u.userId, originalTransactionId: original, signedDate: now - 5000 }).signedPayload });
    expect((await json<{ outcome: string }>(late)).outcome).toBe('stale');
    expect((await status(u.idToken)).status).toBe('expired');
  });

  it('acknowledges a notification for an unknown account without linking it', async () => {
    const res = await post({ signedPayload: appleNotification(chain, { type: 'SUBSCRIBED', userId: randomUUID(), originalTransactionId: `orig-${randomUUID()}` }).signedPayload });
    expect(res.status).toBe(200);
    expect((await json<{ outcome: string }>(res)).outcome).toBe('ignored');
  });

  it.each<[string, () => unknown, number, string]>([
    ['a chain from another root', () => ({ signedPayload: appleNotification(stranger, { type: 'SUBSCRIBED', originalTransactionId: 'o' }).signedPayload }), 400, 'BAD_SIGNATURE'],
    ['another bundle id', () => ({ signedPayload: appleNotification(chain, { type: 'SUBSCRIBED', originalTransactionId: 'o', bundleId: 'com.other.app' }).signedPayload }), 400, 'BAD_SIGNATURE'],
    ['the production environment', () => ({ signedPayload: appleNotification(chain, { type: 'SUBSCRIBED', originalTransactionId: 'o', environment: 'Production' }).signedPayload }), 400, 'BAD_SIGNATURE'],
    [
      'a tampered payload',
      () => {
        const [h, p, s] = appleNotification(chain, { type: 'SUBSCRIBED', originalTransactionId: 'o' }).signedPayload.split('.');
        const body = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
        return { signedPayload: `${h}.${Buffer.from(JSON.stringify({ ...body, notificationType: 'REFUND' })).toString('base64url')}.${s}` };
      },
      400,
      'BAD_SIGNATURE',
    ],
    ['an unsigned JWS', () => ({ signedPayload: 'eyJhbGciOiJub25lIn0.eyJhIjoxfQ.x' }), 400, 'BAD_SIGNATURE'],
    ['not a JWS', () => ({ signedPayload: 'hello' }), 400, 'VALIDATION_FAILED'],
    ['no signedPayload', () => ({}), 400, 'VALIDATION_FAILED'],
    ['an extra field', () => ({ signedPayload: 'a.b.c', extra: 1 }), 400, 'VALIDATION_FAILED'],
    ['a number', () => ({ signedPayload: 5 }), 400, 'VALIDATION_FAILED'],
    ['an array', () => [1], 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_n, body, code, errorCode) => {
    const res = await post(body());
    expect(res.status).toBe(code);
    expect((await json(res)).code).toBe(errorCode);
  });
});
