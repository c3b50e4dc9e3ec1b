// Helpers of config-service's integration specs: a local issuer (directory + token minting), a
// throwaway network database, the app in-process, and node registration.
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp, loadConfig } from '@phoenix/common';
import { sideRedisUrl } from '@phoenix/common/testing';
import {
  IssuerKeyPair,
  base64urlDecode,
  base64urlEncode,
  createTokenRequest,
  encodeToken,
  finalizeToken,
  generateIssuerKeyPair,
  generateWireGuardKeyPair,
  issueTokenResponse,
  renderIssuerDirectory,
} from '@phoenix/crypto';
import { createPostgresDataSource, createTestDatabase, runMigrations } from '@phoenix/database';
import { configServiceOptions } from '../src/http';
import { NetworkConfig, configShape } from '../src/config';
import { applyLocationSeeds, defaultSeedDir, readLocationSeeds } from '../src/database/location-seed';
import { NETWORK_ENTITIES, NETWORK_MIGRATIONS } from '../src/database/network-schema';

export const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: is the local stack running?`);
  return v;
};

export interface DirectoryKey {
  key: IssuerKeyPair;
  notBefore: number;
}

/** A tenant's issuer as auth-service's `GET /token-issuers` lists it. */
export interface LocalTenant {
  tenantId: string;
  issuer: string;
  leaseTtlHours: number;
  keys: DirectoryKey[];
}

/**
 * A stand-in for auth-service's issuer directory (any path) and its `GET /token-issuers` (the
 * consumer entry, then `tenants`), served over real HTTP with ETags.
 */
export class LocalIssuer {
  keys: DirectoryKey[] = [];
  tenants: LocalTenant[] = [];
  issuersRequests = 0;
  requests = 0;
  notModified = 0;
  down = false;
  private server?: Server;
  url = '';

  static async start(): Promise<LocalIssuer> {
    const issuer = new LocalIssuer();
    issuer.keys = [{ key: await generateIssuerKeyPair(), notBefore: Math.floor(Date.now() / 1000) - 3600 }];
    await issuer.listen();
    return issuer;
  }

  get current(): IssuerKeyPair {
    return (this.keys[0] as DirectoryKey).key;
  }

  body(): string {
    return JSON.stringify(
      renderIssuerDirectory({
        issuerRequestUri: '/token-request',
        tokenKeys: this.keys.map((k) => ({ tokenType: 2, tokenKey: k.key.tokenKey, notBefore: k.notBefore })),
      }),
    );
  }

  /** Adds a tenant with a fresh issuer key, listed from now on. */
  async addTenant(o: { leaseTtlHours?: number; issuer?: string } = {}): Promise<LocalTenant> {
    const tenantId = randomUUID();
    const tenant: LocalTenant = {
      tenantId,
      issuer: o.issuer ?? `${new URL(this.url).host}/tenants/${tenantId}`,
      leaseTtlHours: o.leaseTtlHours ?? 24,
      keys: [{ key: await generateIssuerKeyPair(), notBefore: Math.floor(Date.now() / 1000) - 3600 }],
    };
    this.tenants.push(tenant);
    return tenant;
  }

  issuersBody(): string {
    const keys = (list: DirectoryKey[]) => list.map((k) => ({ 'token-type': 2, 'token-key': base64urlEncode(k.key.tokenKey), 'not-before': k.notBefore }));
    return JSON.stringify([
      { issuer: new URL(this.url).host, tenantId: null, leaseTtlHours: null, 'token-keys': keys(this.keys) },
      ...this.tenants.map((t) => ({ issuer: t.issuer, tenantId: t.tenantId, leaseTtlHours: t.leaseTtlHours, 'token-keys': keys(t.keys) })),
    ]);
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.requests++;
      if (this.down) {
        res.writeHead(503).end();
        return;
      }
      if (req.url === '/token-issuers') {
        this.issuersRequests++;
        const list = this.issuersBody();
        const tag = `"${createHash('sha256').update(list).digest('hex').slice(0, 16)}"`;
        if (req.headers['if-none-match'] === tag) {
          res.writeHead(304, { etag: tag, 'cache-control': 'public, max-age=60' }).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', etag: tag, 'cache-control': 'public, max-age=60' }).end(list);
        return;
      }
      const body = this.body();
      const etag = `"${Buffer.from(body).length}-${this.keys.map((k) => k.key.keyIdHex.slice(0, 8)).join('.')}"`;
      if (req.headers['if-none-match'] === etag) {
        this.notModified++;
        res.writeHead(304, { etag, 'cache-control': 'public, max-age=60' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/private-token-issuer-directory', etag, 'cache-control': 'public, max-age=60' }).end(body);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/private-token-issuer-directory`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** Makes a token the way the app does (blind, sign, finalize) for a challenge. */
