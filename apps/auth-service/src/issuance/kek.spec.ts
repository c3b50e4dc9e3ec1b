import { issuerKek } from './kek';

describe('issuerKek', () => {
  it('stretches a dev- value outside production', () => {
    const k = issuerKek('dev-issuer-key-encryption-key-not-real', 'development');
    expect(k).toHaveLength(32);
    expect(Buffer.from(k)).toEqual(Buffer.from(issuerKek('dev-issuer-key-encryption-key-not-real', 'test')));
  });

  it('takes 64 hex characters or base64 of 32 bytes', () => {
    const hex = 'ab'.repeat(32);
    expect(Buffer.from(issuerKek(hex, 'production')).toString('hex')).toBe(hex);
    expect(Buffer.from(issuerKek(Buffer.from(hex, 'hex').toString('base64'), 'production')).toString('hex')).toBe(hex);
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => issuerKek('prod-not-a-key-at-all-0123456789', 'production')).toThrow(/ISSUER_KEY_ENCRYPTION_KEY/);
    expect(() => issuerKek('dev-issuer-key-encryption-key-not-real', 'production')).toThrow(/ISSUER_KEY_ENCRYPTION_KEY/);
  });
});
