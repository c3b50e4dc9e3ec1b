// The CDN origin of the published blocklist (API.md "Published blocklist", issue 14 item 4): a
// directory that a web server (locally the stack's nginx, tools/stack/nginx) serves as
// `BLOCKLIST_PUBLIC_URL`. Layout:
//   blocklist/<sha256>.bin               the filters, content-addressed (long cache lifetime)
//   blocklist/latest.json                the signed manifest apps download (short cache lifetime)
//   blocklist/versions/<version>.json    the last N manifests, which say which filters to keep
// Publishing writes the filter first, then replaces latest.json atomically (temp file, fsync,
// rename), so a reader never sees a manifest that names a missing file; then it keeps the last N
// versions and deletes older manifests and the filters no kept manifest names. One publisher at a
// time (the compile job); readers need no lock. Beside `blocklist/`, never served:
//   source-state.json                    what the last compile learnt of its source (ETag…)
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';

import { type BlocklistManifest, serializeManifest, verifyFilterFile } from '@phoenix/blocklist';

export const LATEST = 'latest.json';
export const VERSIONS_DIR = 'versions';
export const DEFAULT_KEEP_VERSIONS = 5;
export const SOURCE_STATE = 'source-state.json';

/**
 * What the compile job remembers of the source it last took, for its next conditional GET. Kept
 * with the published files (not in Redis) so it can never describe a filter that is not there.
 */
export interface SourceState {
  url: string;
  /** SHA-256 of the source bytes, hex. */
  sha256: string;
  etag?: string;
  lastModified?: string;
}

export class BlocklistOriginError extends Error {
  override readonly name = 'BlocklistOriginError';
}

export interface PublishResult {
  /** `blocklist/<sha256>.bin`, as the manifest names it. */
  file: string;
  /** Versions kept, newest first. */
  kept: number[];
  /** Files deleted by the pruning, relative to the origin root. */
  deleted: string[];
}

const BIN = /^[0-9a-f]{64}\.bin$/;
const VERSION_FILE = /^(\d+)\.json$/;

export class BlocklistOrigin {
  private readonly dir: string;

  /**
   * @param root - the directory served as `BLOCKLIST_PUBLIC_URL`
   * @param keep - how many versions (manifest + filter) stay published, at least 1: clients that
   *   cached an older latest.json can still fetch its filter
   */
  constructor(
    readonly root: string,
    readonly keep: number = DEFAULT_KEEP_VERSIONS,
  ) {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new BlocklistOriginError(`keep must be a positive integer, got ${keep}`);
    this.dir = join(root, 'blocklist');
  }

  /** The manifest now published as latest.json, or null. */
  async latest(): Promise<BlocklistManifest | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, LATEST), 'utf8')) as BlocklistManifest;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** The source state saved by {@link saveSourceState}, or null. */
  async sourceState(): Promise<SourceState | null> {
    try {
      return JSON.parse(await readFile(join(this.root, SOURCE_STATE), 'utf8')) as SourceState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return null;
      throw error;
    }
  }

  /** Replaces the source state (atomically, outside the served `blocklist/` directory). */
  async saveSourceState(state: SourceState): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await this.writeAtomically(join(this.root, SOURCE_STATE), `${JSON.stringify(state)}\n`);
  }

  /**
   * Publishes a signed manifest and its filter bytes. Refuses bytes that do not match the
   * manifest and a version not above the one published.
   */
  async publish(manifest: BlocklistManifest, filterBytes: Uint8Array): Promise<PublishResult> {
    verifyFilterFile(manifest, filterBytes);
    if (manifest.file !== `blocklist/${manifest.sha256}.bin`) throw new BlocklistOriginError(`the manifest names ${manifest.file}, not blocklist/${manifest.sha256}.bin`);
    const current = await this.latest();
    if (current && !(manifest.version > current.version)) {
      throw new BlocklistOriginError(`version ${manifest.version} is not above the published ${current.version}`);
    }
    await mkdir(join(this.dir, VERSIONS_DIR), { recursive: true });
    // 1. The filter, under its content hash (the same bytes may already be there).
    await this.writeAtomically(join(this.dir, `${manifest.sha256}.bin`), filterBytes);
    await this.syncDir(this.dir);
    // 2. The version's record, then 3. latest.json: each replaced by a rename, never half-written.
    // latest.json's modification time is its version (Unix seconds for the compile job's versions,
    // strictly increasing): nginx's ETag (mtime-size) and Last-Modified then differ for every
    // version, even two published within one second with manifests of the same length.
    const text = `${serializeManifest(manifest)}\n`;
    await this.writeAtomically(join(this.dir, VERSIONS_DIR, `${manifest.version}.json`), text);
    await this.writeAtomically(join(this.dir, LATEST), text, manifest.version);
    await this.syncDir(this.dir);
    // 4. Prune: keep the newest N versions and the filters they name.
    return { file: manifest.file, ...(await this.prune(manifest)) };
  }

  private async prune(latest: BlocklistManifest): Promise<Omit<PublishResult, 'file'>> {
    const versionsDir = join(this.dir, VERSIONS_DIR);
    const versions = (await readdir(versionsDir))
      .map((name) => VERSION_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
    const kept = versions.slice(0, this.keep);
    const deleted: string[] = [];
    const keepFiles = new Set([`${latest.sha256}.bin`]);
    for (const v of kept) {
      const m = JSON.parse(await readFile(join(versionsDir, `${v}.json`), 'utf8')) as BlocklistManifest;
      keepFiles.add(`${m.sha256}.bin`);
    }
    for (const v of versions.slice(this.keep)) {
      await rm(join(versionsDir, `${v}.json`), { force: true });
      deleted.push(`blocklist/${VERSIONS_DIR}/${v}.json`);
    }
    for (const name of await readdir(this.dir)) {
      if (BIN.test(name) && !keepFiles.has(name)) {
        await rm(join(this.dir, name), { force: true });
        deleted.push(`blocklist/${name}`);
      }
    }
    return { kept, deleted };
  }

  /**
   * Writes `content` to a temp file beside `file` (with `mtimeSec` as its modification time when
   * given), fsyncs it, then renames it over `file`.
   */
  private async writeAtomically(file: string, content: string | Uint8Array, mtimeSec?: number): Promise<void> {
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      if (mtimeSec !== undefined) await utimes(tmp, mtimeSec, mtimeSec);
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  private async syncDir(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
