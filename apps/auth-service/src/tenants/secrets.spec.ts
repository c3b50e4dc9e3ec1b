import { createHash } from 'node:crypto';
import { PasswordHasher } from './password-hasher';
import { apiKeyPrefix, digestEquals, looksLikeApiKey, newApiKey, newRefreshToken, sha256Hex } from './secrets';

describe('tenant API keys', () => {
  it('are phx_live_ + 256 random bits, with a visible prefix and SHA-256 stored', () => {
    const k = newApiKey();
    expect(k.apiKey).toMatch(/^phx_live_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(k.apiKey.slice(9), 'base64url')).toHaveLength(32);
    expect(k.prefix).toBe(k.apiKey.slice(0, 17));
    expect(apiKeyPrefix(k.apiKey)).toBe(k.prefix);
    expect(k.hash).toBe(createHash('sha256').update(k.apiKey).digest('hex'));
    expect(newApiKey().apiKey).not.toBe(k.apiKey);
    expect(looksLikeApiKey(k.apiKey)).toBe(true);
    for (const bad of [undefined, '', 'phx_live_', `${k.apiKey}=`, k.apiKey.replace('phx_live_', 'phx_test_'), ['x']]) expect(looksLikeApiKey(bad)).toBe(false);
  });

  it('compares digests in full (equal only when every byte is)', () => {
    const a = sha256Hex('a');
    expect(digestEquals(a, sha256Hex('a'))).toBe(true);
    expect(digestEquals(a, sha256Hex('b'))).toBe(false);
    expect(digestEquals(a, a.slice(0, 62))).toBe(false);
    expect(digestEquals('', '')).toBe(false);
  });

  it('refresh tokens are 256 random bits', () => {
    expect(Buffer.from(newRefreshToken(), 'base64url')).toHaveLength(32);
  });
});

describe('PasswordHasher (argon2id)', () => {
  const hasher = new PasswordHasher();

  it('hashes with argon2id (19 MiB, 2 passes) and verifies', async () => {
    const h = await hasher.hash('correct horse battery');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verifyOrDummy(h, 'correct horse battery')).toBe(true);
    expect(await hasher.verifyOrDummy(h, 'wrong')).toBe(false);
  });

  it('with no stored hash verifies against the dummy (same parameters) and answers false', async () => {
    const verify = jest.spyOn(hasher, 'verify');
    const dummy = await hasher.dummyHash();
    expect(dummy).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verifyOrDummy(null, 'anything at all')).toBe(false);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify).toHaveBeenCalledWith(dummy, 'anything at all');
    verify.mockRestore();
  });

  it('treats a malformed stored hash as a mismatch', async () => {
    expect(await hasher.verifyOrDummy('not-a-hash', 'x')).toBe(false);
  });
});
