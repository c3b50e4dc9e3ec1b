import { manifestPublicKey } from '@phoenix/blocklist';
import { DEV_BLOCKLIST_SIGNING_KEY, parseSigningKey, publicKeyBase64 } from './signing-key';

// RFC 8032 §7.1 TEST 1: secret key (seed) and public key.
const RFC8032_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('the blocklist signing key', () => {
  it('reads 64 hex digits and the same bytes in base64 (standard or URL-safe), with or without dev-', () => {
    const bytes = Buffer.from(RFC8032_SECRET, 'hex');
    for (const text of [RFC8032_SECRET, RFC8032_SECRET.toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'), `dev-${RFC8032_SECRET}`]) {
      expect(Buffer.from(parseSigningKey(text)).toString('hex')).toBe(RFC8032_SECRET);
    }
  });

  it('gives the public key in base64 (RFC 8032 TEST 1)', () => {
    expect(Buffer.from(publicKeyBase64(parseSigningKey(RFC8032_SECRET)), 'base64').toString('hex')).toBe(RFC8032_PUBLIC);
    expect(publicKeyBase64(parseSigningKey(RFC8032_SECRET))).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it.each(['', 'dev-', 'not a key', RFC8032_SECRET.slice(2), `${RFC8032_SECRET}00`, Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64')])('refuses %p without echoing it', (text) => {
    expect(() => parseSigningKey(text)).toThrow(/^must be an Ed25519 private key: 32 bytes as 64 hex digits or base64/);
  });

  it('has a development default that is a key and is marked dev-', () => {
    expect(DEV_BLOCKLIST_SIGNING_KEY.startsWith('dev-')).toBe(true);
    expect(manifestPublicKey(parseSigningKey(DEV_BLOCKLIST_SIGNING_KEY))).toHaveLength(32);
  });
});
