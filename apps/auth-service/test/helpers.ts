// Integration-test helpers: a throwaway identity database and Redis prefix per suite, the app
// built exactly as main.ts builds it, Firebase emulator users, a Stripe API stand-in.
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp, loadConfig } from '@phoenix/common';
import { sideRedisUrl } from '@phoenix/common/testing';
import { createPostgresDataSource, createTestDatabase, runMigrations } from '@phoenix/database';
import Stripe from 'stripe';
import { AuthConfig, configShape } from '../src/config';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS } from '../src/database/identity-schema';
import { authServiceOptions } from '../src/http';

export interface TestDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

/** A fresh identity database with the migrations applied. */
export async function migratedTestDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase(process.env.PHOENIX_PG_ADMIN_URL ?? '', process.env.IDENTITY_DATABASE_URL ?? '', 'auth');
  const ds = createPostgresDataSource({ url: db.url, side: 'identity', entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
  await ds.initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
  return db;
}

/** A suite's own Redis namespace, inside the identity side's (`identity:`, all its Redis user may touch). */
export function uniquePrefix(): string {
  return `identity:authtest-${randomBytes(4).toString('hex')}`;
}

/**
 * The env a test instance runs with: the stack's URLs plus this suite's database and prefixes.
 * Redis as the identity side's user (`REDIS_URL_IDENTITY`); specs inspect with the admin `REDIS_URL`.
 */
export function testEnv(db: TestDatabase, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    IDENTITY_DATABASE_URL: db.url,
    REDIS_URL: sideRedisUrl('auth-service'),
    REDIS_KEY_PREFIX: `${prefix}:`,
    BULLMQ_PREFIX: prefix,
    SIGNING_WORKERS: '1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

/** ioredis/BullMQ connection options of the stack's admin `REDIS_URL`, for specs that inspect Redis. */
export function adminRedisConnection(): { host: string; port: number; username?: string; password?: string } {
  const u = new URL(process.env.REDIS_URL ?? '');
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

export interface TestApp {
  app: NestFastifyApplication;
  base: string;
  config: AuthConfig;
  close: () => Promise<void>;
}

/**
 * Builds and starts auth-service in-process on an ephemeral port, ready; with `transport`, its
 * Redis transport too (the command handlers job-worker sends to), as main.ts starts it.
 */
export async function startTestApp(env: Record<string, string>, opts: { waitReady?: boolean; transport?: boolean } = {}): Promise<TestApp> {
  const config = loadConfig(configShape, env);
  const app = await createServiceApp(authServiceOptions(config, { port: 0, host: '127.0.0.1', ...(opts.transport ? { redisTransportUrl: config.REDIS_URL } : {}) }));
  if (opts.transport) await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  if (opts.waitReady !== false) {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if ((await fetch(`${base}/health/ready`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { app, base, config, close: () => app.close() };
}

// --- Firebase Auth emulator ----------------------------------------------------------------------

const emulator = () => `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}`;

export interface EmulatorUser {
  uid: string;
  email: string;
  idToken: string;
  refreshToken: string;
}

export async function signUp(email = `u-${randomBytes(6).toString('hex')}@example.test`): Promise<EmulatorUser> {
  const res = await fetch(`${emulator()}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'password-123', returnSecureToken: true }),
  });
  if (res.status !== 200) throw new Error(`emulator signUp: ${res.status} ${await res.text()}`);
  const b = (await res.json()) as { localId: string; idToken: string; refreshToken: string };
  return { uid: b.localId, email, idToken: b.idToken, refreshToken: b.refreshToken };
}

/** Signs in again: a fresh ID token. */
export async function signIn(email: string): Promise<string> {
  const res = await fetch(`${emulator()}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=fake`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'password-123', returnSecureToken: true }),
  });
  if (res.status !== 200) throw new Error(`emulator signIn: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { idToken: string }).idToken;
}

/** The emulator's admin update (Authorization: Bearer owner). */
export async function adminUpdate(uid: string, fields: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emulator()}/identitytoolkit.googleapis.com/v1/projects/${process.env.FIREBASE_PROJECT_ID}/accounts:update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer owner' },
    body: JSON.stringify({ localId: uid, ...fields }),
  });
  if (res.status !== 200) throw new Error(`emulator update: ${res.status} ${await res.text()}`);
}

/** An unsigned (emulator-style) JWT with the given claims. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

// --- Stripe ----------------------------------------------------------------------------------------

export interface StripeCall {
  method: string;
  path: string;
  body: string;
}

/**
 * A local stand-in for the Stripe API: answers the calls auth-service makes and records them.
 * `subscriptions` is what `GET /v1/subscriptions/:id` answers (billing reconcile); absent: 404.
 */
export async function startStripeStandIn(): Promise<{ url: string; calls: StripeCall[]; subscriptions: Map<string, Record<string, unknown>>; failNext: (n: number) => void; close: () => Promise<void> }> {
  const calls: StripeCall[] = [];
  const subscriptions = new Map<string, Record<string, unknown>>();
  let failures = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      calls.push({ method: req.method ?? '', path, body });
      const send = (status: number, o: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_test' });
        res.end(JSON.stringify(o));
      };
      if (failures > 0) {
        failures--;
        return send(500, { error: { type: 'api_error', message: 'stand-in failure' } });
      }
      const id = randomBytes(6).toString('hex');
      if (req.method === 'POST' && path === '/v1/customers') return send(200, { id: `cus_${id}`, object: 'customer' });
      if (req.method === 'POST' && path === '/v1/checkout/sessions') return send(200, { id: `cs_${id}`, object: 'checkout.session', url: `https://checkout.stripe.test/c/cs_${id}` });
      if (req.method === 'POST' && path === '/v1/billing_portal/sessions') return send(200, { id: `bps_${id}`, object: 'billing_portal.session', url: `https://billing.stripe.test/p/${id}` });
      if (req.method === 'POST' && path === '/v1/billing/meter_events') {
        const f = new URLSearchParams(body);
        return send(200, { object: 'billing.meter_event', created: Math.floor(Date.now() / 1000), event_name: f.get('event_name'), identifier: f.get('identifier'), livemode: false, payload: { stripe_customer_id: f.get('payload[stripe_customer_id]'), value: f.get('payload[value]') }, timestamp: Number(f.get('timestamp')) });
      }
      const sub = /^\/v1\/subscriptions\/([\w]+)$/.exec(path);
      if (req.method === 'DELETE' && sub) return send(200, { id: sub[1], object: 'subscription', status: 'canceled' });
      if (req.method === 'GET' && sub) {
        const found = subscriptions.get(sub[1]);
        return found ? send(200, { object: 'subscription', ...found, id: sub[1] }) : send(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such subscription: '${sub[1]}'` } });
      }
      const cus = /^\/v1\/customers\/([\w]+)$/.exec(path);
      if (req.method === 'DELETE' && cus) return send(200, { id: cus[1], object: 'customer', deleted: true });
      send(404, { error: { type: 'invalid_request_error', message: 'no such route' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    subscriptions,
    failNext: (n) => (failures = n),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const stripeForSigning = new Stripe('sk_test_signing_only');

/** A Stripe event body and its `Stripe-Signature`, signed with `secret`. */
export function signedStripeEvent(secret: string, type: string, object: Record<string, unknown>, opts: { id?: string; created?: number } = {}): { body: string; signature: string; id: string } {
  const id = opts.id ?? `evt_${randomBytes(8).toString('hex')}`;
  const body = JSON.stringify({ id, object: 'event', type, created: opts.created ?? Math.floor(Date.now() / 1000), livemode: false, api_version: '2025-09-30.clover', data: { object } });
  return { body, id, signature: stripeForSigning.webhooks.generateTestHeaderString({ payload: body, secret }) };
}

export async function postStripe(base: string, ev: { body: string; signature: string }): Promise<Response> {
  return fetch(`${base}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature }, body: ev.body });
}

// --- HTTP --------------------------------------------------------------------------------------------

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
