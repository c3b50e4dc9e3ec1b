import { deriveWireGuardPublicKey, isWireGuardKey as cryptoIsKey } from '@phoenix/crypto';
import { generateWireGuardKeyPair, isWireGuardKey, parseWgQuick, wireGuardPublicKey, withPrivateKey } from './wireguard';

describe('WireGuard keys and the wg-quick file', () => {
  it('makes distinct, clamped key pairs whose public key is X25519 of the private one', () => {
    const pairs = Array.from({ length: 16 }, () => generateWireGuardKeyPair());
    expect(new Set(pairs.map((p) => p.privateKey)).size).toBe(16);
    for (const { privateKey, publicKey } of pairs) {
      expect(isWireGuardKey(privateKey) && cryptoIsKey(publicKey)).toBe(true);
      expect(deriveWireGuardPublicKey(privateKey)).toBe(publicKey);
      expect(wireGuardPublicKey(privateKey)).toBe(publicKey);
      const secret = Uint8Array.from(atob(privateKey), (c) => c.charCodeAt(0));
      expect(secret[0]! & 7).toBe(0);
      expect(secret[31]! & 0xc0).toBe(0x40);
    }
  });

  it('derives the public key of the RFC 7748 §6.1 vector (Alice)', () => {
    const alicePrivate = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString('base64');
    expect(Buffer.from(wireGuardPublicKey(alicePrivate), 'base64').toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(() => wireGuardPublicKey('not a key')).toThrow('not a WireGuard private key');
  });

  it('puts the private key first in [Interface], replacing an old one', () => {
    const conf = '[Interface]\nAddress = 100.64.0.2/32\n\n[Peer]\nPublicKey = abc\n';
    expect(withPrivateKey(conf, 'KEY=')).toBe('[Interface]\nPrivateKey = KEY=\nAddress = 100.64.0.2/32\n\n[Peer]\nPublicKey = abc\n');
    expect(withPrivateKey('[Interface]\nPrivateKey = old\n', 'new')).toBe('[Interface]\nPrivateKey = new\n');
    expect(() => withPrivateKey('[Peer]\n', 'k')).toThrow(/no \[Interface\]/);
  });

  it('parses wg-quick strictly', () => {
    const sections = parseWgQuick('# made by Phoenix\n[Interface]\nPrivateKey = a=\nAddress = 100.64.0.2/32\nAddress = fd00::2/128\n\n[Peer]\nPublicKey = b=\nAllowedIPs = 0.0.0.0/0, ::/0 # all\n');
    expect(sections).toEqual([
      { name: 'Interface', entries: { PrivateKey: ['a='], Address: ['100.64.0.2/32', 'fd00::2/128'] } },
      { name: 'Peer', entries: { PublicKey: ['b='], AllowedIPs: ['0.0.0.0/0, ::/0'] } },
    ]);
    expect(() => parseWgQuick('PrivateKey = a\n')).toThrow('line 1');
    expect(() => parseWgQuick('[Interface]\n<html>\n')).toThrow('line 2');
  });
});
