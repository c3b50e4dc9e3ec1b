// blocklist.compile's decisions (issue 14 item 2): fetch the hosts list conditionally, refuse a
// source that is not a hosts list or shrank too much (the published filter stays), build the filter
// (the same source bytes always give the same filter bytes), sign the manifest and publish it.
// IO comes in through the origin and the fetch function; the pure work is @phoenix/blocklist's.
import { type BlocklistManifest, buildFilter, buildManifest, manifestPublicKey, parseHosts, sha256Hex, verifyManifest } from '@phoenix/blocklist';

import type { BlocklistOrigin, SourceState } from './blocklist-origin';
import { type ConditionalHeaders, type SourceFetch, fetchSource } from './blocklist-source';

export interface CompileSettings {
  sourceUrl: string;
  /** The Ed25519 seed the manifest is signed with. */
  secretKey: Uint8Array;
  falsePositiveRate: number;
  /** A fraction: fewer than (1 − maxShrink) × the published domain count is refused. */
  maxShrink: number;
  /** A fraction: more refused entries than this share of all entries is refused. */
  maxInvalid: number;
}

export interface CompileDeps {
  origin: BlocklistOrigin;
  /** Milliseconds since the epoch. */
  nowMs: () => number;
  fetch?: (url: string, previous: ConditionalHeaders | null) => Promise<SourceFetch>;
}

export type CompileResult =
  | {
      outcome: 'published';
      version: number;
      file: string;
      domains: number;
      bits: number;
      hashes: number;
      size: number;
      sourceSha256: string;
      /** Source entries not taken (counted by parseHosts: duplicates, the localhost block, invalid). */
      skipped: { duplicates: number; local: number; invalid: number };
      previousVersion: number | null;
    }
  | {
      outcome: 'unchanged';
      /** `304`: the source answered Not Modified; `same-sha256`: it sent the bytes already published. */
      reason: '304' | 'same-sha256';
      version: number;
      sourceSha256: string;
    };

export enum RefusalReason {
  NOT_TEXT = 'NOT_TEXT',
  NO_DOMAINS = 'NO_DOMAINS',
  TOO_MANY_INVALID = 'TOO_MANY_INVALID',
  SHRANK = 'SHRANK',
}

/**
 * The source was fetched but must not be published: not a hosts list, or far smaller than what is
 * published. The published filter stays; retrying the same bytes would give the same answer.
 */
export class SourceRefusedError extends Error {
  override readonly name = 'SourceRefusedError';

  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

export class BlocklistCompiler {
  private readonly fetch: NonNullable<CompileDeps['fetch']>;
  private readonly publicKey: Uint8Array;

  constructor(
    private readonly settings: CompileSettings,
    private readonly deps: CompileDeps,
  ) {
    this.fetch = deps.fetch ?? ((url, previous) => fetchSource(url, previous));
    this.publicKey = manifestPublicKey(settings.secretKey);
  }

