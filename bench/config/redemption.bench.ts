/**
 * Redemption benchmark (config-service, `POST /vpn/config`), on loopback against the local stack's
 * Postgres and Redis with a throwaway database:
 *
 *   node -r @swc-node/register bench/config/redemption.bench.ts
 *
 * 1. Throughput and p99 of real redemptions over HTTP (wrk, or autocannon where wrk is not
 *    installed; a unique pre-minted token and a fresh WireGuard key per request, the issuer
 *    directory served locally), beside the floor of the work a redemption cannot avoid, measured
 *    in the same run at the same concurrency without HTTP: token verify (RSA-PSS) + Redis
 *    `SET NX` + the lease transaction (the token's nullifier, random addresses, unique indexes) +
 *    the node's generation moved on after the commit (NodeGenerations, behind the answer as in the
 *    service; each round waits for it). Target: HTTP / floor ≥ 0.5.
 *    And beside both, the physical reference: `pgbench` (C, libpq, prepared) committing single-row
 *    inserts into `lease` (the real table, with its unique indexes, on a throwaway database of its
 *    own) at the same concurrency — what this Postgres commits when nothing but one insert stands
 *    in the way. Target: floor / pgbench ≥ 0.25. Every node redemption used to lock the node's row
 *    through its commit (≈ 300/s against ≈ 5,200/s from pgbench); without pgbench the run says so
 *    and prints the rest.
 * 2. Cost growth: redemption p50 (one client, sequential, hrtime per request) against a service
 *    whose node has 1,000 leases vs a second service (own database, same stack) whose node has
 *    1,000,000 and as many spent-token nullifiers (bulk-inserted with generate_series, then VACUUM
 *    ANALYZE, then a warm-up). The two
 *    are measured in alternating rounds (small, large, large, small, …) and the growth is the
 *    median of per-round p50 ratios, so that load from elsewhere on the host hits both alike.
 *    Target: ≤ 1.5.
 *
 * The services run as their own processes (as deployed), with LOG_LEVEL=warn. HTTP, floor and
 * pgbench rounds are interleaved and each ratio is the median of per-round ratios. Bounded: about 4
 * minutes.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import type Redis from 'ioredis';
import { loadConfig } from '@phoenix/common';
import { spawnService, waitForHttp } from '@phoenix/common/testing';
import {
  base64urlDecode,
  base64urlEncode,
  bytesToHex,
  challengeDigest,
  createTokenRequest,
  decodeToken,
  encodeToken,
  finalizeToken,
  generateIssuerKeyPair,
  issueTokenResponse,
  renderIssuerDirectory,
  verifyToken,
} from '@phoenix/crypto';
import { createPostgresDataSource, createRedis, createTestDatabase, runMigrations, waitForRedis } from '@phoenix/database';
import type { DataSource } from 'typeorm';
import { configShape } from '../../apps/config-service/src/config';
import { Random } from '../../apps/config-service/src/core/random';
import { applyLocationSeeds, defaultSeedDir, readLocationSeeds } from '../../apps/config-service/src/database/location-seed';
import { NETWORK_ENTITIES, NETWORK_MIGRATIONS } from '../../apps/config-service/src/database/network-schema';
import { NodeGenerations } from '../../apps/config-service/src/fleet/node-generations';
import { LeasesRepository } from '../../apps/config-service/src/leases/leases.repository';
import { dayOf, forgetAt } from '../../apps/config-service/src/redemption/nullifier';
import { TokenChallenge } from '../../apps/config-service/src/redemption/token-challenge';
import { addCpu, cpuMeter, CpuSpent, hasWrk, median, processCpuMs, stackEnv } from '../support';

/** `--throughput-only`: the throughput rounds alone (no 1,000,000-lease service, no growth rounds), for iterating. */
const THROUGHPUT_ONLY = process.argv.includes('--throughput-only');
const PORT = 3922;
const LARGE_PORT = 3923;
const CONNECTIONS = 16;
/**
 * Rounds of the throughput comparison; each ratio is the median of the per-round ratios. The CPU a
 * redemption costs moves between rounds (on these shared 2-core machines the service's went from
 * 1.5 to 0.7 ms and back to 1.2 within one run) and is highest in the first few, whatever the
 * warm-up before them (300 or 3,000 requests): 15 rounds, so that the median is not those.
 */
