// A business's user, end to end on the real stack (issue 17 item 7, seed 003's workflow example):
// auth-service, config-service and analytics-service as their own processes (ports 3951-3953),
// behind the per-service gateways (tools/gateway/gateways.ts), one VPN node (node-daemon +
// wireguard-go + nftables, port 3955) in its own network namespace *dedicated to the tenant*, and
// the reference client's `tenant …` commands (tools/client/tenant.ts, run in-process) in another:
//
//   operator: tenant + API key (auth-service admin), the tenant's node enrollment token
//   (config-service admin) → node-daemon registers dedicated to the tenant → client: register,
//   login, device add, tokens (the tenant's issuer, blinded here) → a consumer's token finds no
//   room there (the node is the tenant's alone) → the tenant's redeem with --up: the lease is
//   on the dedicated node, packets go through the tunnel → release: the peer is gone from the
//   node's WireGuard interface at once → the fleet report (`network.fleet.report`, sent as
//   job-worker sends it) → the day's usage row through `GET /api/v1/usage` and in ClickHouse.
//
// Then the content scan: every row of every table of the network database, every Redis key and
// value the network and analytics sides' Redis users can read, every ClickHouse row, node-daemon's
// state files, the network side's logs (config-service, analytics-service, node-daemon,
// wireguard-go, the config gateway) and /metrics labels hold none of the tenant user's id, email,
// device id (nor the tenant's API key). The tenant id is allowed there (and must be found: the scan
// read the run).
//
// Needs root, `ip netns`, /dev/net/tun, wireguard-go, wg, nft, ping: without one it FAILS naming
// what is missing (it never skips). Everything started here is stopped in afterAll.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import Redis from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import { Patterns, redisClientOptions } from '@phoenix/common';
import { migrateStackDatabases, sideRedisUrl, waitForHttp } from '@phoenix/common/testing';
import { loadState } from '../client/state';
import { loadTenantState } from '../client/tenant-state';
import { Gateways, startGateways } from '../gateway/gateways';
import { createNodeLab, destroyLab, inNs, INTERNET_HOST, labLayout, namespaceExists, namespaceProblems, NODE_ENDPOINT_HOST, NODE_GATEWAY_V4, NODE_TUNNEL_V4, NODE_TUNNEL_V6 } from '../platform/netns';
import { assertPortsFree, clientRunner, eraseConsumer, eventually, Services } from './harness';
import { assertClean, Needle, readableKeyPatterns, ScanReport, scanClickHouse, scanFiles, scanKeys, scanLog, scanMetrics, scanPostgres, scanRedis, textNeedle } from './privacy-scan';

const PORTS = { auth: 3951, config: 3952, analytics: 3953, node: 3955 };
const AUTH_DIRECT = `http://127.0.0.1:${PORTS.auth}`;
const CONFIG_DIRECT = `http://127.0.0.1:${PORTS.config}`;
const AUTH_ADMIN = 'dev-admin-token-e2e-tenant-auth';
const CONFIG_ADMIN = 'dev-admin-token-e2e-tenant-config';
const PASSWORD = 'tenant-journey-pw-123';

const tag = randomBytes(2).toString('hex');
const lab = labLayout(tag);
const LOCATION = `zz-tnt${tag}`;
const prefix = `e2et${tag}`;
/** auth-service and config-service name the consumer issuer alike (the B2B decisions, 1). */
const ISSUER_NAME = `phoenix-e2e-${tag}`;

/** An operator's headers (JSON only with a body: a body-less POST with a JSON type is a 400). */
const admin = (token: string, json = false) => ({ authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) });
const today = () => new Date().toISOString().slice(0, 10);

