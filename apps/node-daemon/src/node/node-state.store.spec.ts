import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
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

describe('FileNodeStore journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'phx-journal-')), 'state');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  const lease = (n: number) => ({ publicKey: `key-${n}`, allowedIps: [`100.64.0.${n}/32`], expiresAt: '2999-01-01T00:00:00.000Z' });
  const base = { nodeId: 'n1', generation: 1, peers: [lease(2), lease(3)], decommissioned: false };
  const journalText = () => readFile(join(dir, 'state.journal'), 'utf8');

  it('replays appended changes over the snapshot, and a save empties the journal (mode 0600)', async () => {
    const store = new FileNodeStore(dir);
    await store.save(base);
    await store.append({ generation: 2, upserted: [lease(4)], removed: ['key-2'] });
    await store.append({ generation: 3, upserted: [{ ...lease(3), allowedIps: ['100.64.0.9/32'] }], removed: [] });
    expect((await stat(join(dir, 'state.journal'))).mode & 0o777).toBe(0o600);
    expect((await journalText()).trim().split('\n')).toHaveLength(2);
    await store.close();

    const again = new FileNodeStore(dir);
    const loaded = await again.load();
    expect(loaded).toEqual({ nodeId: 'n1', generation: 3, peers: [{ ...lease(3), allowedIps: ['100.64.0.9/32'] }, lease(4)], decommissioned: false });
    await again.save(loaded);
    expect(await journalText()).toBe('');
    expect(await again.load()).toEqual(loaded);
    await again.close();
  });

  it('keeps a peer’s tenant id through the journal and the snapshot (a restarted node still meters per tenant)', async () => {
    const T = '0b7e4c1e-59d4-4c8a-9d1e-7a1f4b2c3d4e';
    const store = new FileNodeStore(dir);
    await store.save(base);
    await store.append({ generation: 2, upserted: [{ ...lease(5), tenantId: T }], removed: [] });
    await store.close();
    const again = new FileNodeStore(dir);
    const loaded = await again.load();
    expect(loaded.peers).toEqual([lease(2), lease(3), { ...lease(5), tenantId: T }]);
    await again.save(loaded);
    expect((await again.load()).peers).toEqual(loaded.peers);
    await again.close();
  });

  it('skips a torn line, and a line lost from the chain ends the replay', async () => {
    const store = new FileNodeStore(dir);
    await store.save(base);
    await store.append({ generation: 2, upserted: [lease(4)], removed: [] });
    await appendFile(join(dir, 'state.journal'), '{"epoch":"'); // a write cut short
    await store.close();
    expect((await new FileNodeStore(dir).load()).generation).toBe(2);

    const next = new FileNodeStore(dir);
    await next.load();
    await next.save({ ...base, generation: 2, peers: [...base.peers, lease(4)] });
    await next.append({ generation: 4, upserted: [lease(5)], removed: [] }); // 3 is missing
    await next.close();
    expect(await new FileNodeStore(dir).load()).toMatchObject({ generation: 2, peers: [lease(2), lease(3), lease(4)] });
  });

  it('ignores the journal of an earlier snapshot (a crash between writing a snapshot and emptying the journal)', async () => {
    const store = new FileNodeStore(dir);
    await store.save(base);
    await store.append({ generation: 2, upserted: [lease(4)], removed: [] });
    const stale = await journalText();
    // config-service was rebuilt: a reconcile saves an older generation 1 without peer 3 ...
    await store.save({ ...base, peers: [lease(2)] });
    await store.close();
    // ... and the journal was not emptied: its generation 2 would follow, but belongs to the old snapshot.
    await writeFile(join(dir, 'state.journal'), stale);
    expect(await new FileNodeStore(dir).load()).toEqual({ ...base, peers: [lease(2)] });
  });

  it('refuses to append before a snapshot exists to journal against', async () => {
    const store = new FileNodeStore(dir);
    await store.load();
    await expect(store.append({ generation: 2, upserted: [], removed: [] })).rejects.toThrow(/save\(\) first/);
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
