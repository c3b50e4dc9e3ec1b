import { createHash } from 'node:crypto';
import {
  base64urlDecode,
  base64urlEncode,
  decodeToken,
  encodeToken,
  generateBoxKeyPair,
  deriveWireGuardPublicKey,
  encodeWireGuardKey,
  generateIssuerKeyPair,
  openSealedBox,
  parseWwwAuthenticate,
  decodeTokenChallenge,
  encodeTokenChallenge,
} from '@phoenix/crypto';
import { PEERS_CHANGED_ANY_NODE, PeersChangedEvent } from '@phoenix/common';
import Redis from 'ioredis';
import {
  LocalIssuer,
  Registered,
  RunningApp,
  TestDb,
  addNode,
  createNetworkDb,
  env,
  getChallenge,
  mintToken,
  pulse,
  redeem,
  startApp,
  testEnv,
  wgPublicKey,
} from '../../test/support';
import { dropRedisPrefix } from '@phoenix/common/testing';

interface Config {
  config: string;
  interface: { addresses: string[]; dns: string[] };
  peer: { publicKey: string; endpoint: string; allowedIps: string[]; persistentKeepalive: number };
  node: { id: string; location: string };
  expiresAt: string;
  sealedPrivateKey?: string;
}

describe('POST /vpn/config: redeeming a token for a WireGuard config', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let svc: RunningApp;
  let challenge: string;
  let node: Registered;
  let redis: Redis;
  let events: PeersChangedEvent[];
  let sub: Redis;

  const spentKey = (token: string) => `${svc.config.REDIS_KEY_PREFIX}spent:${Buffer.from(decodeToken(base64urlDecode(token)).nonce).toString('hex')}`;

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    svc = await startApp(testEnv(db, issuer, { ISSUER_DIRECTORY_MIN_REFRESH_SEC: '0' }));
    challenge = await getChallenge(svc.base);
    node = await addNode(svc.base, svc.config, { location: 'de-fra' });
    redis = new Redis(env('REDIS_URL'));
    sub = new Redis(env('REDIS_URL'));
    events = [];
    await sub.psubscribe(PEERS_CHANGED_ANY_NODE);
    sub.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      const packet = JSON.parse(message) as { data: PeersChangedEvent };
      if (packet.data.nodeId === node.id || events.length < 1000) events.push(packet.data);
    });
  });

  afterAll(async () => {
    sub?.disconnect();
    redis?.disconnect();
    await svc?.close();
    if (svc) await dropRedisPrefix(svc.config.REDIS_KEY_PREFIX);
    await issuer?.close();
    await db?.drop();
  });

  it('describes every endpoint in its OpenAPI document', async () => {
    const doc = (await (await fetch(`${svc.base}/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const expected: Array<[string, string]> = [
      ['/locations', 'get'],
      ['/vpn/config', 'post'],
      ['/vpn/token-challenge', 'get'],
      ['/vpn/config', 'delete'],
      ['/admin/tenants/{tenantId}/enrollment-token', 'post'],
      ['/nodes/register', 'post'],
      ['/nodes/{id}/pulse', 'post'],
      ['/nodes/{id}/peers', 'get'],
      ['/nodes', 'get'],
      ['/nodes/{id}/drain', 'post'],
      ['/nodes/{id}', 'delete'],
      ['/admin/locations', 'get'],
      ['/admin/locations/{id}', 'get'],
      ['/admin/locations/{id}', 'put'],
      ['/admin/locations/{id}', 'delete'],
    ];
    for (const [p, method] of expected) expect(doc.paths[p]?.[method]).toBeDefined();
  });

  it('serves the TokenChallenge: type 2, issuer name, empty redemption context, origin info', async () => {
    const res = await fetch(`${svc.base}/vpn/token-challenge`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { challenge: string; issuer: string };
    const decoded = decodeTokenChallenge(base64urlDecode(body.challenge));
    expect(decoded.tokenType).toBe(2);
    expect(decoded.issuerName).toBe(new URL(issuer.url).host);
    expect(body.issuer).toBe(decoded.issuerName);
    expect(decoded.redemptionContext.length).toBe(0);
    expect(decoded.originInfo).toEqual(['phoenix-vpn']);
  });

  it('redeems a token from the Authorization header for a complete config and tells the node', async () => {
    const publicKey = wgPublicKey();
    const res = await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'de-fra', publicKey });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Config;
    expect(body.node).toEqual({ id: node.id, location: 'de-fra' });
    expect(body.interface.addresses).toHaveLength(2);
    expect(body.interface.addresses[0]).toMatch(/^100\.64\.\d+\.\d+\/32$/);
    expect(body.interface.addresses[1]).toMatch(/^fd00:6a:[0-9a-f]+:.*\/128$/);
    expect(body.interface.dns).toEqual(['100.64.0.1', expect.stringMatching(/^fd00:6a:[0-9a-f]+::1$/)]);
    expect(body.peer).toEqual({ publicKey: node.publicKey, endpoint: expect.stringMatching(/^198\.18\.\d+\.10:51820$/), allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(body.config).toContain(`Address = ${body.interface.addresses.join(', ')}`);
    expect(body.config).toContain(`PublicKey = ${node.publicKey}`);
    expect(body.config).not.toContain('PrivateKey');
    expect(body.sealedPrivateKey).toBeUndefined();

    const peers = await fetch(`${svc.base}/nodes/${node.id}/peers`, { headers: { authorization: `Bearer ${node.nodeToken}` } });
    const set = (await peers.json()) as { generation: number; peers: Array<{ publicKey: string; allowedIps: string[] }> };
    expect(set.peers).toContainEqual(expect.objectContaining({ publicKey, allowedIps: body.interface.addresses }));

    // The node's generation moves on just after the commit, and the announcement carries the peer.
    await waitFor(() => events.some((e) => e.nodeId === node.id && e.added.some((p) => p.publicKey === publicKey)));
    const event = events.find((e) => e.added.some((p) => p.publicKey === publicKey))!;
    expect(event.added.find((p) => p.publicKey === publicKey)!.allowedIps).toEqual(body.interface.addresses);
    const later = (await (await fetch(`${svc.base}/nodes/${node.id}/peers`, { headers: { authorization: `Bearer ${node.nodeToken}` } })).json()) as { generation: number };
    expect(event.generation).toBeGreaterThan(0);
    expect(later.generation).toBeGreaterThanOrEqual(event.generation);
  });

  it('accepts the token in the body field "token" and location "auto"', async () => {
    const res = await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'auto', publicKey: wgPublicKey() }, 'body');
    expect(res.status).toBe(200);
  });

  it('makes the key pair when asked and returns the private key only sealed to sealTo', async () => {
    const box = generateBoxKeyPair();
    const res = await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'de-fra', sealTo: encodeWireGuardKey(box.publicKey) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Config;
    const secret = openSealedBox(Buffer.from(body.sealedPrivateKey!, 'base64'), box.publicKey, box.secretKey);
    expect(secret.length).toBe(32);
    const derived = deriveWireGuardPublicKey(encodeWireGuardKey(secret));
    expect(body.config).not.toContain(encodeWireGuardKey(secret));
    const set = (await (await fetch(`${svc.base}/nodes/${node.id}/peers`, { headers: { authorization: `Bearer ${node.nodeToken}` } })).json()) as { peers: Array<{ publicKey: string }> };
    expect(set.peers.map((p) => p.publicKey)).toContain(derived);
  });

  it('answers 401 with a WWW-Authenticate PrivateToken challenge and the current key when no token is sent', async () => {
    for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', authorization: 'Bearer something' }] as Array<Record<string, string>>) {
      const res = await fetch(`${svc.base}/vpn/config`, { method: 'POST', headers, body: JSON.stringify({ location: 'de-fra', publicKey: wgPublicKey() }) });
      expect(res.status).toBe(401);
      const header = res.headers.get('www-authenticate')!;
      expect(header).toMatch(/^PrivateToken challenge="[A-Za-z0-9_-]+=*", token-key="[A-Za-z0-9_-]+=*"/);
      const [parsed] = parseWwwAuthenticate(header);
      expect(base64urlEncode(parsed!.challengeBytes)).toBe(challenge);
      expect(Buffer.from(parsed!.tokenKey).equals(Buffer.from(issuer.current.tokenKey))).toBe(true);
    }
    const empty = await fetch(`${svc.base}/vpn/config`, { method: 'POST' });
    expect(empty.status).toBe(401);
    expect(empty.headers.get('www-authenticate')).toMatch(/^PrivateToken /);
  });

  it('rejects the second use of a token with 409 TOKEN_REUSED', async () => {
    const token = mintToken(issuer.current, challenge);
    expect((await redeem(svc.base, token, { location: 'de-fra', publicKey: wgPublicKey() })).status).toBe(200);
    const again = await redeem(svc.base, token, { location: 'de-fra', publicKey: wgPublicKey() }, 'body');
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'TOKEN_REUSED' });
  });

  it('keeps the spent mark until its key can no longer be redeemed, the same instant for every token of the key', async () => {
    const [first, second] = [mintToken(issuer.current, challenge), mintToken(issuer.current, challenge)];
    expect((await redeem(svc.base, first, { publicKey: wgPublicKey() })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await redeem(svc.base, second, { publicKey: wgPublicKey() })).status).toBe(200);
    const expireAt = await Promise.all([first, second].map((t) => redis.call('EXPIRETIME', spentKey(t)) as Promise<number>));
    // The key's not-before plus SPENT_TOKEN_TTL_SEC (16 days), rounded up to a UTC midnight: the
    // remaining TTL tells nothing of when either token was redeemed.
    const notBefore = (issuer.keys[0] as { notBefore: number }).notBefore;
    const day = 86_400;
    expect(expireAt).toEqual([Math.ceil((notBefore + 16 * day) / day) * day, Math.ceil((notBefore + 16 * day) / day) * day]);
  });

  describe('invalid tokens are 401 INVALID_TOKEN and spend nothing', () => {
    it('rejects a token for another challenge', async () => {
      const other = encodeTokenChallenge({ tokenType: 2, issuerName: 'elsewhere.example', redemptionContext: new Uint8Array(0), originInfo: ['phoenix-vpn'] });
      const token = mintToken(issuer.current, other);
      const res = await redeem(svc.base, token, { publicKey: wgPublicKey() });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('INVALID_TOKEN');
      expect(res.headers.get('www-authenticate')).toMatch(/^PrivateToken /);
      expect(await redis.exists(spentKey(token))).toBe(0);
    });

    it('rejects a token signed by a key the directory does not list', async () => {
      const rogue = await generateIssuerKeyPair();
      const res = await redeem(svc.base, mintToken(rogue, challenge), { publicKey: wgPublicKey() });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('INVALID_TOKEN');
    });

    it('rejects a token whose signature does not verify', async () => {
      const bytes = base64urlDecode(mintToken(issuer.current, challenge));
      bytes[bytes.length - 1] ^= 1;
      const res = await redeem(svc.base, base64urlEncode(bytes), { publicKey: wgPublicKey() });
      expect(res.status).toBe(401);
    });

    it('rejects a token of another type', async () => {
      const bytes = base64urlDecode(mintToken(issuer.current, challenge));
      bytes[1] = 1;
      const res = await redeem(svc.base, base64urlEncode(bytes), { publicKey: wgPublicKey() });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('INVALID_TOKEN');
    });

    it('rejects a token whose nonce was changed (signature is over the nonce)', async () => {
      const t = decodeToken(base64urlDecode(mintToken(issuer.current, challenge)));
      const forged = encodeToken({ ...t, nonce: createHash('sha256').update(t.nonce).digest() });
      expect((await redeem(svc.base, base64urlEncode(forged), { publicKey: wgPublicKey() })).status).toBe(401);
    });
  });

  describe('bad inputs of every kind are 4xx, never 5xx', () => {
    const cases: Array<[string, () => Promise<Response>, number]> = [];
    const withToken = (body: Record<string, unknown>) => () => redeem(svc.base, mintToken(issuer.current, challenge), body);
    cases.push(['an unknown field', withToken({ publicKey: 'x', userId: 7 }), 400]);
    cases.push(['an unknown field beside a valid body', () => redeem(svc.base, mintToken(issuer.current, challenge), { publicKey: wgPublicKey(), clientIp: '1.2.3.4' }), 400]);
    cases.push(['a public key of 31 bytes', withToken({ publicKey: Buffer.alloc(31, 7).toString('base64') }), 400]);
    cases.push(['a public key of 33 bytes', withToken({ publicKey: Buffer.alloc(33, 7).toString('base64') }), 400]);
    cases.push(['a public key that is not base64', withToken({ publicKey: '!'.repeat(43) + '=' }), 400]);
    cases.push(['the all-zero public key', withToken({ publicKey: Buffer.alloc(32).toString('base64') }), 400]);
    cases.push(['a public key that is a number', withToken({ publicKey: 12 }), 400]);
    cases.push(['sealTo of the wrong length', withToken({ sealTo: Buffer.alloc(16, 1).toString('base64') }), 400]);
    cases.push(['both publicKey and sealTo', withToken({ publicKey: wgPublicKey(), sealTo: wgPublicKey() }), 400]);
    cases.push(['neither publicKey nor sealTo', withToken({ location: 'de-fra' }), 400]);
    cases.push(['a malformed location', withToken({ location: 'Frankfurt!', publicKey: wgPublicKey() }), 400]);
    cases.push(['an unknown location', withToken({ location: 'zz-nowhere', publicKey: wgPublicKey() }), 404]);
    cases.push(['a token that is not base64url', () => redeem(svc.base, 'not*base64', { publicKey: wgPublicKey() }), 400]);
    cases.push(['a token that is not base64url (body)', () => redeem(svc.base, '***', { publicKey: wgPublicKey() }, 'body'), 400]);
    cases.push(['a token that is too short', () => redeem(svc.base, base64urlEncode(new Uint8Array([0, 2, 1, 2, 3])), { publicKey: wgPublicKey() }), 400]);
    cases.push(['a token that is too long', () => redeem(svc.base, mintToken(issuer.current, challenge) + 'AAAA', { publicKey: wgPublicKey() }), 400]);
    cases.push(['a token in header and body', () => fetch(`${svc.base}/vpn/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `PrivateToken token="${mintToken(issuer.current, challenge)}"` },
      body: JSON.stringify({ token: mintToken(issuer.current, challenge), publicKey: wgPublicKey() }),
    }), 400]);
    cases.push(['a body that is not JSON', () => fetch(`${svc.base}/vpn/config`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `PrivateToken token="${mintToken(issuer.current, challenge)}"` }, body: '{"publicKey":' }), 400]);
    cases.push(['a JSON array body', () => fetch(`${svc.base}/vpn/config`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `PrivateToken token="${mintToken(issuer.current, challenge)}"` }, body: '[1,2]' }), 400]);
    cases.push(['a token field that is an object', () => fetch(`${svc.base}/vpn/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: { a: 1 }, publicKey: wgPublicKey() }) }), 400]);
    cases.push(['a malformed PrivateToken header', () => fetch(`${svc.base}/vpn/config`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'PrivateToken token=' }, body: JSON.stringify({ publicKey: wgPublicKey() }) }), 400]);
    cases.push(['an oversize body', () => redeem(svc.base, mintToken(issuer.current, challenge), { publicKey: wgPublicKey(), pad: 'x'.repeat(100_000) }), 413]);

    it.each(cases)('%s', async (_name, send, status) => {
      const res = await send();
      expect(res.status).toBe(status);
      const body = (await res.json()) as { code: string; statusCode: number };
      expect(body.statusCode).toBe(status);
      expect(typeof body.code).toBe('string');
    });
  });

  it('answers 503 NO_CAPACITY when the location is full, leaving the token unspent', async () => {
    const small = await addNode(svc.base, svc.config, { location: 'se-sto', capacity: 1, tunnelCidrV4: '100.121.9.0/24', tunnelCidrV6: 'fd00:99::/64' });
    expect((await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'se-sto', publicKey: wgPublicKey() })).status).toBe(200);
    const token = mintToken(issuer.current, challenge);
    const full = await redeem(svc.base, token, { location: 'se-sto', publicKey: wgPublicKey() });
    expect(full.status).toBe(503);
    expect(((await full.json()) as { code: string }).code).toBe('NO_CAPACITY');
    expect(await redis.exists(spentKey(token))).toBe(0);
    // Room again (the node reports capacity freed): the very same token now works.
    await fetch(`${svc.base}/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.config.NODE_ENROLLMENT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ publicKey: small.publicKey, endpoint: { host: '198.18.0.99', port: 51820 }, location: 'se-sto', capacity: 2, tunnelCidrV4: '100.121.9.0/24', tunnelCidrV6: 'fd00:99::/64', ephemeral: false, version: '1.0.1' }),
    }).then(async (r) => {
      const b = (await r.json()) as { nodeToken: string };
      small.nodeToken = b.nodeToken;
    });
    expect((await redeem(svc.base, token, { location: 'se-sto', publicKey: wgPublicKey() })).status).toBe(200);
  });

  it('does not hand out a location that has no healthy node', async () => {
    const unhealthy = await addNode(svc.base, svc.config, { location: 'fr-par', capacity: 100, tunnelCidrV4: '100.121.10.0/24', tunnelCidrV6: 'fd00:10::/64' });
    await pulse(svc.base, unhealthy, { load: 5, peers: 0, healthy: false });
    const token = mintToken(issuer.current, challenge);
    const res = await redeem(svc.base, token, { location: 'fr-par', publicKey: wgPublicKey() });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('NO_CAPACITY');
  });

  it('replaces the lease of a key that redeems again on the same node (one WireGuard peer per key)', async () => {
    const publicKey = wgPublicKey();
    const first = (await (await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'de-fra', publicKey })).json()) as Config;
    const second = (await (await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'de-fra', publicKey })).json()) as Config;
    expect(second.node.id).toBe(first.node.id);
    const set = (await (await fetch(`${svc.base}/nodes/${node.id}/peers`, { headers: { authorization: `Bearer ${node.nodeToken}` } })).json()) as { peers: Array<{ publicKey: string; allowedIps: string[] }> };
    const mine = set.peers.filter((p) => p.publicKey === publicKey);
    expect(mine).toEqual([expect.objectContaining({ allowedIps: second.interface.addresses })]);
  });

  it('accepts tokens of a key rotated in after start-up by refetching the directory (revalidating with the ETag)', async () => {
    const next = await generateIssuerKeyPair();
    issuer.keys.unshift({ key: next, notBefore: Math.floor(Date.now() / 1000) - 1 });
    const before = issuer.requests;
    const res = await redeem(svc.base, mintToken(next, challenge), { publicKey: wgPublicKey() });
    expect(res.status).toBe(200);
    expect(issuer.requests).toBeGreaterThan(before);
    // The previous key is still listed: its tokens still work.
    expect((await redeem(svc.base, mintToken(issuer.keys[1]!.key, challenge), { publicKey: wgPublicKey() })).status).toBe(200);
  });

  it('refuses a key whose not-before is still in the future (beyond the skew)', async () => {
    const future = await generateIssuerKeyPair();
    issuer.keys.push({ key: future, notBefore: Math.floor(Date.now() / 1000) + 3600 });
    expect((await redeem(svc.base, mintToken(future, challenge), { publicKey: wgPublicKey() })).status).toBe(401);
    issuer.keys.pop();
  });

  it('keeps verifying with cached keys while the directory is unreachable', async () => {
    issuer.down = true;
    try {
      expect((await redeem(svc.base, mintToken(issuer.current, challenge), { publicKey: wgPublicKey() })).status).toBe(200);
      expect((await fetch(`${svc.base}/health/ready`)).status).toBe(200);
    } finally {
      issuer.down = false;
    }
  });

  it('lists locations with availability and coarse load, and no node addresses', async () => {
    const res = await fetch(`${svc.base}/locations`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/max-age/);
    const list = (await res.json()) as Array<Record<string, unknown>>;
    expect(list).toContainEqual({ id: 'de-fra', country: 'DE', city: 'Frankfurt', available: true, load: 'low' });
    expect(list).toContainEqual(expect.objectContaining({ id: 'jp-tyo', available: false }));
    expect(JSON.stringify(list)).not.toMatch(/198\.18|100\.64|endpoint/);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