describe('a business: tenant, dedicated node, its user through the tunnel, usage, and nothing of the user on the network side', () => {
  const services = new Services({
    ISSUER_DIRECTORY_URL: `${AUTH_DIRECT}/.well-known/private-token-issuer-directory`,
    CONFIG_SERVICE_URL: CONFIG_DIRECT,
    TOKEN_ISSUER_NAME: ISSUER_NAME,
  });
  const dirs: string[] = [];
  let gateways: Gateways | undefined;
  let labMade = false;
  let nodeState = '';
  let control: ClientProxy | undefined;
  const { client, ok } = clientRunner(
    () => ({ auth: gateways!.urls.auth, config: gateways!.urls.config }),
    lab,
    () => `--- config-service ---\n${services.output('config-service').slice(-3000)}\n--- auth-service ---\n${services.output('auth-service').slice(-2000)}`,
  );

  const tenant = { id: '', apiKey: '', apiKeyId: '', enrollmentToken: '' };
  const user = { dir: '', email: `ann-${tag}-${randomBytes(3).toString('hex')}@acme.example`, id: '', deviceId: '' };
  /** A consumer (Firebase account, trial) whose token must not land on the tenant's node. */
  const walkIn = { dir: '', uid: '' };
  let nodeId = '';
  let leasePublicKey = '';
  let usageDay = '';

  beforeAll(async () => {
    const problems = namespaceProblems();
    if (problems.length) throw new Error(`the tenant journey cannot run here (it never skips):\n  - ${problems.join('\n  - ')}`);
    await assertPortsFree(Object.values(PORTS), 'the tenant journey');
    migrateStackDatabases(['auth-service', 'config-service', 'analytics-service']);
    gateways = await startGateways({ auth: `127.0.0.1:${PORTS.auth}`, config: `127.0.0.1:${PORTS.config}`, analytics: `127.0.0.1:${PORTS.analytics}` });
    await createNodeLab(lab);
    labMade = true;
    nodeState = mkdtempSync(join(tmpdir(), 'phx-e2e-tnode-'));
    user.dir = mkdtempSync(join(tmpdir(), 'phx-e2e-tenant-user-'));
    dirs.push(nodeState, user.dir);

    services.start('auth-service', PORTS.auth, { REDIS_KEY_PREFIX: `identity:${prefix}:`, BULLMQ_PREFIX: `identity:${prefix}:bull`, ADMIN_TOKEN: AUTH_ADMIN });
    services.start('analytics-service', PORTS.analytics, { REDIS_KEY_PREFIX: `analytics:${prefix}:` });
    await services.ready('auth-service', PORTS.auth);
    await waitForHttp(`${AUTH_DIRECT}/.well-known/private-token-issuer-directory`);
    // The fleet report runs when this suite sends network.fleet.report, as job-worker does: no timer.
    services.start('config-service', PORTS.config, { REDIS_KEY_PREFIX: `network:${prefix}:`, ADMIN_TOKEN: CONFIG_ADMIN, PULSE_INTERVAL_SEC: '2' });
    await services.ready('config-service', PORTS.config);
    await services.ready('analytics-service', PORTS.analytics);
    const put = await fetch(`${CONFIG_DIRECT}/admin/locations/${LOCATION}`, { method: 'PUT', headers: admin(CONFIG_ADMIN, true), body: JSON.stringify({ country: 'ZZ', city: `Tenant ${tag}` }) });
    expect([200, 201]).toContain(put.status);
    control = ClientProxyFactory.create(redisClientOptions('jobs', sideRedisUrl('job-worker')) as never) as unknown as ClientProxy;
  }, 150_000);

  afterAll(async () => {
    // The lease ends (and the tunnel goes) as the user would end it, if a step left it held.
    if (user.dir && loadTenantState(user.dir).lease) await client(user.dir, 'tenant', 'release').catch(() => undefined);
    if (await namespaceExists(lab.clientNs).catch(() => false)) await client(user.dir, 'down').catch(() => undefined);
    await control?.close();
    if (walkIn.uid) await eraseConsumer(AUTH_DIRECT, walkIn.dir, walkIn.uid);
    const nodes = await fetch(`${CONFIG_DIRECT}/nodes`, { headers: admin(CONFIG_ADMIN) })
      .then(async (r) => (r.status === 200 ? ((await r.json()) as Array<{ id: string; location: string }>) : []))
      .catch(() => []);
    for (const n of nodes.filter((x) => x.location === LOCATION || x.id === nodeId)) {
      await fetch(`${CONFIG_DIRECT}/nodes/${n.id}`, { method: 'DELETE', headers: admin(CONFIG_ADMIN) }).catch(() => undefined);
    }
    await fetch(`${CONFIG_DIRECT}/admin/locations/${LOCATION}`, { method: 'DELETE', headers: admin(CONFIG_ADMIN) }).catch(() => undefined);
    // The tenant's key is revoked and the tenant suspended: nothing of this run can be used again.
    if (tenant.id) {
      if (tenant.apiKeyId) await fetch(`${AUTH_DIRECT}/admin/tenants/${tenant.id}/api-keys/${tenant.apiKeyId}`, { method: 'DELETE', headers: admin(AUTH_ADMIN) }).catch(() => undefined);
      await fetch(`${AUTH_DIRECT}/admin/tenants/${tenant.id}/suspend`, { method: 'POST', headers: admin(AUTH_ADMIN) }).catch(() => undefined);
    }
    await services.stopAll();
    gateways?.stop();
    if (labMade) await destroyLab(lab);
    const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      for (const pattern of [`identity:${prefix}:*`, `network:${prefix}:*`, `analytics:${prefix}:*`]) {
        const keys = await scanKeys(redis, pattern);
        if (keys.length) await redis.del(...keys);
      }
    } catch {
      // best effort
    } finally {
      redis.disconnect();
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('the operator creates a tenant with an API key (auth-service) and a node enrollment token for it (config-service)', async () => {
    const created = await fetch(`${AUTH_DIRECT}/admin/tenants`, {
      method: 'POST',
      headers: admin(AUTH_ADMIN, true),
      body: JSON.stringify({ name: `Acme ${tag}`, plan: { maxUsers: 10, maxDevicesPerUser: 2, tokensPerDevicePerDay: 20, leaseTtlHours: 2 } }),
    });
    expect(created.status).toBe(201);
    tenant.id = ((await created.json()) as { id: string }).id;
    const key = await fetch(`${AUTH_DIRECT}/admin/tenants/${tenant.id}/api-keys`, { method: 'POST', headers: admin(AUTH_ADMIN) });
    expect(key.status).toBe(201);
    const k = (await key.json()) as { id: string; apiKey: string };
    [tenant.apiKey, tenant.apiKeyId] = [k.apiKey, k.id];
    const enrollment = await fetch(`${CONFIG_DIRECT}/admin/tenants/${tenant.id}/enrollment-token`, { method: 'POST', headers: admin(CONFIG_ADMIN) });
    expect(enrollment.status).toBe(201);
    const e = (await enrollment.json()) as { tenantId: string; enrollmentToken: string };
    expect(e.tenantId).toBe(tenant.id);
    tenant.enrollmentToken = e.enrollmentToken;
  });

  it("a node-daemon registers dedicated to the tenant with the tenant's enrollment token", async () => {
    expect(tenant.enrollmentToken).not.toBe('');
    services.start('node-daemon', PORTS.node, {
      NODE_NETNS: lab.nodeNs,
      WG_MODE: 'userspace',
      WG_INTERFACE: lab.iface.wgNode,
      WG_LISTEN_PORT: '51820',
      NODE_PUBLIC_HOST: NODE_ENDPOINT_HOST,
      NODE_LOCATION: LOCATION,
      NODE_CAPACITY: '50',
      TUNNEL_CIDR_V4: NODE_TUNNEL_V4,
      TUNNEL_CIDR_V6: NODE_TUNNEL_V6,
      EGRESS_INTERFACE: lab.iface.nodeInet,
      NODE_ADMIN_TCP_PORTS: '',
      NODE_STATE_DIR: nodeState,
      RECONCILE_INTERVAL_SEC: '2',
      BACKOFF_MAX_SEC: '2',
      NODE_TENANT_ID: tenant.id,
      NODE_ENROLLMENT_TOKEN: tenant.enrollmentToken,
    });
    await services.ready('node-daemon', PORTS.node);
    const node = await eventually(
      `a node of ${LOCATION} registered and pulsing`,
      async () => {
        const nodes = (await (await fetch(`${CONFIG_DIRECT}/nodes`, { headers: admin(CONFIG_ADMIN) })).json()) as Array<{ id: string; location: string; tenantId?: string | null; lastPulseAt: string | null; status: string }>;
        return nodes.find((n) => n.location === LOCATION && n.status === 'active' && n.lastPulseAt !== null);
      },
      30_000,
    ).catch((error: Error) => {
      // Its log, each distinct message once (a retry loop repeats one).
      const lines = [...new Set(services.output('node-daemon').split('\n').map((l) => l.replace(/"time":\d+,/, '')))];
      throw new Error(`${error.message}\n--- node-daemon (distinct lines) ---\n${lines.join('\n').slice(-4000)}`);
    });
    nodeId = node.id;
    expect(node.tenantId).toBe(tenant.id);
  }, 60_000);

  it("auth-service publishes the tenant's issuer (GET /token-issuers, its directory) and config-service answers that issuer's challenge", async () => {
    expect(tenant.id).not.toBe('');
    const issuer = `${ISSUER_NAME}/tenants/${tenant.id}`;
    // A replica's copy of the issuer list lives ISSUER_KEY_CACHE_SECONDS (30 s): a tenant made just now may take that long to be listed.
    const started = Date.now();
    const entry = await eventually(
      `${issuer} in GET /token-issuers`,
      async () => {
        const list = (await (await fetch(`${gateways!.urls.auth}/token-issuers`)).json()) as Array<{ issuer: string; tenantId: string | null; leaseTtlHours: number | null; 'token-keys': unknown[] }>;
        expect(list[0]).toMatchObject({ issuer: ISSUER_NAME, tenantId: null });
        return list.find((i) => i.tenantId === tenant.id);
      },
      45_000,
      1000,
    );
    process.stdout.write(`[tenant journey] the new tenant was listed in GET /token-issuers after ${Date.now() - started} ms\n`);
    expect(entry).toMatchObject({ issuer, leaseTtlHours: 2 });
    expect(entry['token-keys'].length).toBeGreaterThan(0);
    const directory = await fetch(`${gateways!.urls.auth}/tenants/${tenant.id}/.well-known/private-token-issuer-directory`);
    expect(directory.status).toBe(200);
    const challenge = await eventually(
      `config-service's challenge for ${issuer}`,
      async () => {
        const r = await fetch(`${gateways!.urls.config}/vpn/token-challenge?issuer=${encodeURIComponent(issuer)}`);
        return r.status === 200 ? ((await r.json()) as { challenge: string; issuer: string }) : undefined;
      },
      45_000,
      1000,
    );
    expect(challenge.issuer).toBe(issuer);
    const unknown = await fetch(`${gateways!.urls.config}/vpn/token-challenge?issuer=${encodeURIComponent(`${ISSUER_NAME}/tenants/00000000-0000-4000-8000-000000000000`)}`);
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([404, 'UNKNOWN_ISSUER']);
  }, 100_000);

  it('the client registers, logs in and adds a device, through the auth gateway', async () => {
    expect(await ok(user.dir, 'tenant', 'register', '--api-key', tenant.apiKey, '--email', user.email, '--password', PASSWORD)).toContain(`of tenant ${tenant.id}`);
    expect(await ok(user.dir, 'tenant', 'login', '--api-key', tenant.apiKey, '--email', user.email, '--password', PASSWORD)).toContain(`logged in as ${user.email}`);
    await ok(user.dir, 'tenant', 'device', 'add', '--name', "Ann's laptop", '--platform', 'linux');
    const state = loadTenantState(user.dir);
    expect(state.session).toMatchObject({ tenantId: tenant.id, email: user.email, apiKey: tenant.apiKey });
    user.id = state.session!.userId;
    user.deviceId = state.device!.id;
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(statSync(join(user.dir, 'tenant.json')).mode & 0o777).toBe(0o600);
  });

  it("gets 3 tokens of the tenant's own issuer for the device, blinded in the client", async () => {
    expect(user.deviceId).not.toBe('');
    const out = await ok(user.dir, 'tenant', 'tokens', '--count', '3');
    const issuer = `${ISSUER_NAME}/tenants/${tenant.id}`;
    expect(out).toContain(`of issuer ${issuer}`);
    const tokens = loadTenantState(user.dir).tokens;
    expect(tokens).toHaveLength(3);
    expect(tokens.every((t) => t.issuer === issuer)).toBe(true);
  });

  it("a consumer's token does not land on the tenant's dedicated node: 503 NO_CAPACITY there, the token not spent", async () => {
    walkIn.dir = mkdtempSync(join(tmpdir(), 'phx-e2e-walkin-'));
    dirs.push(walkIn.dir);
    await ok(walkIn.dir, 'signup', '--email', `walk-in-${tag}-${randomBytes(3).toString('hex')}@example.test`, '--password', PASSWORD);
    walkIn.uid = loadState(walkIn.dir).session!.uid;
    await ok(walkIn.dir, 'account');
    await ok(walkIn.dir, 'trial');
    await ok(walkIn.dir, 'tokens', '--count', '1');
    const r = await client(walkIn.dir, 'redeem', '--location', LOCATION);
    expect({ code: r.code, err: r.err }).toEqual({ code: 3, err: expect.stringContaining('no node in that location has room') });
    expect(loadState(walkIn.dir).tokens).toHaveLength(1);
  }, 60_000);

  it('redeems one with --up: the lease is on the dedicated node, and packets go through the tunnel', async () => {
    expect(loadTenantState(user.dir).tokens.length).toBeGreaterThan(0);
    const r = await client(user.dir, 'tenant', 'redeem', '--location', LOCATION, '--up');
    if (r.code !== 0) throw new Error(`tenant redeem --up exited ${r.code}:\n${r.err}${r.out}\n--- config-service ---\n${services.output('config-service').slice(-3000)}`);
    usageDay = today();
    const lease = loadTenantState(user.dir).lease!;
    expect(lease).toMatchObject({ nodeId, location: LOCATION, tunnelUp: true, peer: { endpoint: `${NODE_ENDPOINT_HOST}:51820` } });
    expect(lease.leaseId).toMatch(/^[0-9a-f-]{36}$/);
    leasePublicKey = lease.publicKey;
    expect(r.out).toContain(`ping ${NODE_GATEWAY_V4}`);
    // Traffic through the node's NAT to the "internet" namespace, enough to be metered.
    await inNs(lab.clientNs).run('ping', ['-n', '-c', '20', '-i', '0.05', '-s', '1200', '-W', '2', INTERNET_HOST]);
    const transfer = (await inNs(lab.clientNs).run('wg', ['show', lab.iface.wgClient, 'transfer'])).stdout.trim().split('\t');
    expect(Number(transfer[1])).toBeGreaterThan(20_000);
    expect(Number(transfer[2])).toBeGreaterThan(20_000);
    // The node holds the peer.
    expect((await inNs(lab.nodeNs).run('wg', ['show', lab.iface.wgNode, 'peers'])).stdout).toContain(leasePublicKey);
    // A pulse or two (every 2 s) carries the traffic's bytes to config-service before the release.
    await new Promise((r) => setTimeout(r, 5000));
  }, 60_000);

  it("releases the lease: 204, the peer is gone from the node's WireGuard interface at once, the tunnel is down", async () => {
    expect(leasePublicKey).not.toBe('');
    const held = loadTenantState(user.dir).lease!;
    const out = await ok(user.dir, 'tenant', 'release');
    expect(out).toContain('released');
    expect(loadTenantState(user.dir).lease).toBeUndefined();
    expect(await namespaceExists(lab.clientNs)).toBe(false);
    await eventually(
      'the peer removed from the node',
      async () => ((await inNs(lab.nodeNs).run('wg', ['show', lab.iface.wgNode, 'peers'])).stdout.includes(leasePublicKey) ? undefined : true),
      10_000,
      250,
    );
    // Released means ended: the same release again is 404 UNKNOWN_LEASE (through the config gateway, no identity).
    const again = await fetch(`${gateways!.urls.config}/vpn/config`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ leaseId: held.leaseId, releaseToken: held.releaseToken }) });
    expect([again.status, ((await again.json()) as { code: string }).code]).toEqual([404, 'UNKNOWN_LEASE']);
  }, 30_000);

  it("after the fleet report, the day's usage row is there: GET /api/v1/usage through the client, and in ClickHouse", async () => {
    expect(usageDay).not.toBe('');
    let period = 0;
    const seen = { reply: undefined as unknown, rows: undefined as unknown };
    const rows = await eventually(
      `a usage row for ${usageDay} with a connection, held time and bytes`,
      async () => {
        const at = new Date(Date.now() + period++ * 1000).toISOString();
        seen.reply = await firstValueFrom(control!.send(Patterns.FLEET_REPORT, { schedule: Patterns.FLEET_REPORT, period: at, idempotencyKey: `${Patterns.FLEET_REPORT}@${at}` }).pipe(timeout(15_000)));
        const r = await client(user.dir, 'tenant', 'usage', '--from', usageDay, '--to', usageDay);
        if (r.code !== 0) throw new Error(`tenant usage exited ${r.code}: ${r.err}`);
        const got = JSON.parse(r.out) as { rows: Array<{ day: string; connections: number; connectionHours: number; gigabytes: number }> };
        seen.rows = got.rows;
        const row = got.rows.find((x) => x.day === usageDay);
        return row && row.connections >= 1 && row.connectionHours > 0 && row.gigabytes > 0 ? got.rows : undefined;
      },
      45_000,
      2000,
    ).catch((error: Error) => {
      const mentions = (app: string) => services.output(app).split('\n').filter((l) => /tenant|usage|fleet report|NOPERM/i.test(l)).slice(-15).join('\n');
      throw new Error(`${error.message}\nlast fleet report reply: ${JSON.stringify(seen.reply)}\nlast usage rows: ${JSON.stringify(seen.rows)}\n--- config-service ---\n${mentions('config-service')}\n--- analytics-service ---\n${mentions('analytics-service')}`);
    });
    process.stdout.write(`[tenant journey] usage: ${JSON.stringify(rows)}\n`);
    expect(rows).toEqual([{ day: usageDay, connections: 1, connectionHours: expect.any(Number), gigabytes: expect.any(Number) }]);
    const ch = await fetch(process.env.CLICKHOUSE_URL!, {
      method: 'POST',
      body: `SELECT day, connections, connection_seconds, bytes FROM tenant_usage_daily FINAL WHERE tenant_id = '${tenant.id}' FORMAT JSONEachRow`,
    });
    const stored = (await ch.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { day: string; connections: string; connection_seconds: string; bytes: string });
    expect(stored).toEqual([{ day: usageDay, connections: '1', connection_seconds: expect.any(String), bytes: expect.any(String) }]);
    expect(Number(stored[0]!.bytes)).toBeGreaterThan(20_000);
  }, 90_000);

  describe('content scan: nothing of the tenant user on the network or analytics side', () => {
    /** Who the user is (the tenant may know; Phoenix's network side must not). The tenant id is allowed. */
    const identity = (): Needle[] => {
      expect(user.id && user.deviceId).toBeTruthy();
      return [textNeedle("the tenant user's id", user.id), textNeedle("the tenant user's email", user.email), textNeedle("the tenant user's device id", user.deviceId), textNeedle("the tenant's API key", tenant.apiKey)];
    };
    const tenantCanary = () => textNeedle('the tenant id', tenant.id);

    /** Each canary (this run's own data) must be found — the scan did read the run — and nothing else. */
    function expectOnly(report: ScanReport, canaries: Needle[]): void {
      for (const c of canaries) expect(report.findings.some((f) => f.what === c.what) ? c.what : `${report.place} never saw ${c.what}`).toBe(c.what);
      assertClean([{ ...report, findings: report.findings.filter((f) => !canaries.some((c) => c.what === f.what)) }]);
    }

    it('no row of any table of the network database', async () => {
      const report = await scanPostgres(process.env.NETWORK_DATABASE_URL!, [...identity(), tenantCanary(), textNeedle("this run's location", LOCATION)]);
      expect(report.tables).toEqual(expect.arrayContaining(['public.node', 'public.lease']));
      expectOnly(report, [tenantCanary(), textNeedle("this run's location", LOCATION)]);
    });

    it('no Redis key or value the network or analytics Redis user can read', async () => {
      const adminRedis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
      const sides = { 'config-service': 'phoenix_network', 'analytics-service': 'phoenix_analytics' } as const;
      try {
        for (const [app, aclUser] of Object.entries(sides)) {
          const patterns = await readableKeyPatterns(adminRedis, aclUser);
          expect(patterns.length).toBeGreaterThan(0);
          const side = new Redis(services.envs[app]!.REDIS_URL!, { maxRetriesPerRequest: 1 }); // reads as that side's user
          try {
            for (const pattern of patterns) {
              const report = await scanRedis(side, pattern, [...identity(), tenantCanary()], adminRedis);
              // The tenant's usage counters are the network side's (by tenant and day only).
              if (app === 'config-service') expectOnly(report, [tenantCanary()]);
              else assertClean([{ ...report, findings: report.findings.filter((f) => f.what !== tenantCanary().what) }]);
            }
          } finally {
            side.disconnect();
          }
        }
      } finally {
        adminRedis.disconnect();
      }
    }, 120_000);

    it('no ClickHouse row', async () => {
      const report = await scanClickHouse(process.env.CLICKHOUSE_URL!, [...identity(), tenantCanary()]);
      expect(report.tables.some((t) => t.endsWith('.tenant_usage_daily'))).toBe(true);
      expectOnly(report, [tenantCanary()]);
    });

    it("no file in node-daemon's state directory, no log line of the network side, no /metrics label", async () => {
      const files = scanFiles('node-daemon state', nodeState, identity());
      expect(files.files.length).toBeGreaterThan(0);
      const logs: Record<string, string> = {
        'config-service': services.output('config-service'),
        'analytics-service': services.output('analytics-service'),
        'node-daemon': services.output('node-daemon'),
        'wireguard-go (node)': readFileSync(join(nodeState, `wireguard-go.${lab.iface.wgNode}.log`), 'utf8'),
        'nginx config gateway': Object.values(gateways!.logs())
          .join('\n')
          .split('\n')
          .filter((l) => l.includes('config-gateway'))
          .join('\n'),
      };
      expect(logs['config-service']).toContain('/vpn/config');
      expect(logs['nginx config gateway']).toMatch(/config-gateway "DELETE \/vpn\/config HTTP\/1\.1" 204 /);
      const metrics = await Promise.all([
        scanMetrics('config-service', `${CONFIG_DIRECT}/metrics`, identity()),
        scanMetrics('analytics-service', `http://127.0.0.1:${PORTS.analytics}/metrics`, identity()),
        scanMetrics('node-daemon', `http://127.0.0.1:${PORTS.node}/metrics`, identity()),
      ]);
      assertClean([files, ...Object.entries(logs).map(([name, text]) => scanLog(name, text, identity())), ...metrics]);
    });
  });

  it('(control) the identity side does know the user and the device: the scans look for values that exist', async () => {
    const needles = [textNeedle("the tenant user's id", user.id), textNeedle("the tenant user's email", user.email), textNeedle("the tenant user's device id", user.deviceId)];
    const report = await scanPostgres(process.env.IDENTITY_DATABASE_URL!, needles);
    for (const n of needles) expect(report.findings.some((f) => f.what === n.what) ? n.what : `not found: ${n.what}`).toBe(n.what);
  });
});
