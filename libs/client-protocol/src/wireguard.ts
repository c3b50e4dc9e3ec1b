// The WireGuard key pair a client makes for itself, and the wg-quick file it saves. The private
// key is generated here and written only into the file: config-service gets the public key.
import { x25519 } from '@noble/curves/ed25519.js';
import { base64Decode, base64Encode } from './bytes';

export interface WireGuardKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

// 44 characters of canonical padded base64 (the only form `wg` prints).
const CANONICAL_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Whether `text` is a WireGuard key in `wg`'s form. */
export function isWireGuardKey(text: unknown): text is string {
  return typeof text === 'string' && CANONICAL_KEY.test(text);
}

/**
 * A fresh X25519 key pair (clamped as `wg genkey` does), from the platform's CSPRNG.
 *
 * @example const { privateKey, publicKey } = generateWireGuardKeyPair();
 */
export function generateWireGuardKeyPair(): WireGuardKeyPair {
  const secret = x25519.utils.randomSecretKey();
  secret[0] &= 248;
  secret[31] = (secret[31] & 127) | 64;
  const pair = { privateKey: base64Encode(secret), publicKey: base64Encode(x25519.getPublicKey(secret)) };
  secret.fill(0);
  return pair;
}

/** The public key of a base64 private key. @throws {Error} when it is not a WireGuard key */
export function wireGuardPublicKey(privateKey: string): string {
  // The message never echoes the input: it is a private key.
  if (!isWireGuardKey(privateKey)) throw new Error('not a WireGuard private key');
  return base64Encode(x25519.getPublicKey(base64Decode(privateKey)));
}

/**
 * The wg-quick file: config-service's config with the client's private key put first in
 * [Interface] (replacing any PrivateKey line there was).
 *
 * @throws {Error} when the config has no [Interface] section
 */
export function withPrivateKey(config: string, privateKey: string): string {
  const lines = config.split('\n').filter((l) => !/^\s*PrivateKey\s*=/.test(l));
  const at = lines.findIndex((l) => l.trim() === '[Interface]');
  if (at < 0) throw new Error('the config from config-service has no [Interface] section');
  lines.splice(at + 1, 0, `PrivateKey = ${privateKey}`);
  return lines.join('\n').replace(/\n*$/, '\n');
}

export interface WgQuickSection {
  name: string;
  /** Keys as written; a key given twice keeps every value in order. */
  entries: Record<string, string[]>;
}

/**
 * Parses a wg-quick file strictly: `[Section]` headers, `Key = Value` lines, blank lines and `#`
 * comments; anything else (or a key before the first section) throws, naming the line number.
 */
export function parseWgQuick(text: string): WgQuickSection[] {
  const sections: WgQuickSection[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      sections.push({ name: header[1], entries: {} });
      return;
    }
    const pair = /^(\w+)\s*=\s*(.+)$/.exec(line);
    const current = sections[sections.length - 1];
    if (!pair || !current) throw new Error(`line ${i + 1} is not a wg-quick line`);
    (current.entries[pair[1]] ??= []).push(pair[2].trim());
  });
  return sections;
}