const ROUNDS = 15;
const ROUND_REQUESTS = 600;
const THROUGHPUT_REQUESTS = ROUNDS * ROUND_REQUESTS;
const LATENCY_REQUESTS = 400;
const LATENCY_ROUNDS = 8;
/** Sequential warm-up of each service before the growth rounds. */
const WARMUP_REQUESTS = 300;
/** Warm-up of the throughput rounds, HTTP and floor each (V8 optimizes the hot paths as they run). */
const THROUGHPUT_WARMUP = 1_000;
const SMALL_LEASES = 1_000;
const LARGE_LEASES = 1_000_000;
const TARGET_THROUGHPUT_RATIO = 0.5;
const TARGET_PHYSICAL_RATIO = 0.25;
/** pgbench transactions per client and round (16 clients: 3,200 single-row inserts, about a second). */
const PGBENCH_PER_CLIENT = 200;
const TARGET_GROWTH_RATIO = 1.5;
const POOL_V4 = '100.64.0.0/10';
const POOL_V6 = 'fd00:be::/64';

const log = (s: string) => process.stdout.write(`${s}\n`);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const wgKey = () => randomBytes(32).toString('base64');
/** wrk (C) as the load generator when installed (tools/deps/debian.sh, group bench), else autocannon. */
const WRK = hasWrk();
/** wrk runs for a duration: the bound, should it never count its answers (each round stops itself in about a second). */
const WRK_BOUND_SEC = 120;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  other: number;
  /** Per-request latencies (ms), for the sequential client. */
  times?: number[];
  /** CPU of a load generator running as its own process (wrk), ms. */
  clientCpuMs?: number;
}

/**
 * Many connections, `count` redemptions of the first `count` of `tokens` (the rest are spares, one
 * per connection, sent while the last answers come in and not counted). With wrk when it is there
 * (C: about a tenth of autocannon's CPU per request, and the load generator shares the two cores
 * with what it measures), else autocannon.
 */
function load(url: string, tokens: string[], count: number): Promise<Run> {
  return WRK ? wrkRun(url, tokens, count) : cannon(url, tokens.slice(0, count));
}

/**
 * wrk, one thread, with bench/config/redemption.lua: each prebuilt request sent once, timed by the
 * script from its first request to the `count`-th answer; then it is stopped (SIGINT: it runs for
 * a duration, not a count, and prints its latency percentiles on the way out). Its own CPU up to
 * that answer is returned as `clientCpuMs`.
 */
async function wrkRun(url: string, tokens: string[], count: number): Promise<Run> {
  if (tokens.length <= count) throw new Error('wrk needs spare tokens beyond the count');
  const dir = mkdtempSync(path.join(tmpdir(), 'redemption-bench-'));
  const file = path.join(dir, 'requests.tsv');
  writeFileSync(file, tokens.map((t) => `${t}\t${wgKey()}\n`).join(''));
  try {
    return await new Promise<Run>((resolve, reject) => {
      const args = ['-t1', `-c${CONNECTIONS}`, `-d${WRK_BOUND_SEC}s`, '--timeout', '10s', '-s', path.join(__dirname, 'redemption.lua'), url, '--', file, String(count)];
      const wrk = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let finished: RegExpExecArray | null = null;
      let clientCpuMs = 0;
      wrk.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (finished) return;
        finished = /^DONE (\d+) (\d+) (\d+)$/m.exec(out);
        if (!finished) return;
        clientCpuMs = processCpuMs(wrk.pid as number);
        wrk.kill('SIGINT');
      });
      wrk.stderr.on('data', (d: Buffer) => (out += d.toString()));
      wrk.on('error', reject);
      wrk.on('close', () => {
        const percentiles = out.split('\n').find((l) => l.startsWith('{'));
        if (!finished || !percentiles) return reject(new Error(`wrk did not finish ${count} redemptions within ${WRK_BOUND_SEC} s:\n${out}`));
        const [, ns, ok, other] = finished.map(Number) as [number, number, number, number];
        const p = JSON.parse(percentiles) as { p50Us: number; p99Us: number };
        resolve({ rps: ok / (ns / 1e9), p50: p.p50Us / 1000, p99: p.p99Us / 1000, ok, other, clientCpuMs });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Many connections: autocannon, timed from the start to the last response (not its 1 s ticks). */
async function cannon(url: string, tokens: string[]): Promise<Run> {
  let next = 0;
  let last = 0n;
  const started = process.hrtime.bigint();
  const options: autocannon.Options = {
    url: `${url}/vpn/config`,
    connections: CONNECTIONS,
    amount: tokens.length,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          const token = tokens[next++ % tokens.length] as string;
          return { ...req, headers: { ...req.headers, authorization: `PrivateToken token="${token}"` }, body: JSON.stringify({ location: 'de-fra', publicKey: wgKey() }) };
        },
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', () => {
      last = process.hrtime.bigint();
    });
  });
  const seconds = Number(last - started) / 1e9;
  const ok = result['2xx'];
  return { rps: ok / seconds, p50: result.latency.p50, p99: result.latency.p99, ok, other: result.non2xx + result.errors };
}

