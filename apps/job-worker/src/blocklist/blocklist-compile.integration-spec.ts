// blocklist.compile's processor function, in this process, against a real upstream on loopback
// (the StevenBlack list of the shared test data), a real origin directory and the real Redis as
// the jobs user (period markers, publisher lock). The run through BullMQ's sandbox is
// blocklist-sandbox.integration-spec.ts.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlocklistManifest, buildFilter, filterContains, filterFromBytes, findBlocked, manifestPublicKey, parseHosts, sha256Hex, verifyPublished } from '@phoenix/blocklist';
import { WORKSPACE_ROOT, dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import { UnrecoverableError } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { type JobsConfig, loadJobsConfig } from '../config';
import { ScheduleRunsStore } from '../schedules/schedule-runs.store';
import { onlySchedules, uniqueJobsPrefix } from '../../test/support';
import { HostsServer, readStevenBlack } from '../../test/hosts-server';
import { type BlocklistRunResult, runBlocklistCompile } from './blocklist-compile.processor';
import { parseSigningKey } from './signing-key';

const ROTATED_KEY = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';

describe('blocklist.compile (the processor function, real Redis and a loopback upstream)', () => {
  const full = readStevenBlack();
  const parsed = parseHosts(full.toString('utf8'));
  const prefix = uniqueJobsPrefix();
  let upstream: HostsServer;
  let redis: Redis;
  let origin: string;
  let config: JobsConfig;
  let jobs = 0;
  let clock = Date.parse('2026-12-01T04:15:00.000Z');

  const configure = (extra: Record<string, string> = {}): JobsConfig =>
    loadJobsConfig({ ...process.env, ...onlySchedules({}), REDIS_URL: sideRedisUrl('job-worker'), JOBS_PREFIX: prefix, BLOCKLIST_ORIGIN_DIR: origin, BLOCKLIST_SOURCE_URL: upstream.url, LOG_LEVEL: 'silent', ...extra });
  /** One run of a new period (a job added by hand: period `manual:<id>`). */
  const run = (id = `t${++jobs}`, cfg = config): Promise<BlocklistRunResult> => {
    clock += 60_000;
    return runBlocklistCompile({ id, name: 'blocklist.compile', attemptsMade: 0 }, { config: cfg, redis, logger: pino({ level: 'silent' }), nowMs: () => clock });
  };
  const latestText = () => readFileSync(join(origin, 'blocklist/latest.json'), 'utf8');
  const latest = () => JSON.parse(latestText()) as BlocklistManifest;
  const publicKey = () => manifestPublicKey(parseSigningKey(config.BLOCKLIST_SIGNING_KEY));

  beforeAll(async () => {
    upstream = await HostsServer.start();
    redis = new Redis(sideRedisUrl('job-worker'), { maxRetriesPerRequest: 1 });
    origin = mkdtempSync(join(tmpdir(), 'phx-blocklist-origin-'));
    config = configure();
  });

  afterAll(async () => {
    await dropRedisPrefix(prefix);
    redis.disconnect();
    await upstream.close();
    rmSync(origin, { recursive: true, force: true });
  });

  it('publishes a manifest whose signature, sha256 and size verify, and whose filter holds every parsed domain', async () => {
    upstream.serve(full);
    const result = await run();
    expect(result).toMatchObject({ schedule: 'blocklist.compile', outcome: 'published', domains: parsed.domains.length, previousVersion: null });
    expect(parsed.domains.length).toBe(88_763);

    const manifest = latest();
    const bytes = readFileSync(join(origin, manifest.file));
    expect(verifyPublished(latestText(), bytes, publicKey())).toEqual(manifest);
    expect(manifest).toMatchObject({ format: 'bloom-murmur3-km-v1', domains: 88_763, falsePositiveRate: 1e-6, size: bytes.length, sha256: sha256Hex(bytes), source: { url: upstream.url, sha256: sha256Hex(full) } });
    expect(manifest.version).toBe(Math.floor(clock / 1000));
    expect(manifest.createdAt).toBe(new Date(clock).toISOString());
    const filter = filterFromBytes(bytes, manifest.bits, manifest.hashes);
    expect(parsed.domains.filter((d) => !filterContains(filter, d))).toEqual([]);
    // Reproducible: the same source bytes build the same filter bytes.
    expect(Buffer.from(buildFilter(parseHosts(full.toString('utf8')).domains, 1e-6).bytes).equals(bytes)).toBe(true);
    // The period is marked done; the first request was unconditional.
    expect(await new ScheduleRunsStore(redis, config).completed('blocklist.compile', result.period)).not.toBeNull();
    expect(upstream.requests.at(-1)).toEqual({ status: 200 });
  });

  it('publishes nothing when the upstream answers 304 to its conditional GET', async () => {
    const before = latestText();
    const result = await run();
    expect(upstream.requests.at(-1)).toMatchObject({ status: 304, ifNoneMatch: expect.stringMatching(/^"[0-9a-f]{64}"$/), ifModifiedSince: expect.any(String) });
    expect(result).toMatchObject({ outcome: 'unchanged', reason: '304', version: latest().version });
    expect(latestText()).toBe(before);
    expect(readdirSync(join(origin, 'blocklist/versions'))).toHaveLength(1);
  });

  it('publishes nothing when the upstream ignores the condition but sends the same bytes', async () => {
    upstream.honourConditional = false;
    try {
      const before = latestText();
      expect(await run()).toMatchObject({ outcome: 'unchanged', reason: 'same-sha256' });
      expect(latestText()).toBe(before);
    } finally {
      upstream.honourConditional = true;
    }
  });

  it('refuses a truncated source without retrying, and the old filter stays published', async () => {
    const before = latestText();
    const { file } = latest();
    const lines = full.toString('utf8').split('\n');
    upstream.serve(Buffer.from(lines.slice(0, Math.floor(lines.length * 0.6)).join('\n')));
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toMatch(/^refused: the source lists [\d,]+ domains, 4\d\.\d % fewer than the 88,763 published \(BLOCKLIST_MAX_SHRINK 0\.2\); version \d+ \(88,763 domains\) stays published$/);
    expect(latestText()).toBe(before);
    expect(readFileSync(join(origin, file)).length).toBe(latest().size);
  });

  it('refuses a source that is not a hosts list (an HTML page, bytes that are not UTF-8), keeping the old filter', async () => {
    const before = latestText();
    upstream.serve(Buffer.from(`<!DOCTYPE html>\n<html><body>\n<p>Rate limit exceeded</p>\n${'<div>0.0.0.0 x.example.com</div>\n'.repeat(50)}</body></html>\n`));
    await expect(run()).rejects.toThrow(/^refused: \d+ of the source's \d+ entries are not hosts entries \(over BLOCKLIST_MAX_INVALID 0\.01\), the first at line 1 \(address\)/);
    upstream.serve(Buffer.from([0x30, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x30, 0x20, 0xff, 0xfe, 0x0a]));
    await expect(run()).rejects.toThrow(/^refused: the source is not UTF-8 text/);
    upstream.serve(Buffer.from('# only comments\n127.0.0.1 localhost\n'));
    await expect(run()).rejects.toThrow(/^refused: the source lists no domain/);
    expect(latestText()).toBe(before);
  });

  it('fails (to be retried) when the upstream errs, keeping the old filter', async () => {
    const before = latestText();
    upstream.failWith = 503;
    try {
      const error = await run().catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(UnrecoverableError);
      expect((error as Error).message).toMatch(/answered 503/);
    } finally {
      upstream.failWith = null;
    }
    expect(latestText()).toBe(before);
  });

  it('publishes a changed source as a higher version and keeps the previous one', async () => {
    const previous = latest();
    upstream.serve(Buffer.concat([full, Buffer.from('0.0.0.0 added.phoenix-test.example\n')]));
    const result = await run();
    expect(result).toMatchObject({ outcome: 'published', domains: 88_764, previousVersion: previous.version });
    const now = latest();
    expect(now.version).toBeGreaterThan(previous.version);
    const filter = filterFromBytes(readFileSync(join(origin, now.file)), now.bits, now.hashes);
    expect(filterContains(filter, 'added.phoenix-test.example')).toBe(true);
    expect(readdirSync(join(origin, 'blocklist/versions')).sort()).toEqual([`${previous.version}.json`, `${now.version}.json`]);
    expect(readFileSync(join(origin, previous.file)).length).toBe(previous.size);
  });

  it('runs a period once: a second run of a done period does nothing', async () => {
    const requests = upstream.requests.length;
    const first = await run('same-period');
    expect(first.duplicate).toBeUndefined();
    expect(await run('same-period')).toEqual({ schedule: 'blocklist.compile', period: 'manual:same-period', pid: process.pid, duplicate: true });
    expect(upstream.requests.length).toBe(requests + 1);
  });

  it('re-signs the unchanged source under a rotated key (a full GET, a new version)', async () => {
    const previous = latest();
    const rotated = configure({ BLOCKLIST_SIGNING_KEY: ROTATED_KEY });
    const result = await run(undefined, rotated);
    expect(upstream.requests.at(-1)).toEqual({ status: 200 });
    expect(result).toMatchObject({ outcome: 'published', domains: previous.domains });
    const now = latest();
    expect(now.sha256).toBe(previous.sha256);
    const bytes = readFileSync(join(origin, now.file));
    expect(() => verifyPublished(latestText(), bytes, manifestPublicKey(parseSigningKey(ROTATED_KEY)))).not.toThrow();
    expect(() => verifyPublished(latestText(), bytes, publicKey())).toThrow(/signature/);
  });

  it("compiles the platform's fallback sample list (tools/platform/blocklist-sample.hosts) into a fresh origin", async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'phx-blocklist-origin-'));
    try {
      upstream.serve(readFileSync(join(WORKSPACE_ROOT, 'tools/platform/blocklist-sample.hosts')));
      expect(await run(undefined, configure({ BLOCKLIST_ORIGIN_DIR: fresh }))).toMatchObject({ outcome: 'published', domains: 10, skipped: { invalid: 0 } });
      const m = JSON.parse(readFileSync(join(fresh, 'blocklist/latest.json'), 'utf8')) as BlocklistManifest;
      const filter = filterFromBytes(readFileSync(join(fresh, m.file)), m.bits, m.hashes);
      expect(findBlocked(filter, 'cdn.ads.example')).toBe('ads.example');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('refuses a job of another name in its queue', async () => {
    await expect(runBlocklistCompile({ id: 'x', name: 'network.leases.expire', attemptsMade: 0 }, { config, redis, logger: pino({ level: 'silent' }) })).rejects.toBeInstanceOf(UnrecoverableError);
  });
});
