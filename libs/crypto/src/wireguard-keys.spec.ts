import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { CryptoError, CryptoErrorCode } from './errors';
import {
  deriveWireGuardPublicKey,
  encodeWireGuardKey,
  generateWireGuardKeyPair,
  isWireGuardKey,
  parseWireGuardKey,
} from './wireguard-keys';

function wg(args: string[], input?: string): string {
  try {
    return execFileSync('wg', args, { input, encoding: 'utf8' }).trim();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      throw new Error('the `wg` binary (wireguard-tools) is not installed or not on PATH; this test needs it');
    }
    throw err;
  }
}

describe('WireGuard keys', () => {
  test('generated key pairs agree with `wg pubkey`, and are clamped as `wg genkey` clamps', () => {
    for (let i = 0; i < 10; i++) {
      const { privateKey, publicKey } = generateWireGuardKeyPair();
      expect(wg(['pubkey'], privateKey + '\n')).toBe(publicKey);
      const sk = parseWireGuardKey(privateKey);
      expect(sk[0] & 7).toBe(0);
      expect(sk[31] & 0xc0).toBe(0x40);
    }
  });

  test('keys made by `wg genkey` derive the same public key as `wg pubkey`', () => {
    for (let i = 0; i < 5; i++) {
      const privateKey = wg(['genkey']);
      expect(deriveWireGuardPublicKey(privateKey)).toBe(wg(['pubkey'], privateKey + '\n'));
    }
  });

  test('any 32 bytes round-trip through encode/parse (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const text = encodeWireGuardKey(bytes);
        return text.length === 44 && isWireGuardKey(text) && Buffer.from(parseWireGuardKey(text)).equals(Buffer.from(bytes));
      }),
    );
  });

  const valid = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
  test.each([
    ['missing padding', valid.slice(0, 43)],
    ['url alphabet', Buffer.alloc(32, 0xff).toString('base64url') + '='],
    ['non-canonical last character', valid.slice(0, 42) + 'h='],
    ['trailing newline', valid + '\n'],
    ['leading space', ' ' + valid],
    ['31 bytes', Buffer.alloc(31).toString('base64')],
    ['33 bytes', Buffer.alloc(33).toString('base64')],
    ['empty', ''],
  ])('rejects %s with INVALID_ENCODING', (_name, text) => {
    expect(isWireGuardKey(text)).toBe(false);
    let caught: unknown;
    try {
      parseWireGuardKey(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CryptoError);
    expect((caught as CryptoError).code).toBe(CryptoErrorCode.INVALID_ENCODING);
  });

  test('random strings raise only CryptoErrors (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseWireGuardKey(s);
          return isWireGuardKey(s);
        } catch (err) {
          return err instanceof CryptoError && !isWireGuardKey(s);
        }
      }),
      { numRuns: 300 },
    );
  });
});
