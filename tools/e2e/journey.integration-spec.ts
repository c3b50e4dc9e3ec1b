// The whole journey, end to end, on the real stack: all five services as their own processes
// (ports 3931-3935, so neither `npm run platform` on 3001-3005 nor other suites collide), behind
// the per-service gateways (a real nginx from the stack's templates, tools/gateway/gateways.ts, on
// free ports), one VPN node (node-daemon + wireguard-go + nftables) in its own network namespace,
// and the reference client (tools/client, run in-process through its CLI entry) in another. The
// client, the Stripe webhooks and every public call go through the gateways, as in production;
// only operators' admin calls and the services' own calls to each other go direct:
//
//   sign up → trial → 5 tokens in one batch → redeem → tunnel up in the client namespace → ping
//   the node's tunnel gateway and an "internet" namespace through NAT → the same token again: 409
//   → a paying user (Stripe-signed webhooks) whose subscription is deleted: no new tokens (403),
//   but tokens already held still redeem.
//
// Then the privacy checks, as content scans after the run (tools/e2e/privacy-scan.ts): no row of
// any table of the network database, no Redis key or value config-service's Redis user can read,
// no /metrics label of any service and no log line of a network-side service holds the users'
// ids, emails, Firebase uids or Stripe ids; no row, key, label or log line of any service holds the
// client's addresses (loopback, its namespace's underlay; its tunnel addresses belong in the lease,
// so only labels and logs are scanned for those), nor does any line of the gateways' nginx logs; the
// identity database and Redis hold no token, blinded message or signature.
//
// Namespaces are tagged (`phx-node-<tag>`, …; tools/platform/netns.ts) so a running platform is
// untouched. Needs root, `ip netns`, /dev/net/tun, wireguard-go, wg, nft, ping: without one it
// FAILS naming what is missing. Everything started here is stopped in afterAll.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import Stripe from 'stripe';
import { migrateStackDatabases, waitForHttp } from '@phoenix/common/testing';
import { base64urlDecode, generateWireGuardKeyPair, renderAuthorization } from '@phoenix/crypto';
import { run } from '../client/cli';
import { assertPortsFree, clientRunner, eraseConsumer, Services } from './harness';
import { Gateways, startGateways } from '../gateway/gateways';
import { loadState } from '../client/state';
import { Needle, ScanReport, addressNeedle, assertClean, bytesNeedle, scanKeys, scanLog, scanMetrics, scanPostgres, scanRedis, textNeedle } from './privacy-scan';
import {
  CLIENT_UNDERLAY,
  createNodeLab,
  destroyLab,
  inNs,
  INTERNET_HOST,
  labLayout,
  namespaceProblems,
  NODE_ENDPOINT_HOST,
  NODE_GATEWAY_V4,
  NODE_GATEWAY_V6,
  NODE_TUNNEL_V4,
  NODE_TUNNEL_V6,
} from '../platform/netns';

const PORTS = { auth: 3931, config: 3932, analytics: 3933, jobs: 3934, node: 3935 };
// The services themselves: for their calls to each other and for operators' admin calls only.
const AUTH_DIRECT = `http://127.0.0.1:${PORTS.auth}`;
const CONFIG_DIRECT = `http://127.0.0.1:${PORTS.config}`;
const STRIPE_WEBHOOK_SECRET = 'dev-stripe-webhook-secret-not-real';
const CONFIG_ADMIN = 'dev-admin-token-e2e-journey';
const PASSWORD = 'journey-password-123';

const tag = randomBytes(2).toString('hex');
const lab = labLayout(tag);
const LOCATION = `zz-e2e${tag}`;
const prefix = `e2e${tag}`;
const STRIPE_IDS = { customer: `cus_e2e${tag}`, subscription: `sub_e2e${tag}`, checkout: `cs_e2e${tag}` };

interface User {
  email: string;
  dir: string;
  id: string;
  uid: string;
}

/** What went over the wire to /auth/vpn-token (recorded by wrapping fetch). */
const wire = { blindedMessages: [] as string[], blindSignatures: [] as string[] };

