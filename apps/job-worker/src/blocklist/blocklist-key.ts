// The blocklist signing key from the command line (`npm run blocklist:key`):
//   npm run blocklist:key                  the public key (base64) of BLOCKLIST_SIGNING_KEY, or of
//                                          the development default when it is unset: what apps pin
//   npm run blocklist:key -- --generate    a new private key (hex) and its public key, to rotate
//   npm run blocklist:key -- --wait-published <origin dir> <seconds>
//                                          waits (bounded) until the origin's latest.json verifies
//                                          under that key and prints its version; exit 1 if not
//                                          (npm run platform waits for its first blocklist so)
// The private key is printed only when generated here, never read back out of the environment.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestPublicKey, verifyManifest } from '@phoenix/blocklist';
import { DEV_BLOCKLIST_SIGNING_KEY, parseSigningKey, publicKeyBase64 } from './signing-key';

async function waitPublished(dir: string, seconds: number, publicKey: Uint8Array): Promise<number | null> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      return verifyManifest(await readFile(join(dir, 'blocklist', 'latest.json'), 'utf8'), publicKey).version;
    } catch {
      // Not there yet, or not signed with this key yet.
    }
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: npm run blocklist:key [-- --generate | -- --wait-published <origin dir> <seconds>]\n');
    return 0;
  }
  if (argv[0] === '--generate') {
    const seed = randomBytes(32);
    process.stdout.write(`BLOCKLIST_SIGNING_KEY=${seed.toString('hex')}\nBLOCKLIST_PUBLIC_KEY=${publicKeyBase64(seed)}\n`);
    return 0;
  }
  let secretKey: Uint8Array;
  try {
    secretKey = parseSigningKey(process.env.BLOCKLIST_SIGNING_KEY || DEV_BLOCKLIST_SIGNING_KEY);
  } catch (error) {
    process.stderr.write(`BLOCKLIST_SIGNING_KEY: ${(error as Error).message}\n`);
    return 2;
  }
  if (argv[0] === '--wait-published') {
    const [dir, seconds] = [argv[1], Number(argv[2])];
    if (!dir || !(seconds >= 0 && seconds <= 3600)) {
      process.stderr.write('usage: --wait-published <origin dir> <seconds, at most 3600>\n');
      return 2;
    }
    const version = await waitPublished(dir, seconds, manifestPublicKey(secretKey));
    if (version === null) return 1;
    process.stdout.write(`${version}\n`);
    return 0;
  }
  process.stdout.write(`${publicKeyBase64(secretKey)}\n`);
  return 0;
}

void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
