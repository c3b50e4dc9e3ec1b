/**
 * Issuance benchmark (auth-service, `POST /token-request`), on loopback against the local stack's
 * Postgres, Redis and Firebase Auth emulator with a throwaway database:
 *
 *   node -r @swc-node/register bench/auth/token-request.bench.ts
 *
 * Two phases, interleaved in rounds so that load from elsewhere on the machine hits both alike:
 * 1. Baseline: the raw RSA-2048 private operation (`privateDecrypt`, RSA_NO_PADDING) on every core
 *    at once (one worker thread per core) — ROUNDS × RAW_ROUND_MS (≈ 12 s).
 * 2. Sustained `POST /token-request` throughput with autocannon against one auth-service process
 *    whose RSA private operations run on its signing worker pool (worker_threads, one per core):
 *    a real entitled user (emulator sign-up + trial), real quota (Redis), real entitlement
 *    (Postgres), a pool of distinct blinded messages — ROUNDS × LOAD_ROUND_MS (≈ 18 s).
 *
 * Prints the ratio served / raw (target ≥ 0.75; the median of the per-round ratios, and the
 * ratio of the totals) and p50/p99 latency. Everything else — the HTTP client, Postgres, Redis,
 * the emulator — shares the same cores during the load phase.
 */
import { execFileSync } from 'node:child_process';
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { spawnService, waitForHttp } from '@phoenix/common/testing';
import { createTokenRequest, encodeTokenChallenge, finalizeToken, parseIssuerDirectory, verifyToken } from '@phoenix/crypto';
import { createTestDatabase } from '@phoenix/database';
import { stackEnv } from '../support';


const TARGET_RATIO = 0.75;
const ROUNDS = 4;
const RAW_ROUND_MS = 3_000;
const LOAD_ROUND_MS = 4_500;
const WARMUP_MS = 3_000;
const CONNECTIONS = 32;
const PORT = 3919;
const MESSAGES = 256;
const CORES = availableParallelism();