/** One connection, one request at a time, timed per request with hrtime (sub-millisecond p50). */
async function sequential(url: string, tokens: string[]): Promise<Run> {
  const times: number[] = [];
  let other = 0;
  const started = process.hrtime.bigint();
  for (const token of tokens) {
    const t = process.hrtime.bigint();
    const res = await fetch(`${url}/vpn/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `PrivateToken token="${token}"` },
      body: JSON.stringify({ location: 'de-fra', publicKey: wgKey() }),
    });
    await res.arrayBuffer();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (res.status !== 200) other++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { rps: tokens.length / seconds, p50: at(0.5), p99: at(0.99), ok: tokens.length - other, other, times };
}

/** pgbench, from PATH or Debian's versioned directory (the postgresql package brings it). */
function findPgbench(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  for (const v of ['17', '16', '15', '14', '13']) if (existsSync(`/usr/lib/postgresql/${v}/bin/pgbench`)) return `/usr/lib/postgresql/${v}/bin/pgbench`;
  return null;
}

/**
 * The physical reference: pgbench committing one single-row INSERT into `lease` per transaction,
 * prepared, on a throwaway database with the real migrations and one node. Addresses come from a
 * sequence (never a conflict, so every transaction writes and commits). The password goes in the
 * environment, not the command line.
 */
async function pgbenchReference(env: Record<string, string>): Promise<{ script: string; run: () => Promise<number>; stop: () => Promise<void> } | null> {
  const bin = findPgbench();
  if (!bin) return null;
  const db = await createTestDatabase(env.PHOENIX_PG_ADMIN_URL as string, env.NETWORK_DATABASE_URL as string, 'benchpg');
  const ds: DataSource = createPostgresDataSource({ url: db.url, side: 'network', entities: NETWORK_ENTITIES, migrations: NETWORK_MIGRATIONS, poolSize: 2 });
  const dir = mkdtempSync(path.join(tmpdir(), 'phoenix-pgbench-'));
  const stop = async () => {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ds.initialize();
    await runMigrations(ds);
    await applyLocationSeeds(ds, readLocationSeeds(defaultSeedDir() as string));
    const [{ id }] = (await ds.query(
      `INSERT INTO node (public_key, endpoint_host, endpoint_port, location_id, capacity, tunnel_cidr_v4, tunnel_cidr_v6, version, token_hash, pulse_interval_sec)
       VALUES ('pgbench', '198.18.0.11', 51820, 'de-fra', 1000000, $1, $2, 'bench', '\\x00', 30) RETURNING id`,
      [POOL_V4, POOL_V6],
    )) as Array<{ id: string }>;
    await ds.query(`CREATE SEQUENCE pgbench_lease START 2`);
    // (pgbench reads ":name" as a variable, so the IPv6 base is written without one.)
    const script = `INSERT INTO lease (node_id, public_key, ipv4, ipv6, expires_at) SELECT '${id}', md5(n::text), '100.64.0.0'::inet + n, 'fd00:00be::'::inet + n, now() + interval '1 day' FROM (SELECT nextval('pgbench_lease') AS n) s;`;
    const file = path.join(dir, 'lease-insert.sql');
    writeFileSync(file, `${script}\n`);
    const url = new URL(db.url);
    const pgEnv = {
      PATH: process.env.PATH ?? '',
      PGHOST: url.hostname,
      PGPORT: url.port || '5432',
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: db.name,
    };
    const run = async (): Promise<number> => {
      const { stdout } = await promisify(execFile)(bin, ['-n', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-t', String(PGBENCH_PER_CLIENT), '-f', file], { env: pgEnv, encoding: 'utf8' });
      const done = /number of transactions actually processed: (\d+)\//.exec(stdout);
      const tps = /tps = ([\d.]+)/.exec(stdout);
      if (!tps || Number(done?.[1]) !== CONNECTIONS * PGBENCH_PER_CLIENT) throw new Error(`pgbench did not finish its transactions:\n${stdout}`);
      return Number(tps[1]);
    };
    return { script, run, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A config-service process on its own throwaway network database, with one registered node. */
async function benchService(env: Record<string, string>, issuerUrl: string, port: number, name: string) {
  const db = await createTestDatabase(env.PHOENIX_PG_ADMIN_URL as string, env.NETWORK_DATABASE_URL as string, name);
  // As many database connections as clients, here (the floor's) and in the service, as pgbench
  // has: commits can only be grouped among transactions under way at once.
  const ds: DataSource = createPostgresDataSource({ url: db.url, side: 'network', entities: NETWORK_ENTITIES, migrations: NETWORK_MIGRATIONS, poolSize: CONNECTIONS });
  await ds.initialize();
  await runMigrations(ds);
  await applyLocationSeeds(ds, readLocationSeeds(defaultSeedDir() as string));
  const prefix = `network:bench:${randomBytes(4).toString('hex')}:`;
  const serviceEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NETWORK_DATABASE_URL: db.url,
    REDIS_URL: env.REDIS_URL_NETWORK as string, // the network side's Redis user
    ISSUER_DIRECTORY_URL: issuerUrl,
    REDIS_KEY_PREFIX: prefix,
    MAINTENANCE_FALLBACK_INTERVAL_SEC: '0',
    LOG_LEVEL: 'warn',
    NETWORK_DB_POOL_SIZE: String(CONNECTIONS),
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const config = loadConfig(configShape, serviceEnv);
  const service = spawnService('config-service', serviceEnv);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await service.stop();
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
  };
  try {
    await waitForHttp(`${base}/health/ready`, 45_000);
    const reg = await fetch(`${base}/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.NODE_ENROLLMENT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ publicKey: wgKey(), endpoint: { host: '198.18.0.10', port: 51820 }, location: 'de-fra', capacity: 1_000_000, tunnelCidrV4: POOL_V4, tunnelCidrV6: POOL_V6, ephemeral: false, version: 'bench' }),
    });
    const node = (await reg.json()) as { id: string; nodeToken: string };
    const pulse = () =>
      fetch(`${base}/nodes/${node.id}/pulse`, { method: 'POST', headers: { authorization: `Bearer ${node.nodeToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ load: 0, peers: 0, healthy: true }) });
    await pulse();
    /** Bench data only (sequential, strided addresses; skips any the service already handed out). */
    const fill = async (to: number) => {
      // One connection without the services' 10 s statement timeout, for the bulk inserts.
      const bulk = ds.createQueryRunner();
      await bulk.connect();
      try {
        await bulk.query(`SET statement_timeout = 0`);
        const CHUNK = 200_000;
        for (let from = 0; from < to; from += CHUNK) {
          await bulk.query(
            `INSERT INTO lease (node_id, public_key, ipv4, ipv6, expires_at)
             SELECT $1, encode(sha256(('bench-' || g)::bytea), 'base64'), '100.64.0.0'::inet + (2 + g * 4), 'fd00:be::'::inet + (2 + g * 4), now() + interval '1 day'
             FROM generate_series($2::bigint, $3::bigint - 1) AS g
             ON CONFLICT DO NOTHING`,
            [node.id, from, Math.min(to, from + CHUNK)],
          );
          // As many spent-token nullifiers (a live system holds more: they outlive leases).
          await bulk.query(
            `INSERT INTO spent_token (nullifier, forget_on)
             SELECT sha256(('bench-spent-' || g)::bytea), current_date + 16 FROM generate_series($1::bigint, $2::bigint - 1) AS g
             ON CONFLICT DO NOTHING`,
            [from, Math.min(to, from + CHUNK)],
          );
        }
        // As after any bulk load: vacuum and analyze now, so autovacuum does not run during the measurement.
        await bulk.query(`VACUUM ANALYZE lease`);
        await bulk.query(`VACUUM ANALYZE spent_token`);
      } finally {
        await bulk.release();
      }
      const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM lease`)) as Array<{ n: number }>;
      return n;
    };
    return { config, service, base, ds, node, prefix, pulse, fill, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function main(): Promise<void> {
  const env = stackEnv();
  log(`redemption benchmark: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);

  // --- Issuer directory served locally; each service on a throwaway network database.
  const issuerKey = await generateIssuerKeyPair();
  const directory = JSON.stringify(renderIssuerDirectory({ issuerRequestUri: '/token-request', tokenKeys: [{ tokenType: 2, tokenKey: issuerKey.tokenKey, notBefore: Math.floor(Date.now() / 1000) - 60 }] }));
  const issuer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/private-token-issuer-directory', etag: '"1"', 'cache-control': 'max-age=300' }).end(directory));
  await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', r));
  const issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/.well-known/private-token-issuer-directory`;

  // The stack's standalone Redis (its admin user): SCAN below needs one server, not a cluster.
  const redis = createRedis(env.REDIS_URL as string, 'bench') as Redis;
  // The floor's spends go through a client configured as the service's data client (auto-pipelining:
  // concurrent spends share socket writes, apps/config-service/src/app.module.ts).
  const floorRedis = createRedis(env.REDIS_URL as string, 'bench-floor', { enableAutoPipelining: true }) as Redis;
  const services: Array<Awaited<ReturnType<typeof benchService>>> = [];
  let pgbench: Awaited<ReturnType<typeof pgbenchReference>> = null;
  try {
    pgbench = await pgbenchReference(env);
    if (pgbench) log(`pgbench script (${CONNECTIONS} clients, ${PGBENCH_PER_CLIENT} transactions each per round): ${pgbench.script}`);
    else log('pgbench not found (it comes with Debian\'s postgresql package: tools/deps/debian.sh, group stack): no physical reference in this run');
    const primary = await benchService(env, issuerUrl, PORT, 'bench');
    services.push(primary);
    const big = THROUGHPUT_ONLY ? primary : await benchService(env, issuerUrl, LARGE_PORT, 'benchlarge');
    if (big !== primary) services.push(big);
    const { config, service, base, ds, node, prefix, pulse } = primary;
    await waitForRedis(redis);
    await waitForRedis(floorRedis);

    // --- Tokens, minted the way the app does (blind → issuer signs → finalize).
    const challenge = new TokenChallenge(config);
    const mintCount = THROUGHPUT_WARMUP + 2 * WARMUP_REQUESTS + THROUGHPUT_REQUESTS + (ROUNDS + 1) * CONNECTIONS + 2 * LATENCY_REQUESTS;
    const t0 = Date.now();
    const tokens = Array.from({ length: mintCount }, () => {
      const { request, state } = createTokenRequest(issuerKey.tokenKey, challenge.bytes);
      return base64urlEncode(encodeToken(finalizeToken(state, issueTokenResponse(issuerKey.privateKey, request))));
    });
    log(`minted ${fmt(mintCount)} tokens in ${fmt((Date.now() - t0) / 1000, 1)} s`);
    let cursor = 0;
    const take = (n: number) => tokens.slice(cursor, (cursor += n));

    await primary.fill(SMALL_LEASES);

    // --- Warm-up, then the HTTP runs at 1,000 leases (before the bulk load of the second service,
    // whose checkpoints and writes-back would otherwise land in the first rounds).
    await pulse();
    const warm = await load(base, take(THROUGHPUT_WARMUP + CONNECTIONS), THROUGHPUT_WARMUP);
    if (warm.other) throw new Error(`warm-up had ${warm.other} failures:\n${service.output().slice(-2000)}`);
    // --- Throughput: HTTP rounds and floor rounds interleaved (HTTP, floor, HTTP, floor, …) so that
    // load from elsewhere on the host hits both alike; the ratio is the median of per-round ratios.
    const leases = new LeasesRepository(ds);
    // As the service does it: one bump per batch of this node's commits, behind the answer. The
    // announcement itself is a Redis PUBLISH the service does not wait for either: left out.
    const generations = new NodeGenerations(ds, { announce: () => undefined } as never);
    const floorPrefix = `${prefix}floor:`;
    const digest = challengeDigest(challenge.bytes);
    const dns = ['100.64.0.1', 'fd00:be::1'];
    const source = new Random().source;
    const floorForgetOn = dayOf(forgetAt(Math.floor(Date.now() / 1000), Math.floor(Date.now() / 1000), 16 * 86_400));
    const floor = async (batch: string[]): Promise<number> => {
      let next = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (next < batch.length) {
            const token = decodeToken(base64urlDecode(batch[next++] as string));
            if (!verifyToken(issuerKey.publicKey, token, digest)) throw new Error('floor: token did not verify');
            const spent = await floorRedis.set(`${floorPrefix}${bytesToHex(token.nonce)}`, '1', 'EX', 3600, 'NX');
            if (spent !== 'OK') throw new Error('floor: token already spent');
            // The HTTP round already recorded these tokens' nullifiers: the floor inserts fresh ones (same insert).
            const spend = { nullifier: randomBytes(32), forgetOn: floorForgetOn };
            const publicKey = wgKey();
            // As the service does: a release token per lease, only its hash stored.
            const releaseTokenHash = createHash('sha256').update(randomBytes(32).toString('base64url')).digest();
            await leases.create({ nodeId: node.id, publicKey, pools: { v4: POOL_V4, v6: POOL_V6 }, reserved: dns, ttlSec: 86_400, random: source, spend, tenantId: null, releaseTokenHash });
            void generations.leaseCommitted(node.id, publicKey);
          }
        }),
      );
      await generations.idle();
      return batch.length / (Number(process.hrtime.bigint() - started) / 1e9);
    };
    const generationOf = async () => Number(((await ds.query(`SELECT generation FROM node_generation WHERE node_id = $1`, [node.id])) as Array<{ generation: string }>)[0]?.generation);
    // The floor warms up too (its connections, the function's plans, the JIT): on the warm-up's
    // tokens, under its own prefix, as in the rounds.
    await floor(tokens.slice(cursor - CONNECTIONS - THROUGHPUT_WARMUP, cursor - CONNECTIONS));
    if (pgbench) await pgbench.run();
    const rounds: Array<{ http: Run; floorRps: number; pgbenchTps: number | null; bumps: number }> = [];
    // Where the CPU goes, per phase: the whole machine, the load generator (this process: the
    // floor's own work, or autocannon) and the service. Summed over the rounds.
    const pids = { client: process.pid, service: service.proc.pid as number };
    const none: CpuSpent = { wallMs: 0, machineMs: 0, processMs: {} };
    const cpu = { http: none, floor: none, pgbench: none };
    /** CPU per operation of a measured stretch: the whole machine's, or one named process's. */
    const perOp = (c: CpuSpent, n: number, who: string) => (who === 'machine' ? c.machineMs : (c.processMs[who] ?? 0)) / n;
    for (let r = 0; r < ROUNDS; r++) {
      await pulse();
      // The floor reuses the round's tokens under its own key prefix: same verify, same SET NX.
      const batch = take(ROUND_REQUESTS);
      let spent = cpuMeter(pids);
      const httpRun = await load(base, [...batch, ...take(CONNECTIONS)], ROUND_REQUESTS);
      const httpCpu = spent();
      // wrk is a process of its own: its CPU counts as the load generator's, with this process's.
      httpCpu.processMs.client = (httpCpu.processMs.client ?? 0) + (httpRun.clientCpuMs ?? 0);
      cpu.http = addCpu(cpu.http, httpCpu);
      const before = await generationOf();
      spent = cpuMeter(pids);
      const floorRps = await floor(batch);
      const floorCpu = spent();
      cpu.floor = addCpu(cpu.floor, floorCpu);
      const bumps = (await generationOf()) - before;
      spent = cpuMeter(pids);
      const pgbenchTps = pgbench ? await pgbench.run() : null;
      cpu.pgbench = addCpu(cpu.pgbench, spent());
      rounds.push({ http: httpRun, floorRps, pgbenchTps, bumps });
      log(`round ${r + 1}: HTTP ${fmt(httpRun.rps)}/s (service ${fmt(perOp(httpCpu, ROUND_REQUESTS, 'service'), 2)} ms CPU per redemption), floor ${fmt(floorRps)}/s (its client ${fmt(perOp(floorCpu, ROUND_REQUESTS, 'client'), 2)} ms)${pgbenchTps === null ? '' : `, pgbench ${fmt(pgbenchTps)} tps`}`);
    }
    const http: Run = {
      rps: median(rounds.map((r) => r.http.rps)),
      p50: median(rounds.map((r) => r.http.p50)),
      p99: median(rounds.map((r) => r.http.p99)),
      ok: rounds.reduce((s, r) => s + r.http.ok, 0),
      other: rounds.reduce((s, r) => s + r.http.other, 0),
    };
    const floorRps = median(rounds.map((r) => r.floorRps));
    const throughputRatio = median(rounds.map((r) => r.http.rps / r.floorRps));
    const pgbenchTps = pgbench ? median(rounds.map((r) => r.pgbenchTps as number)) : null;
    const physicalRatio = pgbench ? median(rounds.map((r) => r.floorRps / (r.pgbenchTps as number))) : null;
    const bumpsPer100 = median(rounds.map((r) => (100 * r.bumps) / ROUND_REQUESTS));
    const ops = ROUNDS * ROUND_REQUESTS;
    const busy = (c: CpuSpent) => `${fmt((100 * c.machineMs) / (c.wallMs * cpus().length))} % busy`;
    log(`CPU per operation, ms (whole machine; load generator; service), summed over the rounds:`);
    log(`  HTTP ${fmt(perOp(cpu.http, ops, 'machine'), 2)}; ${fmt(perOp(cpu.http, ops, 'client'), 2)}; ${fmt(perOp(cpu.http, ops, 'service'), 2)} (${busy(cpu.http)})`);
    log(`  floor ${fmt(perOp(cpu.floor, ops, 'machine'), 2)}; ${fmt(perOp(cpu.floor, ops, 'client'), 2)}; — (${busy(cpu.floor)})`);
    if (pgbench) log(`  pgbench ${fmt(perOp(cpu.pgbench, ROUNDS * CONNECTIONS * PGBENCH_PER_CLIENT, 'machine'), 2)}; —; — (${busy(cpu.pgbench)})`);

    if (THROUGHPUT_ONLY) {
      log(`| HTTP/s ${fmt(http.rps)}, floor/s ${fmt(floorRps)}, **HTTP/floor ${fmt(throughputRatio, 2)}**${physicalRatio === null ? '' : `, pgbench tps ${fmt(pgbenchTps as number)}, **floor/pgbench ${fmt(physicalRatio, 2)}**`} (--throughput-only: no growth rounds) |`);
      return;
    }

    // --- Growth: the same sequential client against ~1,000 and ~1,000,000 leases, in alternating
    // rounds (small, large, large, small, …); the growth is the median of the per-round p50 ratios.
    const fillStart = Date.now();
    const n = await big.fill(LARGE_LEASES);
    log(`bulk-inserted ${fmt(n)} leases for the second service in ${fmt((Date.now() - fillStart) / 1000, 1)} s`);
    // Both nodes pulse again first: a slow bulk load can outlast three pulse intervals, after
    // which a node without a pulse is no candidate (NO_CAPACITY).
    await Promise.all([pulse(), big.pulse()]);
    const warm2 = await sequential(big.base, take(WARMUP_REQUESTS));
    if (warm2.other) throw new Error(`warm-up at 1M had ${warm2.other} failures:\n${big.service.output().slice(-2000)}`);
    const warm1 = await sequential(base, take(WARMUP_REQUESTS));
    if (warm1.other) throw new Error(`sequential warm-up had ${warm1.other} failures`);
    const per = LATENCY_REQUESTS / LATENCY_ROUNDS;
    const smallRuns: Run[] = [];
    const largeRuns: Run[] = [];
    for (let r = 0; r < LATENCY_ROUNDS; r++) {
      await Promise.all([pulse(), big.pulse()]);
      const order = r % 2 === 0 ? [false, true] : [true, false];
      for (const isLarge of order) {
        if (isLarge) largeRuns.push(await sequential(big.base, take(per)));
        else smallRuns.push(await sequential(base, take(per)));
      }
    }
    const pooled = (runs: Run[]): Run => {
      const times = runs.flatMap((x) => x.times ?? []).sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
      return { rps: median(runs.map((x) => x.rps)), p50: at(0.5), p99: at(0.99), ok: runs.reduce((a, x) => a + x.ok, 0), other: runs.reduce((a, x) => a + x.other, 0), times };
    };
    const small = pooled(smallRuns);
    const large = pooled(largeRuns);
    const growth = median(largeRuns.map((x, r) => x.p50 / smallRuns[r].p50));
    log(`growth rounds (p50 1M / 1k): ${largeRuns.map((x, r) => fmt(x.p50 / smallRuns[r].p50, 2)).join(', ')}`);

    const failures = [small, http, large].reduce((s, r) => s + r.other, 0);
    log('');
    log(`| measurement (loopback, ${CONNECTIONS} connections unless noted) | value |`);
    log('| --- | ---: |');
    log(`| HTTP redemptions/s (median of ${ROUNDS} rounds × ${fmt(ROUND_REQUESTS)} requests) | ${fmt(http.rps)} |`);
    log(`| HTTP p50 / p99 latency (median of rounds) | ${fmt(http.p50, 1)} ms / ${fmt(http.p99, 1)} ms |`);
    log(`| floor: verify + SET NX + nullifier and lease transaction, ops/s (median of rounds) | ${fmt(floorRps)} |`);
    log(`| **throughput ratio HTTP / floor** (target ≥ ${TARGET_THROUGHPUT_RATIO}) | **${fmt(throughputRatio, 2)}** ${throughputRatio >= TARGET_THROUGHPUT_RATIO ? 'PASS' : 'FAIL'} |`);
    log(`| node generations per 100 floor redemptions (one bump per batch of the node's commits; median of rounds) | ${fmt(bumpsPer100, 1)} |`);
    if (pgbenchTps !== null && physicalRatio !== null) {
      log(`| pgbench: single-row lease inserts committed/s, ${CONNECTIONS} clients (median of rounds) | ${fmt(pgbenchTps)} |`);
      log(`| **physical ratio floor / pgbench** (target ≥ ${TARGET_PHYSICAL_RATIO}) | **${fmt(physicalRatio, 2)}** ${physicalRatio >= TARGET_PHYSICAL_RATIO ? 'PASS' : 'FAIL'} |`);
    } else {
      log('| pgbench (physical reference) | not measured: pgbench not found |');
    }
    log(`| p50, sequential client, ~${fmt(SMALL_LEASES)} leases (${LATENCY_REQUESTS} requests in ${LATENCY_ROUNDS} rounds) | ${fmt(small.p50, 2)} ms (p99 ${fmt(small.p99, 2)} ms) |`);
    log(`| p50, sequential client, ~${fmt(LARGE_LEASES)} leases (${LATENCY_REQUESTS} requests in ${LATENCY_ROUNDS} rounds, another service and database) | ${fmt(large.p50, 2)} ms (p99 ${fmt(large.p99, 2)} ms) |`);
    log(`| **cost growth p50(1M) / p50(1k)**, median of per-round ratios (target ≤ ${TARGET_GROWTH_RATIO}) | **${fmt(growth, 2)}** ${growth <= TARGET_GROWTH_RATIO ? 'PASS' : 'FAIL'} |`);
    log(`| non-200 answers | ${failures} |`);
    if (failures) log(`${service.output().slice(-2000)}\n${big.service.output().slice(-2000)}`);
  } finally {
    // Leave nothing behind on the shared Redis (spent marks carry a 16-day TTL).
    for (const svc of services) {
      let scanCursor = '0';
      do {
        const [c, keys] = await redis.scan(scanCursor, 'MATCH', `${svc.prefix}*`, 'COUNT', 1000);
        scanCursor = c;
        if (keys.length) await redis.unlink(...keys);
      } while (scanCursor !== '0');
      await svc.stop();
    }
    await pgbench?.stop();
    redis.disconnect();
    floorRedis.disconnect();
    await new Promise<void>((r) => issuer.close(() => r()));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`redemption bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
