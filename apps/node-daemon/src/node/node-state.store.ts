import { randomBytes } from 'node:crypto';
import { chmod, FileHandle, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import type { DesiredPeer } from '@phoenix/common';
import { assertWireGuardKey, encodeWireGuardKey, parseWireGuardKey, PeerSetChange } from '@phoenix/wireguard';

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

/**
 * The node's state directory: a snapshot of the whole state plus a journal of the announced
 * changes applied since, so that one announcement costs one appended line however many peers the
 * node has. `save` compacts (writes a new snapshot, empties the journal); `load` replays.
 */
export interface NodeStore {
  readonly dir: string;
  /** Loads the private key, creating it (once, mode 0600) on first start. */
  loadOrCreateKey(): Promise<NodeKey>;
  /** The snapshot with every journalled change that follows it applied (see {@link replayJournal}). */
  load(): Promise<NodeSnapshot>;
  /** Replaces the whole state and empties the journal. */
  save(snapshot: NodeSnapshot): Promise<void>;
  /** Appends one change (the next generation) to the journal. */
  append(change: PeerSetChange): Promise<void>;
  /** Releases open files (the journal). */
  close(): Promise<void>;
}

/**
 * Applies journalled changes to a snapshot in order, each only when it is the next generation of
 * the state so far; the first that is not ends the replay (a change whose line was lost, e.g. when
 * an append failed, must not be skipped over). What is left is an older generation, which the
 * daemon notices at the next announcement or pulse and reconciles.
 */
export function replayJournal(snapshot: NodeSnapshot, changes: readonly PeerSetChange[]): NodeSnapshot {
  if (snapshot.peers === null || snapshot.generation === null || changes.length === 0) return snapshot;
  const peers = new Map(snapshot.peers.map((p) => [p.publicKey, p]));
  let generation = snapshot.generation;
  for (const change of changes) {
    if (change.generation !== generation + 1) break;
    for (const key of change.removed) peers.delete(key);
    for (const peer of change.upserted) peers.set(peer.publicKey, { publicKey: peer.publicKey, allowedIps: [...peer.allowedIps], expiresAt: peer.expiresAt, ...(peer.tenantId ? { tenantId: peer.tenantId } : {}) });
    generation = change.generation;
  }
  return { ...snapshot, generation, peers: [...peers.values()] };
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

/**
 * {@link NodeStore} on the local file system, all files mode 0600: `private.key`, `state.json` (the
 * snapshot) and `state.journal` (one JSON line per change since).
 *
 * Crash safety: the daemon appends a change *before* it runs `wg set` for it (write-ahead), so a
 * crash between the two leaves a journal that is ahead of the interface, and the restart's full
 * reconcile adds what is missing. Each snapshot carries a random epoch and each journal line the
 * epoch it follows: a crash between writing a snapshot and emptying the journal leaves lines of
 * the previous epoch, which are ignored. A torn or unreadable line is skipped and ends the
 * generation chain (see {@link replayJournal}). Appends are not fsynced: a daemon crash loses
 * nothing (the write is in the kernel), a power cut may lose the journal's tail, which reads back
 * as an older generation; snapshots are fsynced before they replace the old one.
 */
export class FileNodeStore implements NodeStore {
  private epoch: string | null = null;
  private journal: FileHandle | null = null;
  /** False after a failed or short append: the next line starts on a fresh line. */
  private journalEndsClean = true;

  constructor(readonly dir: string) {}

  private get keyFile(): string {
    return join(this.dir, 'private.key');
  }

  private get stateFile(): string {
    return join(this.dir, 'state.json');
  }

  private get journalFile(): string {
    return join(this.dir, 'state.journal');
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
    const snapshot = await this.loadSnapshot();
    return replayJournal(snapshot, this.epoch === null ? [] : await this.readJournal(this.epoch));
  }

  private async loadSnapshot(): Promise<NodeSnapshot> {
    this.epoch = null;
    let text: string;
    try {
      text = await readFile(this.stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...EMPTY_SNAPSHOT };
      throw error;
    }
    try {
      const raw = JSON.parse(text) as Partial<NodeSnapshot> & { epoch?: unknown };
      this.epoch = typeof raw.epoch === 'string' ? raw.epoch : null;
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

  private async readJournal(epoch: string): Promise<PeerSetChange[]> {
    let text: string;
    try {
      text = await readFile(this.journalFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const changes: PeerSetChange[] = [];
    for (const line of text.split('\n')) {
      const change = parseJournalLine(line, epoch);
      if (change !== null) changes.push(change);
    }
    return changes;
  }

  async save(snapshot: NodeSnapshot): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const epoch = randomBytes(8).toString('hex');
    const tmp = `${this.stateFile}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ ...snapshot, epoch }));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.stateFile);
    this.epoch = epoch;
    // The new snapshot is in place: what the journal holds is now of the old epoch, and goes.
    const journal = await this.openJournal();
    await journal.truncate(0);
    this.journalEndsClean = true;
  }

  async append(change: PeerSetChange): Promise<void> {
    if (this.epoch === null) throw new Error('no snapshot to journal against: save() first');
    const line = `${this.journalEndsClean ? '' : '\n'}${JSON.stringify({ epoch: this.epoch, ...change })}\n`;
    const journal = await this.openJournal();
    const bytes = Buffer.from(line);
    this.journalEndsClean = false;
    const { bytesWritten } = await journal.write(bytes);
    if (bytesWritten !== bytes.length) throw new Error(`short write to ${this.journalFile} (${bytesWritten} of ${bytes.length} bytes)`);
    this.journalEndsClean = true;
  }

  async close(): Promise<void> {
    const journal = this.journal;
    this.journal = null;
    await journal?.close();
  }

  private async openJournal(): Promise<FileHandle> {
    this.journal ??= await open(this.journalFile, 'a', 0o600);
    return this.journal;
  }
}

/** One journal line of the given epoch, or null (another epoch, torn, or not a change). */
function parseJournalLine(line: string, epoch: string): PeerSetChange | null {
  if (line.trim() === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { epoch: e, generation, upserted, removed } = raw as Record<string, unknown>;
  if (e !== epoch || typeof generation !== 'number' || !Array.isArray(upserted) || !Array.isArray(removed)) return null;
  const peersOk = upserted.every(
    (p) => typeof p === 'object' && p !== null && typeof p.publicKey === 'string' && Array.isArray(p.allowedIps) && typeof p.expiresAt === 'string',
  );
  if (!peersOk || !removed.every((k) => typeof k === 'string')) return null;
  return { generation, upserted: upserted as DesiredPeer[], removed: removed as string[] };
}