const RAW_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { constants, createPrivateKey, privateDecrypt } = require('node:crypto');
const key = createPrivateKey({ key: workerData.der, format: 'der', type: 'pkcs8' });
const msgs = workerData.msgs.map((m) => Buffer.from(m));
const end = Date.now() + workerData.ms;
let ops = 0;
const start = process.hrtime.bigint();
while (Date.now() < end) {
  for (let i = 0; i < 16; i++) privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, msgs[(ops + i) % msgs.length]);
  ops += 16;
}
parentPort.postMessage({ ops, ns: Number(process.hrtime.bigint() - start) });
`;

/** RSA-2048 private operations per second with one thread per core, all at once. */
async function rawRsaRate(ms: number): Promise<number> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  // Random messages below n: top byte cleared.
  const msgs = Array.from({ length: 64 }, () => {
    const m = randomBytes(256);
    m[0] = 0x3f;
    return m;
  });
  privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, msgs[0]);
  const results = await Promise.all(
    Array.from({ length: CORES }, () => new Promise<{ ops: number; ns: number }>((resolve, reject) => {
      const w = new Worker(RAW_WORKER, { eval: true, workerData: { der, msgs, ms } });
      w.once('message', resolve);
      w.once('error', reject);
    })),
  );
  return results.reduce((sum, r) => sum + r.ops / (r.ns / 1e9), 0);
}

async function jsonFetch(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function main(): Promise<void> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...stackEnv() };
  process.stdout.write(`auth-service token-request benchmark — ${CORES} cores, Node ${process.version}\n`);

  const db = await createTestDatabase(env.PHOENIX_PG_ADMIN_URL, env.IDENTITY_DATABASE_URL, 'authbench');
  // The identity migrations, as `npm run migrate:identity` applies them.
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'apps/auth-service/src/database/migrate.ts'], {
    cwd: path.join(__dirname, '../..'),
    env: { ...env, IDENTITY_DATABASE_URL: db.url },
    stdio: 'ignore',
  });

  const prefix = `authbench-${randomBytes(4).toString('hex')}`;
  const service = spawnService('auth-service', {
    ...env,
    NODE_ENV: 'development',
    PORT: String(PORT),
    LOG_LEVEL: 'warn',
    IDENTITY_DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: `${prefix}:`,
    BULLMQ_PREFIX: prefix,
    TOKEN_QUOTA_PER_DAY: '10000000',
    SIGNING_WORKERS: String(CORES),
    FIREBASE_CHECK_CACHE_MS: env.FIREBASE_CHECK_CACHE_MS ?? '30000',
  });
  const base = `http://127.0.0.1:${PORT}`;
  try {
    await waitForHttp(`${base}/health/ready`, 60_000);

    // An entitled user: sign up in the emulator, start the trial.
    const signUp = await jsonFetch(`http://${env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-${randomBytes(4).toString('hex')}@example.test`, password: 'password-123', returnSecureToken: true }),
    });
    const idToken = String(signUp.body.idToken);
    const trial = await jsonFetch(`${base}/account/trial`, { method: 'POST', headers: { authorization: `Bearer ${idToken}` } });
    if (trial.status !== 201) throw new Error(`trial: ${trial.status} ${JSON.stringify(trial.body)}`);

    const dirRes = await fetch(`${base}/.well-known/private-token-issuer-directory`);
    const dirText = await dirRes.text();
    if (dirRes.status !== 200) throw new Error(`issuer directory: ${dirRes.status} ${dirText}`);
    const dir = parseIssuerDirectory(dirText);
    const tokenKey = dir.tokenKeys[0].tokenKey;
    const challenge = encodeTokenChallenge({ tokenType: 2, issuerName: 'bench.phoenix.test', redemptionContext: new Uint8Array(0), originInfo: [] });
    const requests = Array.from({ length: MESSAGES }, () => createTokenRequest(tokenKey, challenge));
    const bodies = requests.map((r) => Buffer.from(r.request));

    // Correctness first: one response finalizes to a valid token.
    const check = await fetch(`${base}/token-request`, { method: 'POST', headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/private-token-request' }, body: bodies[0] });
    if (check.status !== 200 || !verifyToken(tokenKey, finalizeToken(requests[0].state, new Uint8Array(await check.arrayBuffer())))) {
      throw new Error(`token request check failed: ${check.status}`);
    }

    let n = 0;
    const load = (ms: number) =>
      autocannon({
        url: `${base}/token-request`,
        connections: CONNECTIONS,
        duration: ms / 1000,
        requests: [
          {
            method: 'POST',
            headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/private-token-request' },
            setupRequest: (req) => ({ ...req, body: bodies[n++ % bodies.length] }),
          },
        ],
      });
    process.stdout.write(`warm-up ${WARMUP_MS / 1000} s, then ${ROUNDS} rounds of: raw RSA ${RAW_ROUND_MS / 1000} s (${CORES} threads) | POST /token-request ${LOAD_ROUND_MS / 1000} s (autocannon, ${CONNECTIONS} connections)\n`);
    await load(WARMUP_MS);
    const rounds: Array<{ raw: number; served: number }> = [];
    const latencies: number[] = [];
    let ok = 0;
    let bad = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const raw = await rawRsaRate(RAW_ROUND_MS);
      const result = await load(LOAD_ROUND_MS);
      ok += result['2xx'];
      bad += result.non2xx + result.errors + result.timeouts;
      // autocannon keeps a histogram per run; collect p50/p99 per round and report the worst p99.
      latencies.push(result.latency.p50, result.latency.p99);
      const served = result['2xx'] / (LOAD_ROUND_MS / 1000);
      rounds.push({ raw, served });
      process.stdout.write(`  round ${r + 1}: raw ${raw.toFixed(0)}/s, served ${served.toFixed(0)}/s, ratio ${(served / raw).toFixed(2)}, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms\n`);
    }
    const ratios = rounds.map((r) => r.served / r.raw).sort((a, b) => a - b);
    const median = (ratios[(ratios.length - 1) >> 1] + ratios[ratios.length >> 1]) / 2;
    const raw = rounds.reduce((a, r) => a + r.raw, 0) / rounds.length;
    const served = rounds.reduce((a, r) => a + r.served, 0) / rounds.length;
    const p50s = latencies.filter((_, i) => i % 2 === 0).sort((a, b) => a - b);
    const p99s = latencies.filter((_, i) => i % 2 === 1);

    process.stdout.write('\n');
    process.stdout.write(`raw RSA-2048 private ops (${CORES} threads):  ${raw.toFixed(0)} /s (mean of rounds)\n`);
    process.stdout.write(`POST /token-request served (2xx):         ${served.toFixed(0)} /s (mean of rounds; ${ok} ok, ${bad} not ok)\n`);
    process.stdout.write(`latency: p50 ${p50s[(p50s.length - 1) >> 1]} ms (median of rounds), p99 ${Math.max(...p99s)} ms (worst round)\n`);
    process.stdout.write(`ratio served / raw: ${median.toFixed(2)} median of rounds, ${(served / raw).toFixed(2)} of means (target ≥ ${TARGET_RATIO}) ${median >= TARGET_RATIO ? 'PASS' : 'BELOW TARGET'}\n`);
    process.stdout.write(`signing: in-process worker pool (worker_threads × ${CORES}); ID-token checks cached ${env.FIREBASE_CHECK_CACHE_MS ?? '30000'} ms (FIREBASE_CHECK_CACHE_MS)\n`);
    if (bad > 0) process.exitCode = 1;
  } finally {
    await service.stop();
    if (process.exitCode) process.stdout.write(service.output().slice(-4000));
    await db.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
