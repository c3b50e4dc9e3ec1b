import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileNodeStore, generatePrivateKey, publicKeyOf } from './node-state.store';
import { encodeWireGuardKey } from '@phoenix/wireguard';

describe('FileNodeStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'phx-store-')), 'state');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('creates the private key once, mode 0600, in a 0700 directory, and loads the same key later', async () => {
    const first = await new FileNodeStore(dir).loadOrCreateKey();
    const key = await readFile(join(dir, 'private.key'), 'utf8');
    expect((await stat(join(dir, 'private.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const second = await new FileNodeStore(dir).loadOrCreateKey();
    expect(second).toEqual(first);
    expect(await readFile(join(dir, 'private.key'), 'utf8')).toBe(key);
    expect(first.keyFile).toBe(join(dir, 'private.key'));
  });

  it('tightens a key file others can read', async () => {
    await new FileNodeStore(dir).loadOrCreateKey();
    await chmod(join(dir, 'private.key'), 0o644);
    await new FileNodeStore(dir).loadOrCreateKey();
    expect((await stat(join(dir, 'private.key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a key file that does not hold a WireGuard key', async () => {
    await new FileNodeStore(dir).loadOrCreateKey();
    await writeFile(join(dir, 'private.key'), 'garbage\n');
    await expect(new FileNodeStore(dir).loadOrCreateKey()).rejects.toThrow(/private key file/);
  });

  it('saves and loads the snapshot atomically, mode 0600; a torn file reads as empty', async () => {
    const store = new FileNodeStore(dir);
    expect(await store.load()).toEqual({ nodeId: null, generation: null, peers: null, decommissioned: false });
    const snapshot = { nodeId: 'n1', generation: 7, peers: [{ publicKey: 'k', allowedIps: ['100.64.0.2/32'], expiresAt: 'x' }], decommissioned: false };
    await store.save(snapshot);
    expect(await store.load()).toEqual(snapshot);
    expect((await stat(join(dir, 'state.json'))).mode & 0o777).toBe(0o600);
    await writeFile(join(dir, 'state.json'), '{"nodeId": "n1", "gener');
    expect(await store.load()).toEqual({ nodeId: null, generation: null, peers: null, decommissioned: false });
  });
});

describe('node keys', () => {
  it('are clamped X25519 keys whose public key matches `wg pubkey`', () => {
    const raw = generatePrivateKey();
    expect(raw[0]! & 7).toBe(0);
    expect(raw[31]! & 0x80).toBe(0);
    expect(raw[31]! & 0x40).toBe(0x40);
    const privateKey = encodeWireGuardKey(raw);
    let expected: string;
    try {
      expected = execFileSync('wg', ['pubkey'], { input: `${privateKey}\n`, encoding: 'utf8' }).trim();
    } catch (error) {
      throw new Error(`this spec checks against \`wg pubkey\` (apt-get install wireguard-tools): ${(error as Error).message}`);
    }
    expect(publicKeyOf(privateKey)).toBe(expected);
  });

  it('are different every time', () => {
    expect(encodeWireGuardKey(generatePrivateKey())).not.toBe(encodeWireGuardKey(generatePrivateKey()));
  });
});
