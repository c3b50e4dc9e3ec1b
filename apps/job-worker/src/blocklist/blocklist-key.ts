// The blocklist signing key from the command line (`npm run blocklist:key`):
//   npm run blocklist:key                  the public key (base64) of BLOCKLIST_SIGNING_KEY, or of
//                                          the development default when it is unset: what apps pin
//   npm run blocklist:key -- --generate    a new private key (hex) and its public key, to rotate
// The private key is printed only when generated here, never read back out of the environment.
import { randomBytes } from 'node:crypto';
import { DEV_BLOCKLIST_SIGNING_KEY, parseSigningKey, publicKeyBase64 } from './signing-key';

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: npm run blocklist:key [-- --generate]\n');
    return 0;
  }
  if (argv.includes('--generate')) {
    const seed = randomBytes(32);
    process.stdout.write(`BLOCKLIST_SIGNING_KEY=${seed.toString('hex')}\nBLOCKLIST_PUBLIC_KEY=${publicKeyBase64(seed)}\n`);
    return 0;
  }
  const text = process.env.BLOCKLIST_SIGNING_KEY || DEV_BLOCKLIST_SIGNING_KEY;
  try {
    process.stdout.write(`${publicKeyBase64(parseSigningKey(text))}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`BLOCKLIST_SIGNING_KEY: ${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
