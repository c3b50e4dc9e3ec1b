import { CryptoError, CryptoErrorCode } from '../src/errors';

/** What `fn` throws: its `CryptoError` code, `'no error'`, or `'not a CryptoError'`. */
export function codeOf(fn: () => unknown): CryptoErrorCode | 'no error' | 'not a CryptoError' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return err instanceof CryptoError ? err.code : 'not a CryptoError';
  }
}
