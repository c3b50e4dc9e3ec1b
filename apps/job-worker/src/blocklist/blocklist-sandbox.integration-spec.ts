// blocklist.compile through the real thing: a job-worker process whose `blocklist` queue Worker
// runs the processor file in a child process (BullMQ's sandbox), as the jobs Redis user, against a
// loopback upstream serving the StevenBlack list. Jobs are added and retried the way Bull Board's
// "Add job" and "Retry" do (Queue.add, Job.retry).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlocklistManifest, manifestPublicKey, verifyPublished } from '@phoenix/blocklist';
import { dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import { type Job, Queue } from 'bullmq';
import { JobWorker, onlySchedules, uniqueJobsPrefix } from '../../test/support';
import { HostsServer, readStevenBlack } from '../../test/hosts-server';
import { bullConnection } from '../schedules/bull-connection';
import { BLOCKLIST_QUEUE } from '../schedules/schedules.queue';
import type { BlocklistRunResult } from './blocklist-compile.processor';
import { DEV_BLOCKLIST_SIGNING_KEY, parseSigningKey, publicKeyBase64 } from './signing-key';

const ROTATED_KEY = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('blocklist.compile in the sandboxed worker of a job-worker process', () => {
  const full = readStevenBlack();
  const prefix = uniqueJobsPrefix();
  let upstream: HostsServer;
  let origin: string;
  let worker: JobWorker | undefined;
  let queue: Queue;

  /** Waits for a job to finish; its state and return value or failure. */
  const finished = (id: string) =>
    until(`job ${id} to finish`, async () => {
      const job = await queue.getJob(id);
      const state = await job?.getState();
      return job && (state === 'completed' || state === 'failed') ? { job: job as Job<unknown, BlocklistRunResult>, state } : undefined;
    });
  const latestText = () => readFileSync(join(origin, 'blocklist/latest.json'), 'utf8');

  beforeAll(async () => {
    upstream = await HostsServer.start();
    upstream.serve(full);
    origin = mkdtempSync(join(tmpdir(), 'phx-blocklist-sandbox-'));
    queue = new Queue(BLOCKLIST_QUEUE, { connection: bullConnection(sideRedisUrl('job-worker')), prefix });
    queue.on('error', () => undefined);
  });

  afterAll(async () => {
    await worker?.stop();
    await queue.close();
    await upstream.close();
    await dropRedisPrefix(prefix);
    rmSync(origin, { recursive: true, force: true });
  });

  it('publishes at start-up when nothing is published, in a child process, then runs added jobs and retries', async () => {
    worker = await JobWorker.start(prefix, {
      ...onlySchedules({ SCHEDULE_BLOCKLIST_COMPILE: '0 4 1 1 *' }),
      BLOCKLIST_ORIGIN_DIR: origin,
      BLOCKLIST_SOURCE_URL: upstream.url,
      BLOCKLIST_COMPILE_AT_START: 'if-missing',
      JOBS_BACKOFF_MS: '200',
    });
    await worker.ready();
    // The schedule is registered in the blocklist queue (Bull Board lists it there).
    expect((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.pattern])).toEqual([['blocklist.compile', '0 4 1 1 *']]);

    // 1. The start-up run: nothing was published.
    // The processor writes latest.json before BullMQ records the job as completed: wait for the record.
    const atStart = await until('the start-up run to complete', async () => (await queue.getJobs(['completed']))[0]);
    expect(existsSync(join(origin, 'blocklist/latest.json'))).toBe(true);
    expect(atStart.returnvalue).toMatchObject({ schedule: 'blocklist.compile', outcome: 'published', domains: 88_763 });
    // It ran in a process of its own, not in job-worker's.
    expect(atStart.returnvalue.pid).not.toBe(worker.proc.proc.pid);
    const manifest = JSON.parse(latestText()) as BlocklistManifest;
    const publicKey = manifestPublicKey(parseSigningKey(DEV_BLOCKLIST_SIGNING_KEY));
    expect(() => verifyPublished(latestText(), readFileSync(join(origin, manifest.file)), publicKey)).not.toThrow();
    // job-worker logs the public key apps pin.
    expect(worker.lines().find((l) => typeof l.publicKey === 'string')?.publicKey).toBe(publicKeyBase64(parseSigningKey(DEV_BLOCKLIST_SIGNING_KEY)));

    // 2. "Add job": a manual run; the upstream answers 304, nothing is published.
    const added = await queue.add('blocklist.compile', {});
    const second = await finished(added.id as string);
    expect(second.state).toBe('completed');
    expect(second.job.returnvalue).toMatchObject({ period: `manual:${added.id}`, outcome: 'unchanged', reason: '304', version: manifest.version });
    expect(upstream.requests.at(-1)).toMatchObject({ status: 304 });

    // 3. A truncated upstream: the run fails at once (no retries) with the reason; latest.json stays.
    const before = latestText();
    upstream.serve(full.subarray(0, Math.floor(full.length / 2)));
    const truncated = await queue.add('blocklist.compile', {}, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
    const third = await finished(truncated.id as string);
    expect(third.state).toBe('failed');
    expect(third.job.failedReason).toMatch(/^refused: the source lists [\d,]+ domains, [\d.]+ % fewer than the 88,763 published/);
    expect(third.job.attemptsMade).toBe(1);
    expect(latestText()).toBe(before);

    // 4. "Retry" once the upstream is whole again: the conditional GET gets 304, nothing changes.
    upstream.serve(full);
    await third.job.retry('failed');
    const retried = await finished(truncated.id as string);
    expect(retried.state).toBe('completed');
    expect(retried.job.returnvalue).toMatchObject({ outcome: 'unchanged', reason: '304' });
    expect(latestText()).toBe(before);
  });

  it('at start-up, re-signs a blocklist signed with another key (a rotation), and leaves a current one alone', async () => {
    await worker?.stop();
    const settings = { ...onlySchedules({}), BLOCKLIST_ORIGIN_DIR: origin, BLOCKLIST_SOURCE_URL: upstream.url, BLOCKLIST_COMPILE_AT_START: 'if-missing', BLOCKLIST_SIGNING_KEY: ROTATED_KEY };
    const before = JSON.parse(latestText()) as BlocklistManifest;
    worker = await JobWorker.start(prefix, settings);
    await worker.ready();
    const rotated = await until('a manifest signed with the rotated key', () => {
      const m = JSON.parse(latestText()) as BlocklistManifest;
      return m.version > before.version ? m : undefined;
    });
    expect(rotated.sha256).toBe(before.sha256);
    expect(() => verifyPublished(latestText(), readFileSync(join(origin, rotated.file)), manifestPublicKey(parseSigningKey(ROTATED_KEY)))).not.toThrow();
    // Restarted with the same key, it finds nothing to do.
    await worker.stop();
    worker = await JobWorker.start(prefix, settings);
    await worker.ready();
    await until('the start-up check', () => (worker?.lines().some((l) => String(l.msg).includes('no compile at start')) ? true : undefined));
    expect(worker.lines().filter((l) => String(l.msg).includes('blocklist.compile enqueued'))).toEqual([]);
    expect((JSON.parse(latestText()) as BlocklistManifest).version).toBe(rotated.version);
  });
});