  /**
   * One compile. Publishes nothing when the source did not change since the published filter was
   * built from it (with this key, rate and URL); a changed key, rate or URL rebuilds.
   *
   * @throws {SourceRefusedError} for a source that is not a hosts list or shrank past the limit
   * @throws {SourceFetchError} when the source cannot be fetched
   */
  async compile(): Promise<CompileResult> {
    const { origin } = this.deps;
    const { sourceUrl, falsePositiveRate } = this.settings;
    const latest = await origin.latest();
    const current = latest !== null && this.isCurrent(latest) ? latest : null;
    const state = await origin.sourceState();
    // A conditional GET only when the published filter is the one the remembered source made: a
    // 304 must mean "what is published is up to date", never "nothing to build from".
    const conditional = current && state && state.url === sourceUrl && state.sha256 === current.source.sha256 ? state : null;

    const fetched = await this.fetch(sourceUrl, conditional && { etag: conditional.etag, lastModified: conditional.lastModified });
    if (fetched.notModified) {
      if (!current) throw new Error('the source answered 304 to a request that was not conditional');
      return { outcome: 'unchanged', reason: '304', version: current.version, sourceSha256: current.source.sha256 };
    }
    const sourceSha256 = sha256Hex(fetched.bytes);
    const nextState: SourceState = { url: sourceUrl, sha256: sourceSha256, ...(fetched.etag ? { etag: fetched.etag } : {}), ...(fetched.lastModified ? { lastModified: fetched.lastModified } : {}) };
    if (current && current.source.sha256 === sourceSha256) {
      await origin.saveSourceState(nextState);
      return { outcome: 'unchanged', reason: 'same-sha256', version: current.version, sourceSha256 };
    }

    const parsed = parseHosts(this.decode(fetched.bytes));
    const { counts } = parsed;
    const domains = parsed.domains.length;
    const invalid = counts.invalidNames + counts.invalidLines;
    const entries = counts.names + counts.invalidLines;
    if (invalid > this.settings.maxInvalid * entries) {
      const first = parsed.invalid[0];
      throw new SourceRefusedError(
        RefusalReason.TOO_MANY_INVALID,
        `refused: ${fmt(invalid)} of the source's ${fmt(entries)} entries are not hosts entries (over BLOCKLIST_MAX_INVALID ${this.settings.maxInvalid})` +
          `${first ? `, the first at line ${first.line} (${first.reason})` : ''}${this.kept(latest)}`,
      );
    }
    if (domains === 0) throw new SourceRefusedError(RefusalReason.NO_DOMAINS, `refused: the source lists no domain (${fmt(counts.lines)} lines)${this.kept(latest)}`);
    if (latest && domains < (1 - this.settings.maxShrink) * latest.domains) {
      const drop = (1 - domains / latest.domains) * 100;
      throw new SourceRefusedError(
        RefusalReason.SHRANK,
        `refused: the source lists ${fmt(domains)} domains, ${drop.toFixed(1)} % fewer than the ${fmt(latest.domains)} published (BLOCKLIST_MAX_SHRINK ${this.settings.maxShrink})${this.kept(latest)}`,
      );
    }

    const filter = buildFilter(parsed.domains, falsePositiveRate);
    const now = this.deps.nowMs();
    const manifest = buildManifest({
      filter,
      domains,
      falsePositiveRate,
      version: nextVersion(latest, now),
      createdAt: new Date(now).toISOString(),
      source: { url: sourceUrl, sha256: sourceSha256 },
      secretKey: this.settings.secretKey,
    });
    await origin.publish(manifest, filter.bytes);
    await origin.saveSourceState(nextState);
    return {
      outcome: 'published',
      version: manifest.version,
      file: manifest.file,
      domains,
      bits: manifest.bits,
      hashes: manifest.hashes,
      size: manifest.size,
      sourceSha256,
      skipped: { duplicates: counts.duplicates, local: counts.local, invalid },
      previousVersion: latest?.version ?? null,
    };
  }

  /** The published manifest was built from this URL at this rate, and verifies under this key. */
  private isCurrent(m: BlocklistManifest): boolean {
    if (m.source?.url !== this.settings.sourceUrl || m.falsePositiveRate !== this.settings.falsePositiveRate) return false;
    try {
      verifyManifest(m, this.publicKey);
      return true;
    } catch {
      return false;
    }
  }

  private decode(bytes: Uint8Array): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new SourceRefusedError(RefusalReason.NOT_TEXT, `refused: the source is not UTF-8 text (${fmt(bytes.length)} bytes)`);
    }
  }

  private kept(latest: BlocklistManifest | null): string {
    return latest ? `; version ${latest.version} (${fmt(latest.domains)} domains) stays published` : '; nothing is published yet';
  }
}

/**
 * The next version: the publish time in Unix seconds, or one above the published version if that
 * is not above it. Time-based so that a lost origin directory cannot restart the count below
 * versions apps already hold (they refuse an older version).
 */
export function nextVersion(latest: Pick<BlocklistManifest, 'version'> | null, nowMs: number): number {
  return Math.max(Math.floor(nowMs / 1000), (latest?.version ?? 0) + 1);
}
