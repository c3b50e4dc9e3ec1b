// The web account app end to end, in real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; never a downloaded browser) against real services started here: auth-service
// (3941), config-service (3942, WEB_ORIGIN = the page's origin), node-daemon (3945, WG_MODE=off:
// registers in de-fra and pulses, no tunnel), each side on a throwaway database of this suite's
// own (migrated and seeded by the services' migrate commands, dropped afterwards; so de-fra has
// only this suite's node), the stack's Redis (own prefixes) and Firebase Auth emulator; the page is the production build served by tools/platform/web-server.ts (its CSP on).
//
//   sign up → start the trial → Get a config for de-fra → the downloaded file parses as wg-quick,
//   its [Peer] is the node's key and its PrivateKey belongs to the public key config-service
//   recorded for the lease → no request the page sent (URL, headers, body; every request of the
//   browser context) carried the private key → the token the page spent is refused a second time
//   (409 TOKEN_REUSED) → export downloads the account JSON → delete (typed confirmation) erases the
//   account, the Firebase user and signs out.
//
// Each page is checked with axe-core (no serious or critical violation) and saved as
// artifacts/screenshots/web-<page>.png. No CSP violation may be reported by the browser.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { parseWgQuick, wireGuardPublicKey } from '@phoenix/client-protocol';
import { freeLoopbackPort, spawnService, ServiceProcess, sideRedisUrl, waitForHttp } from '@phoenix/common/testing';
import { createTestDatabase } from '@phoenix/database';
import { scanKeys } from './privacy-scan';
import { createWebServer } from '../platform/web-server';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(__dirname, '../..');
const SHOTS = join(ROOT, 'artifacts/screenshots');
const PORTS = { auth: 3941, config: 3942, node: 3945 };
const AUTH = `http://127.0.0.1:${PORTS.auth}`;
const CONFIG = `http://127.0.0.1:${PORTS.config}`;
const CONFIG_ADMIN = 'dev-admin-token-e2e-web';
const tag = randomBytes(3).toString('hex');
const prefix = `e2eweb${tag}`;
const EMAIL = `web-${tag}@example.test`;
const PASSWORD = 'web-password-123';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

