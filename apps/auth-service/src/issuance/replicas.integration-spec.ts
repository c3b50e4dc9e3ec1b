import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { Patterns, redisClientOptions } from '@phoenix/common';
import { ServiceProcess, sideRedisUrl, spawnService, waitForHttp } from '@phoenix/common/testing';
import { createTokenRequest, encodeTokenChallenge, finalizeToken, parseIssuerDirectory, verifyToken } from '@phoenix/crypto';
import { firstValueFrom, timeout } from 'rxjs';
import { DataSource } from 'typeorm';
import { TestDatabase, bearer, migratedTestDatabase, signUp, testEnv, uniquePrefix } from '../../test/helpers';

const challenge = encodeTokenChallenge({ tokenType: 2, issuerName: 'auth.phoenix.test', redemptionContext: new Uint8Array(0), originInfo: [] });

// Two auth-service processes on one identity database: one key schedule, the same directory,
// tokens from either replica valid under the keys the other publishes.
describe('auth-service replicas', () => {
  const ports = [3910, 3911];
  let db: TestDatabase;
  let procs: ServiceProcess[] = [];
  let ds: DataSource;
  const base = (i: number) => `http://127.0.0.1:${ports[i]}`;
  const directory = async (i: number) => (await fetch(`${base(i)}/.well-known/private-token-issuer-directory`)).text();

  beforeAll(async () => {
    db = await migratedTestDatabase();
    const env = testEnv(db, uniquePrefix(), { ISSUER_KEY_CACHE_SECONDS: '1', NODE_ENV: 'test' });
    // Started together on an empty key store: both race to create the first key.
    procs = ports.map((p) => spawnService('auth-service', { ...env, PORT: String(p) }));
    await Promise.all(ports.map((_, i) => waitForHttp(`${base(i)}/health/ready`, 60_000)));
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
  }, 90_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await ds?.destroy();
    await db?.drop();
  });

  it('creates exactly one key when both start on an empty store, and both publish it', async () => {
    const [a, b] = await Promise.all([directory(0), directory(1)]);
    expect(parseIssuerDirectory(a).tokenKeys).toHaveLength(1);
    expect(a).toBe(b);
    expect(await ds.query('SELECT count(*)::int AS n FROM issuer_keys')).toEqual([{ n: 1 }]);
  });

  it('signs on one replica with the key the other publishes', async () => {
    const { idToken } = await signUp();
    expect((await fetch(`${base(0)}/account/trial`, { method: 'POST', headers: bearer(idToken) })).status).toBe(201);
    const key = parseIssuerDirectory(await directory(0)).tokenKeys[0].tokenKey;
    const { request, state } = createTokenRequest(key, challenge);
    const res = await fetch(`${base(1)}/token-request`, { method: 'POST', headers: { ...bearer(idToken), 'content-type': 'application/private-token-request' }, body: Buffer.from(request) });
    expect(res.status).toBe(200);
    expect(verifyToken(key, finalizeToken(state, new Uint8Array(await res.arrayBuffer())))).toBe(true);
  });

  it('rotates once for an ISSUER_ROTATE command both replicas receive, and both then publish the same keys', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const client: ClientProxy = ClientProxyFactory.create(redisClientOptions('rotate-test', sideRedisUrl('job-worker'))); // as job-worker sends it
    try {
      await client.connect();
      const reply = await firstValueFrom(client.send(Patterns.ISSUER_ROTATE, { force: true, requestedAt: new Date().toISOString() }).pipe(timeout(20_000)));
      expect(reply).toHaveProperty('current.keyId');
    } finally {
      await client.close();
    }
    // Both replicas got the command; the schedule lock and the request time make it one rotation.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ds.query('SELECT count(*)::int AS n FROM issuer_keys')).toEqual([{ n: 2 }]);
    const [a, b] = await Promise.all([directory(0), directory(1)]);
    expect(a).toBe(b);
    const keys = parseIssuerDirectory(a).tokenKeys;
    expect(keys).toHaveLength(2);
    const { idToken } = await signUp();
    await fetch(`${base(1)}/account/trial`, { method: 'POST', headers: bearer(idToken) });
    const { request, state } = createTokenRequest(keys[0].tokenKey, challenge);
    const res = await fetch(`${base(0)}/token-request`, { method: 'POST', headers: { ...bearer(idToken), 'content-type': 'application/private-token-request' }, body: Buffer.from(request) });
    expect(res.status).toBe(200);
    expect(verifyToken(keys[0].tokenKey, finalizeToken(state, new Uint8Array(await res.arrayBuffer())))).toBe(true);
  });

  it('stores private keys only sealed under the KEK', async () => {
    const rows: Array<{ encrypted_private_key: Buffer }> = await ds.query('SELECT encrypted_private_key FROM issuer_keys');
    for (const r of rows) {
      expect(r.encrypted_private_key.subarray(0, 4).toString('latin1')).toBe('PXEK');
      // No PKCS#8 RSA structure (SEQUENCE … rsaEncryption OID) in the clear.
      expect(r.encrypted_private_key.includes(Buffer.from('2a864886f70d010101', 'hex'))).toBe(false);
    }
  });
});
