// The blocklist on the client (API.md "Published blocklist", issue 14 item 5): `blocklist update`
// downloads `<url>/blocklist/latest.json` and the filter it names, verifies both against the pinned
// Ed25519 public key (signature, then the file's size and sha256, then that the version is not
// older than the one held) and keeps them in `<state-dir>/blocklist/`; `blocklist check <name>`
// answers from that local copy only — no name a user looks up ever leaves the machine.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type BlocklistManifest,
  ManifestVerificationError,
  filterFromBytes,
  findBlocked,
  isBlocklistError,
  normalizeDomain,
  verifyFilterFile,
  verifyManifest,
} from '@phoenix/blocklist';

import { ApiError, ClientError, UnreachableError, UsageError } from './errors';
import { platformFile, platformSettings } from './platform';

export const BLOCKLIST_DIR = 'blocklist';
export const MANIFEST_FILE = 'manifest.json';

/** A download that must not be used (bad signature, wrong file, rollback); the held filter stays. */
export class BlocklistRejectedError extends ClientError {}

/**
 * The file `npm run platform` writes with the URL and public key of the blocklist it publishes
 * (`PHOENIX_BLOCKLIST_URL=…`, `PHOENIX_BLOCKLIST_PUBLIC_KEY=…`): `<stack dir>/platform/blocklist.env`
 * ({@link platformFile}).
 */
export function platformBlocklistFile(env: NodeJS.ProcessEnv): string {
  return platformFile(env, 'blocklist.env');
}

/** The development platform's blocklist URL and key, from {@link platformBlocklistFile}; empty when it has not run. */
export function platformBlocklistSettings(env: NodeJS.ProcessEnv): { url?: string; key?: string } {
  const s = platformSettings(env, 'blocklist.env', ['PHOENIX_BLOCKLIST_URL', 'PHOENIX_BLOCKLIST_PUBLIC_KEY'] as const);
  return { url: s.PHOENIX_BLOCKLIST_URL, key: s.PHOENIX_BLOCKLIST_PUBLIC_KEY };
}

/** Decodes the pinned public key: 32 bytes as base64 (standard or url) or 64 hex digits. */
export function parsePublicKey(text: string): Uint8Array {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : null;
  if (!bytes || bytes.length !== 32) throw new UsageError('the blocklist public key must be 32 bytes as base64 or 64 hex digits (--blocklist-key or PHOENIX_BLOCKLIST_PUBLIC_KEY)');
  return Uint8Array.from(bytes);
}

async function download(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new UnreachableError('blocklist origin', url, (error as { cause?: unknown }).cause ?? error);
  }
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new ApiError('blocklist origin', res.status, `HTTP_${res.status}`, `GET ${url}`);
  return body;
}

/** The manifest and filter held in `<stateDir>/blocklist`, or null when there are none. */
export function loadHeld(stateDir: string): { manifest: BlocklistManifest; bytes: Uint8Array } | null {
  const dir = join(stateDir, BLOCKLIST_DIR);
  const manifestFile = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestFile)) return null;
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BlocklistManifest;
  const file = join(dir, `${manifest.sha256}.bin`);
  if (!/^[0-9a-f]{64}$/.test(manifest.sha256) || !existsSync(file)) throw new ClientError(`the held blocklist in ${dir} is incomplete: run \`blocklist update\``);
  const bytes = new Uint8Array(readFileSync(file));
  try {
    verifyFilterFile(manifest, bytes);
  } catch (error) {
    throw new ClientError(`the held blocklist in ${dir} is damaged (${(error as Error).message}): run \`blocklist update\``);
  }
  return { manifest, bytes };
}

function writePrivate(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export interface UpdateResult {
  manifest: BlocklistManifest;
  /** False when the held filter already was this one. */
  changed: boolean;
  previousVersion: number | null;
}

/**
 * Downloads, verifies and stores the published blocklist. Nothing held changes unless every check
 * passes; the filter is stored (under its hash) before the manifest that names it.
 */
export async function updateBlocklist(stateDir: string, baseUrl: string, publicKey: Uint8Array): Promise<UpdateResult> {
  const base = baseUrl.replace(/\/+$/, '');
  const manifestText = Buffer.from(await download(`${base}/blocklist/latest.json`)).toString('utf8');
  let manifest: BlocklistManifest;
  try {
    manifest = verifyManifest(manifestText, publicKey);
  } catch (error) {
    if (error instanceof ManifestVerificationError) throw new BlocklistRejectedError(`blocklist manifest rejected (${error.reason}): ${error.message}; the held filter is kept`);
    throw error;
  }
  const held = loadHeldQuietly(stateDir);
  if (held && manifest.version < held.manifest.version) {
    throw new BlocklistRejectedError(`blocklist manifest rejected (ROLLBACK): version ${manifest.version} is older than the held ${held.manifest.version}; the held filter is kept`);
  }
  if (held && manifest.version === held.manifest.version) {
    if (manifest.sha256 !== held.manifest.sha256) {
      throw new BlocklistRejectedError(`blocklist manifest rejected (ROLLBACK): version ${manifest.version} names another filter than the held one; the held filter is kept`);
    }
    return { manifest: held.manifest, changed: false, previousVersion: held.manifest.version };
  }
  if (!/^blocklist\/[0-9a-f]{64}\.bin$/.test(manifest.file)) throw new BlocklistRejectedError(`blocklist manifest rejected: file ${JSON.stringify(manifest.file)} is not blocklist/<sha256>.bin`);
  const bytes = await download(`${base}/${manifest.file}`);
  try {
    verifyFilterFile(manifest, bytes);
    filterFromBytes(bytes, manifest.bits, manifest.hashes);
  } catch (error) {
    if (error instanceof ManifestVerificationError) throw new BlocklistRejectedError(`blocklist filter rejected (${error.reason}): ${error.message}; the held filter is kept`);
    if (isBlocklistError(error)) throw new BlocklistRejectedError(`blocklist filter rejected: ${error.message}; the held filter is kept`);
    throw error;
  }
  const dir = join(stateDir, BLOCKLIST_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  chmodSync(dir, 0o700);
  writePrivate(join(dir, `${manifest.sha256}.bin`), bytes);
  writePrivate(join(dir, MANIFEST_FILE), `${manifestText.trim()}\n`);
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.bin') && name !== `${manifest.sha256}.bin`) rmSync(join(dir, name), { force: true });
  }
  return { manifest, changed: true, previousVersion: held?.manifest.version ?? null };
}

function loadHeldQuietly(stateDir: string): ReturnType<typeof loadHeld> {
  try {
    return loadHeld(stateDir);
  } catch {
    return null; // a damaged copy is replaced by a verified download
  }
}

export interface CheckResult {
  name: string;
  /** The listed name (the name itself or a parent domain), or null. */
  blockedBy: string | null;
  version: number;
}

/** Looks a name and each parent domain up in the held filter. */
export function checkName(stateDir: string, name: string): CheckResult {
  const normalized = normalizeDomain(name);
  if (!normalized.ok) throw new UsageError(`not a domain name: ${JSON.stringify(name)} (${normalized.reason})`);
  const held = loadHeld(stateDir);
  if (!held) throw new ClientError('no blocklist held: run `blocklist update` first');
  const filter = filterFromBytes(held.bytes, held.manifest.bits, held.manifest.hashes);
  return { name: normalized.name, blockedBy: findBlocked(filter, normalized.name) ?? null, version: held.manifest.version };
}
