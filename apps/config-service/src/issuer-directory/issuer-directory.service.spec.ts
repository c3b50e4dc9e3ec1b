import { Logger } from '@nestjs/common';
import { generateIssuerKeyPair, IssuerKeyPair, renderIssuerDirectory } from '@phoenix/crypto';
import { loadConfig } from '@phoenix/common';
import { configShape } from '../config';
import { IssuerDirectoryService, NOT_BEFORE_SKEW_SEC, maxAgeMs, parseTokenIssuers, tokenIssuersUrl } from './issuer-directory.service';

describe('maxAgeMs', () => {
  it.each([
    [null, 300_000],
    ['public, max-age=60', 60_000],
    ['max-age=1', 10_000],
    ['max-age=999999', 3_600_000],
    ['no-cache', 300_000],
  ])('reads %s', (header, ms) => expect(maxAgeMs(header)).toBe(ms));
});

describe('IssuerDirectoryService', () => {
  let a: IssuerKeyPair;
  let b: IssuerKeyPair;
  let now: number;
  let calls: Array<Record<string, string>>;
  let respond: () => Response;
  /** `GET /token-issuers` (default: no tenants). */
  let respondIssuers: () => Response;
  let issuersCalls: number;
  const realFetch = global.fetch;

  const directory = (keys: Array<[IssuerKeyPair, number]>) =>
    JSON.stringify(renderIssuerDirectory({ issuerRequestUri: '/token-request', tokenKeys: keys.map(([k, nb]) => ({ tokenType: 2, tokenKey: k.tokenKey, notBefore: nb })) }));

  function service(minRefreshSec = 10) {
    const config = loadConfig(configShape, {
      NETWORK_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/n',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ISSUER_DIRECTORY_URL: 'http://issuer.test/dir',
      ISSUER_DIRECTORY_MIN_REFRESH_SEC: String(minRefreshSec),
    });
    return new IssuerDirectoryService(config, { nowMs: () => now } as never);
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    [a, b] = await Promise.all([generateIssuerKeyPair(), generateIssuerKeyPair()]);
  });
  beforeEach(() => {
    now = 1_700_000_000_000;
    calls = [];
    issuersCalls = 0;
    respondIssuers = () => new Response('[]');
    global.fetch = (async (url: string, init: { headers: Record<string, string> }) => {
      if (url === 'http://issuer.test/token-issuers') {
        issuersCalls++;
        return respondIssuers();
      }
      calls.push(init.headers);
      return respond();
    }) as never;
  });
  afterAll(() => {
    global.fetch = realFetch;
  });

  it('finds listed keys in force, tolerating 60 s of skew on not-before', async () => {
    const s = service();
    respond = () => new Response(directory([[a, now / 1000 - 10], [b, now / 1000 + 30]]), { headers: { etag: '"1"' } });
    await s.refresh();
    expect((await s.keyFor(a.keyId))?.keyIdHex).toBe(a.keyIdHex);
    expect((await s.keyFor(b.keyId))?.keyIdHex).toBe(b.keyIdHex);
    // The current key for challenges is the newest whose not-before has passed.
    expect((await s.currentKey()).keyIdHex).toBe(a.keyIdHex);
  });

  // auth-service lists its next key a day and a directory max-age (86 700 s) before it signs with it
  // and never signs with a key before its not-before: a token under a listed key that is not in
  // force yet is refused (401 INVALID_TOKEN), and accepted from its not-before (less the skew) on.
  it('accepts a token under a pre-published key only once that key is in force', async () => {
    const s = service(10);
    const nb = now / 1000 + 86_700;
    respond = () => new Response(directory([[b, nb], [a, now / 1000 - 3600]]), { headers: { etag: '"1"', 'cache-control': 'public, max-age=300' } });
    await s.refresh();
    expect(await s.keyFor(b.keyId)).toBeNull();
    expect((await s.currentKey()).keyIdHex).toBe(a.keyIdHex);
    now = (nb - NOT_BEFORE_SKEW_SEC - 1) * 1000;
    expect(await s.keyFor(b.keyId)).toBeNull();
    now = (nb - NOT_BEFORE_SKEW_SEC) * 1000;
    expect((await s.keyFor(b.keyId))?.keyIdHex).toBe(b.keyIdHex);
    // Challenges name the key in force by the clock itself; the retired key still redeems.
    expect((await s.currentKey()).keyIdHex).toBe(a.keyIdHex);
    now = nb * 1000;
    expect((await s.currentKey()).keyIdHex).toBe(b.keyIdHex);
    expect((await s.keyFor(a.keyId))?.keyIdHex).toBe(a.keyIdHex);
  });

  it('refetches when a token names a listed key not yet in force: a forced rotation moved it forward', async () => {
    const s = service(10);
    respond = () => new Response(directory([[b, now / 1000 + 86_700], [a, now / 1000 - 3600]]), { headers: { etag: '"1"' } });
    await s.refresh();
    now += 11_000;
    respond = () => new Response(directory([[b, now / 1000], [a, now / 1000 - 3600]]), { headers: { etag: '"2"' } });
    expect((await s.keyFor(b.keyId))?.keyIdHex).toBe(b.keyIdHex);
    expect(calls).toHaveLength(2);
    expect(calls[1]!['if-none-match']).toBe('"1"');
  });

  it('refetches for an unknown key id at most once per minimum interval, revalidating with If-None-Match', async () => {
    const s = service(10);
    respond = () => new Response(directory([[a, 0]]), { headers: { etag: '"v1"' } });
    await s.refresh();
    respond = () => new Response(null, { status: 304, headers: { etag: '"v1"' } });
    now += 11_000;
    expect(await s.keyFor(b.keyId)).toBeNull();
    expect(calls).toHaveLength(2);
    expect(calls[1]!['if-none-match']).toBe('"v1"');
    expect(await s.keyFor(b.keyId)).toBeNull();
    expect(calls).toHaveLength(2);
    now += 11_000;
    respond = () => new Response(directory([[b, 0], [a, 0]]), { headers: { etag: '"v2"' } });
    expect((await s.keyFor(b.keyId))?.keyIdHex).toBe(b.keyIdHex);
  });

  it('revalidates on a read once max-age has run out, with no timer, answering from the copy meanwhile', async () => {
    const s = service(10);
    respond = () => new Response(directory([[a, 0]]), { headers: { etag: '"v1"', 'cache-control': 'max-age=60' } });
    await s.refresh();
    now += 59_000;
    expect((await s.keyFor(a.keyId))?.keyIdHex).toBe(a.keyIdHex);
    expect(calls).toHaveLength(1);
    now += 1_000;
    respond = () => new Response(directory([[b, 0]]), { headers: { etag: '"v2"', 'cache-control': 'max-age=60' } });
    // The stale copy answers this read; the revalidation it started lands for the next one.
    expect((await s.currentKey()).keyIdHex).toBe(a.keyIdHex);
    expect(calls).toHaveLength(2);
    expect(calls[1]!['if-none-match']).toBe('"v1"');
    await s.refresh();
    expect(calls).toHaveLength(2);
    expect(await s.keyFor(a.keyId)).toBeNull();
    expect((await s.currentKey()).keyIdHex).toBe(b.keyIdHex);
    expect(calls).toHaveLength(2);
  });

  it('keeps serving cached keys when the directory is unreachable', async () => {
    const s = service(0);
    respond = () => new Response(directory([[a, 0]]));
    await s.refresh();
    respond = () => {
      throw new TypeError('fetch failed');
    };
    expect((await s.keyFor(a.keyId))?.keyIdHex).toBe(a.keyIdHex);
    expect(await s.keyFor(b.keyId)).toBeNull();
  });

  it('is UNAVAILABLE (503), not INVALID, when no directory was ever loaded', async () => {
    const s = service(0);
    respond = () => new Response('nope', { status: 500 });
    await expect(s.keyFor(a.keyId)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    await expect(s.currentKey()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('ignores a malformed directory and keeps the last good one', async () => {
    const s = service(0);
    respond = () => new Response(directory([[a, 0]]));
    await s.refresh();
    respond = () => new Response('{"token-keys": "oops"}');
    await s.refresh();
    expect((await s.keyFor(a.keyId))?.keyIdHex).toBe(a.keyIdHex);
  });

  describe('tenant issuers from GET /token-issuers', () => {
    const tenantId = '6a1f0b7e-2c3d-4e5f-8a9b-0c1d2e3f4a5b';
    const issuers = (entries: Array<{ issuer: string; tenantId: string | null; leaseTtlHours: number | null; keys: Array<[IssuerKeyPair, number]> }>) =>
      JSON.stringify(
        entries.map((e) => ({
          issuer: e.issuer,
          tenantId: e.tenantId,
          leaseTtlHours: e.leaseTtlHours,
          'token-keys': e.keys.map(([k, nb]) => ({ 'token-type': 2, 'token-key': Buffer.from(k.tokenKey).toString('base64url'), 'not-before': nb })),
        })),
      );

    it('defaults to the origin of the directory URL, and takes TOKEN_ISSUERS_URL when given', () => {
      expect(tokenIssuersUrl({ ISSUER_DIRECTORY_URL: 'https://auth.example:8443/.well-known/private-token-issuer-directory', TOKEN_ISSUERS_URL: undefined })).toBe('https://auth.example:8443/token-issuers');
      expect(tokenIssuersUrl({ ISSUER_DIRECTORY_URL: 'https://a.example/d', TOKEN_ISSUERS_URL: 'http://b.example/x' })).toBe('http://b.example/x');
    });

    it("resolves a key id to its issuer, tenant and the plan's lease TTL; consumer keys to our own issuer name", async () => {
      const s = service();
      respond = () => new Response(directory([[a, 0]]));
      respondIssuers = () =>
        new Response(
          issuers([
            { issuer: 'auth-service-name', tenantId: null, leaseTtlHours: null, keys: [[a, 0]] },
            { issuer: `issuer.test/tenants/${tenantId}`, tenantId, leaseTtlHours: 8, keys: [[b, 0]] },
          ]),
        );
      await s.refresh();
      expect(await s.keyFor(a.keyId)).toMatchObject({ keyIdHex: a.keyIdHex, issuer: 'issuer.test', tenantId: null, leaseTtlHours: null });
      expect(await s.keyFor(b.keyId)).toMatchObject({ keyIdHex: b.keyIdHex, issuer: `issuer.test/tenants/${tenantId}`, tenantId, leaseTtlHours: 8 });
      // Challenges (WWW-Authenticate) carry the consumer's key only.
      expect((await s.currentKey()).keyIdHex).toBe(a.keyIdHex);
      expect(await s.tenantIssuer(`issuer.test/tenants/${tenantId}`)).toEqual({ issuer: `issuer.test/tenants/${tenantId}`, tenantId });
      expect(await s.tenantIssuer('issuer.test')).toBeNull();
    });

    it('learns a new tenant at once from a token under its key, and a new issuer name from a challenge request (rate limited)', async () => {
      const s = service(10);
      respond = () => new Response(directory([[a, 0]]));
      await s.refresh();
      now += 11_000;
      respondIssuers = () => new Response(issuers([{ issuer: 'new-tenant', tenantId, leaseTtlHours: 1, keys: [[b, 0]] }]));
      expect(await s.keyFor(b.keyId)).toMatchObject({ tenantId, leaseTtlHours: 1 });
      expect(issuersCalls).toBe(2);
      expect(await s.tenantIssuer('new-tenant')).toMatchObject({ tenantId });
      expect(await s.tenantIssuer('other')).toBeNull();
      expect(issuersCalls).toBe(2);
    });

    it('is UNAVAILABLE for an unknown key while the issuer list was never loaded, yet verifies the consumer keys it has', async () => {
      const s = service(0);
      respond = () => new Response(directory([[a, 0]]));
      respondIssuers = () => new Response('nope', { status: 404 });
      await s.refresh();
      expect((await s.keyFor(a.keyId))?.keyIdHex).toBe(a.keyIdHex);
      await expect(s.keyFor(b.keyId)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(s.tenantIssuer('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    });

    it('skips malformed tenant entries and one that names the consumer issuer, keeping the rest; refuses a document that is not a list', () => {
      const good = { issuer: 't1', tenantId, leaseTtlHours: 24, 'token-keys': [{ 'token-type': 2, 'token-key': Buffer.from(b.tokenKey).toString('base64url') }] };
      const parsed = parseTokenIssuers(
        JSON.stringify([
          good,
          { ...good, issuer: 'own' },
          { ...good, issuer: 't2', tenantId: 'not-a-uuid' },
          { ...good, issuer: 't3', leaseTtlHours: 0 },
          { ...good, issuer: 't4', leaseTtlHours: 721 },
          { ...good, issuer: 't5', 'token-keys': [{ 'token-type': 2, 'token-key': 'AAAA' }] },
          'junk',
        ]),
        'own',
      );
      expect(parsed.skipped).toBe(6);
      expect([...parsed.tenants.keys()]).toEqual(['t1']);
      expect(parsed.keys.map((k) => [k.issuer, k.tenantId, k.leaseTtlHours])).toEqual([['t1', tenantId, 24]]);
      expect(() => parseTokenIssuers('{"issuer": "x"}', 'own')).toThrow();
    });
  });
});
