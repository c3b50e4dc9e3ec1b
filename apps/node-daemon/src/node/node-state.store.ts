import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import type { DesiredPeer } from '@phoenix/common';
import { assertWireGuardKey, encodeWireGuardKey, parseWireGuardKey } from '@phoenix/wireguard';

/** The node's WireGuard identity. `keyFile` (mode 0600) is what `wg set private-key` reads. */
export interface NodeKey {
  readonly publicKey: string;
  readonly keyFile: string;
}

/**
 * What the node remembers across restarts: its id, the last desired peer set it applied (so a
 * reboot while config-service is down restores users — fail static) and whether it was
 * decommissioned (then it must not bring the interface back).
 */
export interface NodeSnapshot {
  nodeId: string | null;
  generation: number | null;
  /** `null` when the node has never learnt a desired set. */
  peers: DesiredPeer[] | null;
  decommissioned: boolean;
}

export const EMPTY_SNAPSHOT: NodeSnapshot = { nodeId: null, generation: null, peers: null, decommissioned: false };

/** The node's state directory. */
export interface NodeStore {
  readonly dir: string;
  /** Loads the private key, creating it (once, mode 0600) on first start. */
  loadOrCreateKey(): Promise<NodeKey>;
  load(): Promise<NodeSnapshot>;
  save(snapshot: NodeSnapshot): Promise<void>;
}

/** An X25519 private key as `wg genkey` makes it: 32 random bytes, clamped (RFC 7748 §5). */
export function generatePrivateKey(): Uint8Array {
  const key = new Uint8Array(randomBytes(32));
  key[0] = (key[0] as number) & 248;
  key[31] = ((key[31] as number) & 127) | 64;
  return key;
}

/** The WireGuard public key of a base64 private key. */
export function publicKeyOf(privateKey: string): string {
  return encodeWireGuardKey(x25519.getPublicKey(parseWireGuardKey(privateKey, 'private key')));
}

/** {@link NodeStore} on the local file system: `private.key` and `state.json`, both mode 0600. */
export class FileNodeStore implements NodeStore {
  constructor(readonly dir: string) {}

  private get keyFile(): string {
    return join(this.dir, 'private.key');
  }

  private get stateFile(): string {
    return join(this.dir, 'state.json');
  }

  async loadOrCreateKey(): Promise<NodeKey> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    try {
      // 'wx': create only if absent, so two starts racing cannot both write a key.
      const handle = await open(this.keyFile, 'wx', 0o600);
      try {
        await handle.writeFile(`${encodeWireGuardKey(generatePrivateKey())}\n`);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // Tighten a key someone made readable by others; the key is never logged or put in argv.
    if (((await stat(this.keyFile)).mode & 0o077) !== 0) await chmod(this.keyFile, 0o600);
    const privateKey = assertWireGuardKey((await readFile(this.keyFile, 'utf8')).trim(), 'private key file');
    return { publicKey: publicKeyOf(privateKey), keyFile: this.keyFile };
  }

  async load(): Promise<NodeSnapshot> {
    let text: string;
    try {
      text = await readFile(this.stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...EMPTY_SNAPSHOT };
      throw error;
    }
    try {
      const raw = JSON.parse(text) as Partial<NodeSnapshot>;
      return {
        nodeId: typeof raw.nodeId === 'string' ? raw.nodeId : null,
        generation: typeof raw.generation === 'number' ? raw.generation : null,
        peers: Array.isArray(raw.peers) ? raw.peers : null,
        decommissioned: raw.decommissioned === true,
      };
    } catch {
      // A torn or hand-edited file: start as if new; the control plane supplies the truth.
      return { ...EMPTY_SNAPSHOT };
    }
  }

  async save(snapshot: NodeSnapshot): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.stateFile}.tmp`;
    await writeFile(tmp, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(tmp, this.stateFile);
  }
}
