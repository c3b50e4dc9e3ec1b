import { presentedSecret } from './admin-auth';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('presentedSecret', () => {
  it('reads a bearer token', () => {
    expect(presentedSecret('Bearer dev-admin-token-job-worker')).toBe('dev-admin-token-job-worker');
    expect(presentedSecret('bearer   abc.def ')).toBe('abc.def');
  });

  it('reads the password of Basic credentials, whatever the user name', () => {
    expect(presentedSecret(basic('admin:s3cret:with:colons'))).toBe('s3cret:with:colons');
    expect(presentedSecret(basic(':s3cret'))).toBe('s3cret');
  });

  it('finds nothing in anything else', () => {
    for (const h of [undefined, '', 'Bearer', 'Bearer a b', 'Token abc', basic('no-colon'), 'Basic !!!', ['Bearer a']]) {
      expect(presentedSecret(h as string | undefined)).toBeNull();
    }
  });
});