describe('the whole journey: sign-up to packets through the tunnel', () => {
  /** The services, each with the environment it was started with (its Redis user and key prefix, for the scans). */
  const services = new Services({
    ISSUER_DIRECTORY_URL: `${AUTH_DIRECT}/.well-known/private-token-issuer-directory`,
    CONFIG_SERVICE_URL: CONFIG_DIRECT,
    // auth-service names the consumer issuer as config-service does (GET /token-issuers).
    TOKEN_ISSUER_NAME: `127.0.0.1:${PORTS.auth}`,
  });
  const dirs: string[] = [];
  let nodeState = '';
  let nodeId = '';
  let labMade = false;
  const realFetch = globalThis.fetch;
  const users: User[] = [];
  const allTokens: string[] = [];
  // Where clients reach the services: their gateways (set in beforeAll).
  let gateways: Gateways | undefined;
  let AUTH = '';
  let CONFIG = '';

  const runner = clientRunner(() => ({ auth: AUTH, config: CONFIG }), lab, () => `--- config-service ---\n${services.output('config-service').slice(-3000)}`);
  const client = (user: Pick<User, 'dir'>, ...args: string[]) => runner.client(user.dir, ...args);
  const ok = (user: Pick<User, 'dir'>, ...args: string[]) => runner.ok(user.dir, ...args);

  async function newUser(name: string): Promise<User> {
    const dir = mkdtempSync(join(tmpdir(), `phx-e2e-${name}-`));
    dirs.push(dir);
    const email = `${name}-${tag}-${randomBytes(3).toString('hex')}@example.test`;
    await ok({ dir }, 'signup', '--email', email, '--password', PASSWORD);
    const account = JSON.parse(await ok({ dir }, 'account')) as { id: string };
    const user = { email, dir, id: account.id, uid: loadState(dir).session!.uid };
    users.push(user);
    return user;
  }

  function stripeEvent(type: string, object: Record<string, unknown>): { body: string; signature: string } {
    const body = JSON.stringify({ id: `evt_${randomBytes(8).toString('hex')}`, object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, api_version: '2025-09-30.clover', data: { object } });
    return { body, signature: new Stripe('sk_test_signing_only').webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_WEBHOOK_SECRET }) };
  }

  async function postStripe(type: string, object: Record<string, unknown>): Promise<{ received: boolean; outcome: string }> {
    const ev = stripeEvent(type, object);
    const res = await fetch(`${AUTH}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature }, body: ev.body });
    expect(res.status).toBe(200);
    return (await res.json()) as { received: boolean; outcome: string };
  }

  beforeAll(async () => {
    const problems = namespaceProblems();
    if (problems.length) throw new Error(`the journey test cannot run here (it never skips):\n  - ${problems.join('\n  - ')}`);
    await assertPortsFree(Object.values(PORTS), 'the journey test');
    // The services run on the stack's real databases, as `npm run platform` does: migrate them
    // first (a fresh CI machine has empty ones). The migrate commands are idempotent.
    migrateStackDatabases(['auth-service', 'config-service', 'analytics-service']);

    // Record what the client sends to and gets from /auth/vpn-token (for the privacy scans).
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await realFetch(input, init);
      if (String(input instanceof Request ? input.url : input).endsWith('/auth/vpn-token') && res.status === 200) {
        wire.blindedMessages.push(...(JSON.parse(String(init?.body)) as { blindedMessages: string[] }).blindedMessages);
        wire.blindSignatures.push(...((await res.clone().json()) as { blindSignatures: string[] }).blindSignatures);
      }
      return res;
    }) as typeof fetch;

    gateways = await startGateways({ auth: `127.0.0.1:${PORTS.auth}`, config: `127.0.0.1:${PORTS.config}`, analytics: `127.0.0.1:${PORTS.analytics}` });
    AUTH = gateways.urls.auth;
    CONFIG = gateways.urls.config;

    await createNodeLab(lab);
    labMade = true;
    nodeState = mkdtempSync(join(tmpdir(), 'phx-e2e-node-'));
    dirs.push(nodeState);

    services.start('auth-service', PORTS.auth, { REDIS_KEY_PREFIX: `identity:${prefix}:`, BULLMQ_PREFIX: `identity:${prefix}:bull`, STRIPE_WEBHOOK_SECRET });
    services.start('analytics-service', PORTS.analytics, {});
    services.start('job-worker', PORTS.jobs, { JOBS_PREFIX: `jobs:{${prefix}}` });
    // config-service loads the issuer directory from auth-service at start: start it once that answers.
    await services.ready('auth-service', PORTS.auth);
    await waitForHttp(`${AUTH_DIRECT}/.well-known/private-token-issuer-directory`);
    services.start('config-service', PORTS.config, { REDIS_KEY_PREFIX: `network:${prefix}:`, ADMIN_TOKEN: CONFIG_ADMIN, PULSE_INTERVAL_SEC: '5' });
    await services.ready('config-service', PORTS.config);

    // The node's own location, so no other node on the shared database is ever chosen.
    const put = await fetch(`${CONFIG_DIRECT}/admin/locations/${LOCATION}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${CONFIG_ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ country: 'ZZ', city: `Journey ${tag}` }),
    });
    expect([200, 201]).toContain(put.status);

    services.start('node-daemon', PORTS.node, {
      NODE_NETNS: lab.nodeNs,
      WG_MODE: 'userspace',
      WG_INTERFACE: lab.iface.wgNode,
      WG_LISTEN_PORT: '51820',
      NODE_PUBLIC_HOST: NODE_ENDPOINT_HOST,
      NODE_LOCATION: LOCATION,
      NODE_CAPACITY: '100',
      TUNNEL_CIDR_V4: NODE_TUNNEL_V4,
      TUNNEL_CIDR_V6: NODE_TUNNEL_V6,
      EGRESS_INTERFACE: lab.iface.nodeInet,
      NODE_ADMIN_TCP_PORTS: '',
      NODE_STATE_DIR: nodeState,
      RECONCILE_INTERVAL_SEC: '2',
      BACKOFF_MAX_SEC: '2',
    });
    await services.ready('analytics-service', PORTS.analytics);
    await services.ready('job-worker', PORTS.jobs);
    await services.ready('node-daemon', PORTS.node);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const locations = (await (await fetch(`${CONFIG}/locations`)).json()) as Array<{ id: string; available: boolean }>;
      if (locations.find((l) => l.id === LOCATION)?.available) break;
      if (Date.now() > deadline) throw new Error(`location ${LOCATION} never became available\n${services.output('node-daemon').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 150_000);

  afterAll(async () => {
    globalThis.fetch = realFetch;
    for (const u of users) await run(['down', '--state-dir', u.dir], { out: () => undefined, err: () => undefined, env: process.env, lab }).catch(() => undefined);
    // Decommission this run's node(s) and remove the location from the shared network database.
    const admin = { authorization: `Bearer ${CONFIG_ADMIN}` };
    const nodes = await realFetch(`${CONFIG_DIRECT}/nodes`, { headers: admin })
      .then(async (r) => (r.status === 200 ? ((await r.json()) as Array<{ id: string; location: string }>) : []))
      .catch(() => []);
    for (const n of nodes.filter((x) => x.location === LOCATION || x.id === nodeId)) {
      await realFetch(`${CONFIG_DIRECT}/nodes/${n.id}`, { method: 'DELETE', headers: admin }).catch(() => undefined);
    }
    await realFetch(`${CONFIG_DIRECT}/admin/locations/${LOCATION}`, { method: 'DELETE', headers: { authorization: `Bearer ${CONFIG_ADMIN}` } }).catch(() => undefined);
    // This run's users leave as a user would: erasure through the API (identity database and
    // quota), then the Firebase account itself (the emulator's admin endpoint).
    for (const u of users) await eraseConsumer(AUTH_DIRECT, u.dir, u.uid, realFetch);
    await services.stopAll();
    gateways?.stop();
    if (labMade) await destroyLab(lab);
    if (process.env.REDIS_URL) {
      const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        for (const pattern of [`identity:${prefix}:*`, `network:${prefix}:*`, `jobs:{${prefix}}:*`]) {
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
  }, 60_000);

  let alice: User;
  let spentToken = '';

  it('signs up in the Firebase emulator, starts the trial and gets 5 tokens in one batch', async () => {
    alice = await newUser('alice');
    expect((await client(alice, 'tokens', '--count', '1')).code).toBe(1); // not entitled before the trial
    const trial = JSON.parse(await ok(alice, 'trial')) as { status: string; entitled: boolean };
    expect(trial).toMatchObject({ status: 'trialing', entitled: true });
    const before = wire.blindedMessages.length;
    await ok(alice, 'tokens', '--count', '5');
    expect(wire.blindedMessages.length - before).toBe(5);
    const state = loadState(alice.dir);
    expect(state.tokens).toHaveLength(5);
    allTokens.push(...state.tokens.map((t) => t.token));
    expect(statSync(join(alice.dir, 'state.json')).mode & 0o777).toBe(0o600);
  });

  it('redeems one token for the node\'s location with a locally made key (wg-quick file 0600)', async () => {
    spentToken = loadState(alice.dir).tokens[0]!.token;
    const out = join(alice.dir, 'wg.conf');
    await ok(alice, 'redeem', '--location', LOCATION, '--out', out);
    const state = loadState(alice.dir);
    expect(state.tokens.map((t) => t.token)).not.toContain(spentToken);
    expect(state.tokens).toHaveLength(4);
    expect(state.lease).toMatchObject({ location: LOCATION, peer: { endpoint: `${NODE_ENDPOINT_HOST}:51820` } });
    nodeId = state.lease!.nodeId;
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const conf = readFileSync(out, 'utf8');
    expect(conf).toContain(`PrivateKey = ${state.lease!.privateKey}`);
    expect(conf).toContain(`Endpoint = ${NODE_ENDPOINT_HOST}:51820`);
  });

  it('brings the tunnel up in its own namespace: the node\'s gateway answers, and the "internet" through NAT', async () => {
    const r = await client(alice, 'up');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain(`ping ${NODE_GATEWAY_V4}`);
    const clientNs = inNs(lab.clientNs);
    await clientNs.run('ping', ['-n', '-c', '2', '-W', '2', NODE_GATEWAY_V4]);
    await clientNs.run('ping', ['-n', '-c', '2', '-W', '2', NODE_GATEWAY_V6]);
    await clientNs.run('ping', ['-n', '-c', '2', '-W', '2', INTERNET_HOST]);
    // The "internet" has no route back to the tunnel pool: its answers came back only because the node masqueraded.
    await expect(inNs(lab.inetNs).run('ip', ['route', 'get', '100.64.0.2'])).rejects.toThrow();
    // And the packets really went through WireGuard: the handshake happened and bytes flowed.
    const dump = (await clientNs.run('wg', ['show', lab.iface.wgClient, 'transfer'])).stdout.trim().split('\t');
    expect(Number(dump[1])).toBeGreaterThan(0);
    expect(Number(dump[2])).toBeGreaterThan(0);
  });

  it('refuses the same token a second time with 409 TOKEN_REUSED', async () => {
    const res = await fetch(`${CONFIG}/vpn/config`, {
      method: 'POST',
      headers: { authorization: renderAuthorization(base64urlDecode(spentToken)), 'content-type': 'application/json' },
      body: JSON.stringify({ location: LOCATION, publicKey: generateWireGuardKeyPair().publicKey }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('TOKEN_REUSED');
  });

  it('a paying user whose Stripe subscription is deleted gets no new tokens (403), but held tokens still redeem', async () => {
    const bob = await newUser('bob');
    const customer = STRIPE_IDS.customer;
    const subId = STRIPE_IDS.subscription;
    const end = Math.floor(Date.now() / 1000) + 30 * 86400;
    const subscription = { id: subId, object: 'subscription', customer, status: 'active', cancel_at_period_end: false, metadata: { userId: bob.id }, items: { object: 'list', data: [{ current_period_end: end, price: { id: 'price_dev_monthly', recurring: { interval: 'month' } } }] } };
    expect(await postStripe('checkout.session.completed', { id: STRIPE_IDS.checkout, object: 'checkout.session', client_reference_id: bob.id, customer, subscription: subId })).toEqual({ received: true, outcome: 'processed' });
    expect(await postStripe('customer.subscription.created', subscription)).toEqual({ received: true, outcome: 'processed' });
    expect(JSON.parse(await ok(bob, 'subscription'))).toMatchObject({ status: 'active', provider: 'stripe', entitled: true });

    await ok(bob, 'tokens', '--count', '3');
    const held = loadState(bob.dir).tokens;
    expect(held).toHaveLength(3);
    allTokens.push(...held.map((t) => t.token));

    await new Promise((r) => setTimeout(r, 1100)); // a later event time than the creation
    expect(await postStripe('customer.subscription.deleted', { ...subscription, status: 'canceled', ended_at: Math.floor(Date.now() / 1000) })).toEqual({ received: true, outcome: 'processed' });
    expect(JSON.parse(await ok(bob, 'subscription'))).toMatchObject({ entitled: false });

    // The next token request: 403 NOT_ENTITLED, on the wire and as the client tells it.
    const idToken = loadState(bob.dir).session!.idToken;
    const raw = await fetch(`${AUTH}/auth/vpn-token`, { method: 'POST', headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ blindedMessages: [wire.blindedMessages[0]] }) });
    expect(raw.status).toBe(403);
    expect(((await raw.json()) as { code: string }).code).toBe('NOT_ENTITLED');
    const refused = await client(bob, 'tokens', '--count', '1');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('no active subscription or trial');

    // Tokens already held are anonymous: config-service cannot know whose they are, so they redeem.
    await ok(bob, 'redeem', '--location', LOCATION, '--out', join(bob.dir, 'wg.conf'));
    expect(loadState(bob.dir).tokens).toHaveLength(2);
  });

  it('the gateways serve the public API only: admin routes are 404 there (the admin token works on the service itself), and analytics-service answers through its own', async () => {
    const admin = { authorization: `Bearer ${CONFIG_ADMIN}` };
    expect((await fetch(`${CONFIG_DIRECT}/admin/locations/${LOCATION}`, { headers: admin })).status).toBe(200);
    const analytics = gateways!.urls.analytics;
    for (const [base, path] of [
      [CONFIG, `/admin/locations/${LOCATION}`],
      [CONFIG, '/nodes'],
      [CONFIG, '/metrics'],
      [CONFIG, '/health/ready'],
      [AUTH, '/admin/tenants'],
      [AUTH, '/docs-json'],
      [analytics, '/v1/stats/connections?from=2026-01-01&to=2026-01-02'],
      [analytics, '/dashboard'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { headers: admin });
      expect([path, res.status, ((await res.json()) as { code: string }).code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    // A batch the service refuses (so nothing is stored): its own 400, through the gateway.
    const refused = await fetch(`${analytics}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: [{ type: 'nope' }] }) });
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  describe('privacy, content scans after the run', () => {
    const name = (u: User) => u.email.split('-')[0];
    /** Who the users are (invariant 2): none of it may reach the network or analytics side. */
    const identity = (): Needle[] => [
      ...users.flatMap((u) => [textNeedle(`${name(u)}'s user id`, u.id), textNeedle(`${name(u)}'s email`, u.email), textNeedle(`${name(u)}'s Firebase uid`, u.uid)]),
      textNeedle('the Stripe customer id', STRIPE_IDS.customer),
      textNeedle('the Stripe subscription id', STRIPE_IDS.subscription),
      textNeedle('the Stripe checkout session id', STRIPE_IDS.checkout),
    ];
    /** Where the client was (invariants 2 and 6): it spoke to the services over loopback and to the node from its namespace. */
    const clientAddresses = (): Needle[] => [
      addressNeedle('the client address 127.0.0.1', '127.0.0.1'),
      addressNeedle('the client address ::1', '::1'),
      addressNeedle('the client namespace underlay address', CLIENT_UNDERLAY),
    ];
    /** The tunnel addresses the leases gave the client: in the lease by design, never in a label or a log line. */
    const tunnelAddresses = (): Needle[] => users.flatMap((u) => (loadState(u.dir).lease?.addresses ?? []).map((a) => addressNeedle(`${name(u)}'s tunnel address ${a}`, a)));

    /** Each canary (this run's own data) must be found — the scan did read the run — and nothing else. */
    function expectOnly(report: ScanReport, canaries: Needle[]): void {
      for (const c of canaries) expect(report.findings.some((f) => f.what === c.what) ? c.what : `${report.place} never saw ${c.what}`).toBe(c.what);
      assertClean([{ ...report, findings: report.findings.filter((f) => !canaries.some((c) => c.what === f.what)) }]);
    }

    it('no row of any table of the network database holds a user id, email, Firebase uid, Stripe id or client address', async () => {
      expect(users).toHaveLength(2);
      const canaries = [textNeedle('this run\'s location', LOCATION), textNeedle("alice's lease public key", loadState(alice.dir).lease!.publicKey)];
      const report = await scanPostgres(process.env.NETWORK_DATABASE_URL!, [...identity(), ...clientAddresses(), ...canaries]);
      expect(report.tables).toEqual(expect.arrayContaining(['public.location', 'public.node', 'public.lease']));
      expectOnly(report, canaries);
    });

    it("no Redis key or value config-service's own Redis user can read holds any of them", async () => {
      const cfg = services.envs['config-service']!;
      expect(cfg.REDIS_KEY_PREFIX).toBeTruthy();
      const patterns = [`${cfg.REDIS_KEY_PREFIX}*`];
      if (cfg.REDIS_URL === process.env.REDIS_URL_NETWORK && process.env.REDIS_URL_NETWORK) patterns.push('network:*');
      const redis = new Redis(cfg.REDIS_URL!, { maxRetriesPerRequest: 1 });
      const admin = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 }); // lists keys: the network user may not SCAN
      try {
        for (const pattern of [...new Set(patterns)]) {
          const report = await scanRedis(redis, pattern, [...identity(), ...clientAddresses()], admin);
          if (pattern !== 'network:*') expect(report.keys.some((k) => k.startsWith(`${cfg.REDIS_KEY_PREFIX}spent:`))).toBe(true); // the run's spent tokens were read
          assertClean([report]);
        }
      } finally {
        redis.disconnect();
        admin.disconnect();
      }
    });

    it('no /metrics label of any service holds any of them, nor a tunnel address', async () => {
      const apps = { auth: 'auth-service', config: 'config-service', analytics: 'analytics-service', jobs: 'job-worker', node: 'node-daemon' } as const;
      const reports = await Promise.all(
        (Object.keys(PORTS) as Array<keyof typeof PORTS>).map((k) => scanMetrics(apps[k], `http://127.0.0.1:${PORTS[k]}/metrics`, [...identity(), ...clientAddresses(), ...tunnelAddresses()])),
      );
      expect(reports.find((r) => r.place === 'metrics config-service')!.labels).toContainEqual(['http_request_duration_seconds_count', 'route', '/vpn/config']);
      assertClean(reports);
    });

    it("no log line of any service (nor the node's wireguard-go, nor the gateways' nginx) holds a client address; network-side logs hold no identity", () => {
      const logs: Record<string, string> = Object.fromEntries(Object.keys(services.procs).map((app) => [app, services.output(app)]));
      logs['wireguard-go (node)'] = readFileSync(join(nodeState, `wireguard-go.${lab.iface.wgNode}.log`), 'utf8');
      logs['nginx (the gateways: access and error logs)'] = Object.values(gateways!.logs()).join('\n');
      expect(logs['config-service']).toContain('/vpn/config'); // request logging was on
      expect(logs['nginx (the gateways: access and error logs)']).toMatch(/config-gateway "POST \/vpn\/config HTTP\/1\.1" 200 /);
      expect(logs['nginx (the gateways: access and error logs)']).toMatch(/auth-gateway "POST \/auth\/vpn-token HTTP\/1\.1" 200 /);
      const reports = Object.entries(logs).map(([app, text]) =>
        scanLog(app, text, [...clientAddresses(), ...tunnelAddresses(), ...(app === 'auth-service' ? [] : identity())]),
      );
      assertClean(reports);
    });

    it('the identity database and Redis hold no token, blinded message or signature', async () => {
      expect(wire.blindedMessages.length).toBeGreaterThanOrEqual(8);
      expect(allTokens).toHaveLength(8);
      const blobs = [
        ...wire.blindedMessages.map((m) => Buffer.from(m, 'base64url')),
        ...wire.blindSignatures.map((s) => Buffer.from(s, 'base64url')),
        ...allTokens.map((t) => Buffer.from(t, 'base64url')),
        // A token's authenticator (its last 256 bytes) is the unblinded signature.
        ...allTokens.map((t) => Buffer.from(t, 'base64url').subarray(-256)),
      ];
      const needles = blobs.flatMap((b, i) => [
        ...(['hex', 'base64', 'base64url'] as const).map((enc) => textNeedle(`blob ${i} (${enc})`, b.toString(enc))),
        bytesNeedle(`blob ${i} (first 48 bytes)`, b.subarray(0, 48)),
      ]);
      const canary = textNeedle("alice's email", alice.email);
      expectOnly(await scanPostgres(process.env.IDENTITY_DATABASE_URL!, [...needles, canary]), [canary]);

      const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
      try {
        const report = await scanRedis(redis, '*', needles);
        expect(report.keys.some((k) => k.startsWith(`${services.envs['config-service']!.REDIS_KEY_PREFIX}spent:`))).toBe(true);
        assertClean([report]);
      } finally {
        redis.disconnect();
      }
    });
  });
});