export function mintToken(key: IssuerKeyPair, challenge: Uint8Array | string): string {
  const challengeBytes = typeof challenge === 'string' ? base64urlDecode(challenge) : challenge;
  const { request, state } = createTokenRequest(key.tokenKey, challengeBytes);
  return base64urlEncode(encodeToken(finalizeToken(state, issueTokenResponse(key.privateKey, request))));
}

export function wgPublicKey(): string {
  return generateWireGuardKeyPair().publicKey;
}

export interface TestDb {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

/** A throwaway network database with the migrations and location seeds applied. */
export async function createNetworkDb(): Promise<TestDb> {
  const db = await createTestDatabase(env('PHOENIX_PG_ADMIN_URL'), env('NETWORK_DATABASE_URL'), 'cfgtest');
  const ds = createPostgresDataSource({ url: db.url, side: 'network', entities: NETWORK_ENTITIES, migrations: NETWORK_MIGRATIONS });
  await ds.initialize();
  try {
    await runMigrations(ds);
    const dir = defaultSeedDir();
    if (!dir) throw new Error('infra/locations not found');
    await applyLocationSeeds(ds, readLocationSeeds(dir));
  } finally {
    await ds.destroy();
  }
  return db;
}

/** A suite's own Redis namespace, inside the network side's (`network:`, all its Redis user may touch). */
export function uniquePrefix(): string {
  return `network:cfgtest:${randomBytes(4).toString('hex')}:`;
}

/**
 * The environment of a config-service under test: Redis as the network side's user
 * (`REDIS_URL_NETWORK`); specs inspect Redis with the admin `REDIS_URL`.
 */
export function testEnv(db: TestDb, issuer: LocalIssuer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NETWORK_DATABASE_URL: db.url,
    REDIS_URL: sideRedisUrl('config-service'),
    ISSUER_DIRECTORY_URL: issuer.url,
    REDIS_KEY_PREFIX: uniquePrefix(),
    MAINTENANCE_FALLBACK_INTERVAL_SEC: '0',
    LOG_LEVEL: process.env.CFG_TEST_LOG_LEVEL ?? 'silent',
    ...extra,
  };
}

export interface RunningApp {
  app: NestFastifyApplication;
  base: string;
  config: NetworkConfig;
  close: () => Promise<void>;
}

/** The app in-process on an ephemeral port, ready (database connected). */
export async function startApp(envVars: Record<string, string>): Promise<RunningApp> {
  const config = loadConfig(configShape, envVars);
  const app = await createServiceApp(configServiceOptions(config, { port: 0, host: '127.0.0.1', description: 'test' }));
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${base}/health/ready`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('config-service not ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { app, base, config, close: () => app.close() };
}

export interface Registered {
  id: string;
  nodeToken: string;
  publicKey: string;
}

export interface NodeOptions {
  location?: string;
  capacity?: number;
  tunnelCidrV4?: string;
  tunnelCidrV6?: string;
  ephemeral?: boolean;
  publicKey?: string;
  /** A node dedicated to this tenant, registered with `enrollmentToken` (the tenant's). */
  tenantId?: string;
  enrollmentToken?: string;
}

let poolCounter = 0;

/** Registers a node with its own pools and pulses it healthy. */
export async function addNode(base: string, config: NetworkConfig, o: NodeOptions = {}): Promise<Registered> {
  const n = ++poolCounter;
  const publicKey = o.publicKey ?? wgPublicKey();
  const res = await fetch(`${base}/nodes/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${o.enrollmentToken ?? config.NODE_ENROLLMENT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      publicKey,
      endpoint: { host: `198.18.${n % 250}.10`, port: 51820 },
      location: o.location ?? 'de-fra',
      capacity: o.capacity ?? 1000,
      tunnelCidrV4: o.tunnelCidrV4 ?? '100.64.0.0/16',
      tunnelCidrV6: o.tunnelCidrV6 ?? `fd00:6a:${n.toString(16)}::/64`,
      ephemeral: o.ephemeral ?? false,
      version: '1.0.0',
      ...(o.tenantId !== undefined ? { tenantId: o.tenantId } : {}),
    }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`register answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { id: string; nodeToken: string };
  await pulse(base, body, { load: 10, peers: 0, healthy: true });
  return { ...body, publicKey };
}

export async function pulse(base: string, node: { id: string; nodeToken: string }, body: Record<string, unknown>): Promise<Response> {
  const res = await fetch(`${base}/nodes/${node.id}/pulse`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.nodeToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res;
}

export async function getChallenge(base: string, issuer?: string): Promise<string> {
  const query = issuer === undefined ? '' : `?issuer=${encodeURIComponent(issuer)}`;
  return ((await (await fetch(`${base}/vpn/token-challenge${query}`)).json()) as { challenge: string }).challenge;
}

export function redeem(base: string, token: string | null, body: Record<string, unknown>, via: 'header' | 'body' = 'header'): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token && via === 'header') headers.authorization = `PrivateToken token="${token}"`;
  return fetch(`${base}/vpn/config`, { method: 'POST', headers, body: JSON.stringify(token && via === 'body' ? { ...body, token } : body) });
}

