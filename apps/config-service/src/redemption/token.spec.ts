import { tokenBytes, hasPrivateTokenCredentials } from './token';

describe('token extraction', () => {
  it('recognises the PrivateToken scheme only', () => {
    expect(hasPrivateTokenCredentials('PrivateToken token="AAAA"')).toBe(true);
    expect(hasPrivateTokenCredentials('privatetoken token=AAAA')).toBe(true);
    expect(hasPrivateTokenCredentials('Bearer abc')).toBe(false);
    expect(hasPrivateTokenCredentials(undefined)).toBe(false);
  });

  it('reads the header or the body, never both', () => {
    expect(Array.from(tokenBytes('PrivateToken token="AAEC"', undefined))).toEqual([0, 1, 2]);
    expect(Array.from(tokenBytes(undefined, 'AAEC'))).toEqual([0, 1, 2]);
    expect(() => tokenBytes('PrivateToken token="AAEC"', 'AAEC')).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('refuses bad base64url as 400', () => {
    expect(() => tokenBytes(undefined, 'A')).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => tokenBytes('PrivateToken token="***"', undefined)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
