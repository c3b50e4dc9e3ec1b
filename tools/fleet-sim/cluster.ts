import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase } from '@phoenix/database';
import { ServiceProcess, WORKSPACE_ROOT, dropRedisPrefix, freeLoopbackPort, spawnService, waitForHttp } from '@phoenix/common/testing';

const execFileAsync = promisify(execFile);

/** The local stack's settings a cluster needs (`.stack/env`). */
export interface StackUrls {
  PHOENIX_PG_ADMIN_URL: string;
  NETWORK_DATABASE_URL: string;
  /** Admin user: to delete the run's keys afterwards (SCAN). */
  REDIS_URL: string;
  /** The network side's user: what config-service runs with. */
  REDIS_URL_NETWORK: string;
}

export interface ClusterOptions {
  /** Names the throwaway database (`<name>_<random>`) and the Redis key prefix. */
  name: string;
  replicas: number;
  /** PULSE_INTERVAL_SEC told to nodes at registration. */
  pulseIntervalSec: number;
  issuerDirectoryUrl: string;
  /** Postgres pool per replica (config-service's NETWORK_DB_POOL_SIZE, default 10). */
  dbPoolSize?: number;
  logLevel?: string;
  /** How long a replica may take to be ready. */
  readyTimeoutMs?: number;
}

export interface Replica {
  base: string;
  pid: number;
  service: ServiceProcess;
}

/**
 * Replicas of config-service as their own processes (as deployed, `spawnService`), sharing one
 * throwaway network database (created like the integration suites' — libs/database
 * createTestDatabase — migrated with `npm run migrate:network`'s script) and one Redis key
 * prefix on the stack's Redis, logged in as the network side's user.
 *
 * The replicas keep config-service's defaults but for: their own enrollment and admin tokens
 * (fresh secrets), no fallback maintenance timer and no fleet-totals reports (the stack's
 * analytics-service is shared; a run's totals are not the platform's), LOG_LEVEL=warn, and a
 * dead-node delay of at least 10 minutes: the stack's job-worker sends its reap command to every
 * config-service on the stack, ours included, and the nodes of a run stay silent between
 * registering and starting (while the leases are seeded).
 */
export class ConfigServiceCluster {
  readonly enrollmentToken = randomBytes(24).toString('base64url');
  readonly adminToken = randomBytes(24).toString('base64url');
  readonly prefix: string;
  readonly replicas: Replica[] = [];
  private db: { url: string; name: string; drop: () => Promise<void> } | null = null;

  private constructor(
    private readonly stack: StackUrls,
    readonly options: ClusterOptions,
  ) {
    this.prefix = `network:fleetsim:${options.name}:${randomBytes(4).toString('hex')}:`;
  }

  /** Creates the database, migrates it, starts the replicas and waits until each is ready. Cleans up what it made on failure. */
  static async start(stack: StackUrls, options: ClusterOptions): Promise<ConfigServiceCluster> {
    const cluster = new ConfigServiceCluster(stack, options);
    try {
      await cluster.boot();
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  get databaseUrl(): string {
    if (!this.db) throw new Error('cluster: no database');
    return this.db.url;
  }

  get databaseName(): string {
    if (!this.db) throw new Error('cluster: no database');
    return this.db.name;
  }

  get bases(): string[] {
    return this.replicas.map((r) => r.base);
  }

  private async boot(): Promise<void> {
    const { options, stack } = this;
    this.db = await createTestDatabase(stack.PHOENIX_PG_ADMIN_URL, stack.NETWORK_DATABASE_URL, options.name);
    await execFileAsync(process.execPath, ['-r', '@swc-node/register', path.join('apps', 'config-service', 'src', 'database', 'migrate.ts')], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NETWORK_DATABASE_URL: this.db.url },
      timeout: 120_000,
    });
    const ports = await Promise.all(Array.from({ length: options.replicas }, () => freeLoopbackPort()));
    for (const port of ports) {
      const service = spawnService('config-service', {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NETWORK_DATABASE_URL: this.db.url,
        REDIS_URL: stack.REDIS_URL_NETWORK,
        REDIS_KEY_PREFIX: this.prefix,
        ISSUER_DIRECTORY_URL: options.issuerDirectoryUrl,
        NODE_ENROLLMENT_TOKEN: this.enrollmentToken,
        ADMIN_TOKEN: this.adminToken,
        PULSE_INTERVAL_SEC: String(options.pulseIntervalSec),
        NODE_DEAD_AFTER_SEC: String(Math.max(600, 3 * options.pulseIntervalSec)),
        MAINTENANCE_FALLBACK_INTERVAL_SEC: '0',
        NETWORK_DB_POOL_SIZE: String(options.dbPoolSize ?? 10),
        LOG_LEVEL: options.logLevel ?? 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
      });
      this.replicas.push({ base: `http://127.0.0.1:${port}`, pid: service.proc.pid ?? -1, service });
    }
    await Promise.all(
      this.replicas.map(async (r) => {
        try {
          await waitForHttp(`${r.base}/health/ready`, options.readyTimeoutMs ?? 90_000);
        } catch (e) {
          throw new Error(`${(e as Error).message}\n${r.service.output().slice(-2000)}`);
        }
      }),
    );
  }

  /** The seeded location ids, from `GET /locations` (what a client sees). */
  async locations(): Promise<string[]> {
    const res = await fetch(`${this.bases[0]}/locations`);
    if (!res.ok) throw new Error(`GET /locations answered ${res.status}`);
    return ((await res.json()) as Array<{ id: string }>).map((l) => l.id);
  }

  /** The TokenChallenge clients answer (`GET /vpn/token-challenge`), decoded. */
  async tokenChallenge(): Promise<Uint8Array> {
    const res = await fetch(`${this.bases[0]}/vpn/token-challenge`);
    if (!res.ok) throw new Error(`GET /vpn/token-challenge answered ${res.status}`);
    const { challenge } = (await res.json()) as { challenge: string };
    return new Uint8Array(Buffer.from(challenge, 'base64url'));
  }

  /** A connection to the run's database (no statement timeout, for bulk work); the caller ends it. */
  async connect(): Promise<Client> {
    const db = new Client({ connectionString: this.databaseUrl });
    await db.connect();
    return db;
  }

  /** Stops the replicas (SIGTERM, then SIGKILL after 10 s), deletes the run's keys and drops the database. */
  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.service.stop()));
    try {
      await dropRedisPrefix(this.prefix, this.stack.REDIS_URL);
    } finally {
      if (this.db) await this.db.drop();
      this.db = null;
    }
  }
}