describe('the web account app in a real browser', () => {
  jest.setTimeout(240_000);
  const services: Record<string, ServiceProcess> = {};
  const dirs: string[] = [];
  const sent: Promise<Sent>[] = [];
  const cspViolations: string[] = [];
  let web: Server;
  let webUrl = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let myNodes: string[] = [];
  let network: Client;
  let identity: Client;
  let axeSource = '';
  const databases: Array<{ url: string; drop: () => Promise<void> }> = [];
  const dbUrl = { identity: '', network: '' };

  /** A throwaway database of one side, migrated (and seeded) by that app's own migrate command. */
  async function sideDatabase(app: string, variable: 'IDENTITY_DATABASE_URL' | 'NETWORK_DATABASE_URL'): Promise<string> {
    const db = await createTestDatabase(process.env.PHOENIX_PG_ADMIN_URL!, process.env[variable]!, 'webe2e');
    databases.push(db);
    execFileSync(process.execPath, ['-r', '@swc-node/register', join('apps', app, 'src', 'database', 'migrate.ts')], { cwd: ROOT, env: { ...process.env, [variable]: db.url }, stdio: 'pipe', timeout: 60_000 });
    return db.url;
  }

  function start(app: string, port: number, extra: NodeJS.ProcessEnv): void {
    services[app] = spawnService(app, {
      ...process.env,
      ISSUER_DIRECTORY_URL: `${AUTH}/.well-known/private-token-issuer-directory`,
      CONFIG_SERVICE_URL: CONFIG,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      PORT: String(port),
      REDIS_URL: sideRedisUrl(app),
      ...extra,
    });
  }

  async function ready(app: string, port: number): Promise<void> {
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 60_000);
    } catch (error) {
      throw new Error(`${app} did not become ready: ${(error as Error).message}\n${services[app]?.output().slice(-3000)}`);
    }
  }

  const admin = { authorization: `Bearer ${CONFIG_ADMIN}` };
  const nodeIds = async () => ((await (await fetch(`${CONFIG}/nodes`, { headers: admin })).json()) as Array<{ id: string }>).map((n) => n.id);

  /** axe-core on the page as it is (evaluated over CDP, so the page's CSP needs no exception). */
  async function axe(name: string): Promise<void> {
    await page.evaluate(axeSource);
    const result = (await page.evaluate(() => (globalThis as unknown as { axe: { run: (o: unknown) => Promise<unknown> } }).axe.run({ resultTypes: ['violations'] }))) as {
      violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }>;
    };
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    expect({ page: name, violations: bad }).toEqual({ page: name, violations: [] });
  }

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `web-${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the web end-to-end test needs Debian's chromium (source tools/deps/debian.sh; deps_ensure test). It never skips.`);
    for (const port of Object.values(PORTS)) {
      const taken = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
      if (taken) throw new Error(`port ${port} is taken; the web end-to-end test needs 3941, 3942 and 3945 free`);
    }
    mkdirSync(SHOTS, { recursive: true });
    axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    dbUrl.identity = await sideDatabase('auth-service', 'IDENTITY_DATABASE_URL');
    dbUrl.network = await sideDatabase('config-service', 'NETWORK_DATABASE_URL');

    // The production build of the page, into a directory of this run's own.
    const dist = mkdtempSync(join(tmpdir(), 'phx-web-dist-'));
    dirs.push(dist);
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/web/vite.config.mts', '--outDir', dist, '--emptyOutDir', '--logLevel', 'error'], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    const webPort = await freeLoopbackPort();
    webUrl = `http://127.0.0.1:${webPort}`;
    web = createWebServer({ dist, authUrl: AUTH, configUrl: CONFIG, firebase: { apiKey: 'phoenix-emulator-api-key', projectId: process.env.FIREBASE_PROJECT_ID! }, firebaseAuthEmulator: process.env.FIREBASE_AUTH_EMULATOR_HOST! });
    await new Promise<void>((r) => web.listen(webPort, '127.0.0.1', () => r()));
    expect((web.address() as AddressInfo).port).toBe(webPort);

    start('auth-service', PORTS.auth, { IDENTITY_DATABASE_URL: dbUrl.identity, REDIS_KEY_PREFIX: `identity:${prefix}:`, BULLMQ_PREFIX: `identity:${prefix}:bull`, WEB_ORIGIN: webUrl, SIGNING_WORKERS: '1' });
    await ready('auth-service', PORTS.auth);
    start('config-service', PORTS.config, { NETWORK_DATABASE_URL: dbUrl.network, REDIS_KEY_PREFIX: `network:${prefix}:`, ADMIN_TOKEN: CONFIG_ADMIN, PULSE_INTERVAL_SEC: '5', WEB_ORIGIN: webUrl });
    await ready('config-service', PORTS.config);
    const before = new Set(await nodeIds());
    const nodeState = mkdtempSync(join(tmpdir(), 'phx-web-node-'));
    dirs.push(nodeState);
    start('node-daemon', PORTS.node, { WG_MODE: 'off', NODE_LOCATION: 'de-fra', NODE_PUBLIC_HOST: '198.51.100.7', NODE_CAPACITY: '50', NODE_STATE_DIR: nodeState, TUNNEL_CIDR_V4: '100.79.0.0/16' });
    await ready('node-daemon', PORTS.node);
    myNodes = (await nodeIds()).filter((id) => !before.has(id));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const locations = (await (await fetch(`${CONFIG}/locations`)).json()) as Array<{ id: string; available: boolean }>;
      if (locations.find((l) => l.id === 'de-fra')?.available) break;
      if (Date.now() > deadline) throw new Error(`de-fra never became available\n${services['node-daemon']!.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    network = new Client({ connectionString: dbUrl.network });
    identity = new Client({ connectionString: dbUrl.identity });
    await Promise.all([network.connect(), identity.connect()]);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    // Every request of every page and worker of the context, with its final headers and body.
    context.on('request', (r) => sent.push(r.allHeaders().then((headers) => ({ url: r.url(), method: r.method(), headers, body: r.postDataBuffer() }))));
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (web ? web.close(() => r(undefined)) : r(undefined)));
    for (const id of myNodes) await fetch(`${CONFIG}/nodes/${id}`, { method: 'DELETE', headers: admin }).catch(() => undefined);
    await Promise.all(Object.values(services).map((s) => s.stop(10_000)));
    await network?.end().catch(() => undefined);
    await identity?.end().catch(() => undefined);
    if (process.env.REDIS_URL) {
      const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        for (const pattern of [`identity:${prefix}:*`, `network:${prefix}:*`]) {
          const keys = await scanKeys(redis, pattern);
          if (keys.length) await redis.del(...keys);
        }
      } catch {
        // best effort
      } finally {
        redis.disconnect();
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const db of databases) await db.drop().catch(() => undefined);
  });

  let privateKey = '';
  let redeemedAuthorization = '';

  it('signs up, starts the trial, and gets a de-fra config made in the browser', async () => {
    await page.goto(`${webUrl}/signin`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('signin');
    await axe('signin');

    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await shot('signup');
    await axe('signup');
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.getByRole('heading', { name: 'Account' }).waitFor();
    await page.getByText('No subscription').waitFor();
    await page.getByRole('button', { name: 'Start free trial' }).click();
    await page.getByTestId('subscription-status').getByText('Trial').waitFor();
    await page.getByRole('heading', { name: 'Payments' }).waitFor();
    await page.getByText('No payments yet.').waitFor();
    await shot('account');
    await axe('account');

    await page.getByRole('link', { name: 'Get a config' }).click();
    await page.getByText(/^5 tokens ready in this browser\./).waitFor({ timeout: 30_000 });
    await page.getByLabel(/Frankfurt, DE/).check();
    await page.getByRole('button', { name: 'Get config' }).click();
    const link = page.getByRole('button', { name: /^Download phx-de-fra\.conf$/ });
    // The file, or the page's error message (named in the failure, with config-service's log).
    await Promise.race([link.waitFor({ timeout: 30_000 }), page.getByRole('alert').waitFor({ timeout: 30_000 })]);
    if (!(await link.isVisible())) {
      throw new Error(`no config: the page says "${await page.getByRole('alert').first().textContent()}"\n${services['config-service']!.output().slice(-3000)}`);
    }
    await page.getByRole('img', { name: /QR code of the WireGuard config/ }).waitFor();
    await page.getByText(/^4 tokens ready in this browser\./).waitFor();
    await shot('config');
    await axe('config');

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('phx-de-fra.conf');
    const text = readFileSync((await download.path())!, 'utf8');
    const sections = parseWgQuick(text);
    const iface = sections.find((s) => s.name === 'Interface')!;
    const peer = sections.find((s) => s.name === 'Peer')!;
    expect(sections.filter((s) => s.name === 'Interface')).toHaveLength(1);
    privateKey = iface.entries.PrivateKey![0]!;
    const publicKey = wireGuardPublicKey(privateKey);

    // config-service's record of the lease: the browser's public key, on a node whose key is [Peer]'s.
    const lease = await network.query<{ node_key: string; ipv4: string; location_id: string }>(
      `SELECT n.public_key AS node_key, host(l.ipv4) AS ipv4, n.location_id FROM lease l JOIN node n ON n.id = l.node_id WHERE l.public_key = $1`,
      [publicKey],
    );
    expect(lease.rows).toHaveLength(1);
    expect(lease.rows[0]!.location_id).toBe('de-fra');
    expect(peer.entries.PublicKey).toEqual([lease.rows[0]!.node_key]);
    expect(iface.entries.Address!.join(',')).toContain(`${lease.rows[0]!.ipv4}/32`);
    expect(peer.entries.Endpoint![0]).toMatch(/:\d+$/);
  });

  it('sent the private key nowhere: no URL, header or body of any request the browser made', async () => {
    expect(privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const raw = Buffer.from(privateKey, 'base64');
    const needles = [privateKey, privateKey.replace(/=+$/, ''), raw.toString('base64url'), raw.toString('hex'), encodeURIComponent(privateKey)];
    const requests = await Promise.all(sent);
    expect(requests.length).toBeGreaterThan(10);
    for (const r of requests) {
      const haystacks = [r.url, JSON.stringify(r.headers), r.body ? r.body.toString('utf8') : '', r.body ? r.body.toString('hex') : '', r.body ? r.body.toString('base64') : ''];
      for (const needle of needles) for (const h of haystacks) expect({ url: r.url, leaks: h.includes(needle) }).toEqual({ url: r.url, leaks: false });
      // The browser's raw key bytes are in no body either.
      if (r.body) expect({ url: r.url, rawBytes: r.body.includes(raw) }).toEqual({ url: r.url, rawBytes: false });
    }
    // What went to config-service carried no identity (no Bearer, no cookie); what went to
    // auth-service carried none of the finished token.
    const toConfig = requests.filter((r) => r.url.startsWith(CONFIG));
    const redeem = toConfig.filter((r) => r.url === `${CONFIG}/vpn/config` && r.method === 'POST');
    expect(redeem).toHaveLength(1);
    redeemedAuthorization = redeem[0]!.headers.authorization!;
    expect(redeemedAuthorization).toMatch(/^PrivateToken token="[A-Za-z0-9_-]+"$/);
    for (const r of toConfig) {
      expect(r.headers.cookie).toBeUndefined();
      expect(r.headers.authorization ?? '').not.toMatch(/^Bearer/);
    }
    const token = /token="([^"]+)"/.exec(redeemedAuthorization)![1]!;
    for (const r of requests.filter((x) => x.url.startsWith(AUTH))) {
      expect({ url: r.url, hasToken: `${r.url}${JSON.stringify(r.headers)}${r.body?.toString('utf8') ?? ''}`.includes(token) }).toEqual({ url: r.url, hasToken: false });
    }
    const issued = requests.filter((r) => r.url === `${AUTH}/auth/vpn-token` && r.method === 'POST');
    expect(issued).toHaveLength(1);
    expect(Object.keys(JSON.parse(issued[0]!.body!.toString('utf8')) as object)).toEqual(['blindedMessages']);
  });

  it('refuses the same token a second time (409 TOKEN_REUSED), from the page’s own origin', async () => {
    const result = await page.evaluate(
      async ({ url, authorization }) => {
        const res = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ location: 'de-fra', publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=' }) });
        return { status: res.status, body: await res.json() };
      },
      { url: `${CONFIG}/vpn/config`, authorization: redeemedAuthorization },
    );
    expect(result).toMatchObject({ status: 409, body: { code: 'TOKEN_REUSED' } });
  });

  it('shows what Phoenix stores', async () => {
    await page.getByRole('link', { name: 'What Phoenix stores' }).first().click();
    await page.getByRole('heading', { name: 'What Phoenix stores', level: 1 }).waitFor();
    await shot('privacy');
    await axe('privacy');
  });

  it('exports the account as JSON, then deletes it with a typed confirmation and signs out', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Export my data' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export my data' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^phoenix-account-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8')) as unknown;
    expect(JSON.stringify(exported)).toContain(EMAIL);
    expect(JSON.stringify(exported)).toContain('trial');

    const remove = page.getByRole('button', { name: 'Delete my account' });
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Type DELETE to confirm').fill('delete');
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Type DELETE to confirm').fill('DELETE');
    await shot('account-delete');
    await remove.click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('Your account was deleted.').waitFor();

    expect((await identity.query('SELECT 1 FROM users WHERE email = $1', [EMAIL])).rowCount).toBe(0);
    const signIn = await fetch(`http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=fake`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD, returnSecureToken: true }),
    });
    expect(signIn.status).toBe(400);
    // The tokens this browser held went with the account.
    const left = await page.evaluate(
      () =>
        new Promise<number>((resolveCount, reject) => {
          const req = (globalThis as unknown as { indexedDB: { open(name: string, v: number): { result: { transaction(s: string): { objectStore(s: string): { count(): { result: number; error: unknown; onsuccess: () => void; onerror: () => void } } } }; error: unknown; onsuccess: () => void; onerror: () => void } } }).indexedDB.open('phoenix', 1);
          req.onsuccess = () => {
            const count = req.result.transaction('tokens').objectStore('tokens').count();
            count.onsuccess = () => resolveCount(count.result);
            count.onerror = () => reject(count.error);
          };
          req.onerror = () => reject(req.error);
        }),
    );
    expect(left).toBe(0);
  });

  it('reported no Content-Security-Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
