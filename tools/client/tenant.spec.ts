import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blindSignRaw,
  challengeDigest,
  encodeTokenChallenge,
  generateIssuerKeyPair,
  parseAuthorization,
  renderIssuerDirectory,
  verifyToken,
  type IssuerKeyPair,
} from '@phoenix/crypto';
import { base64urlDecode, base64urlEncode } from '@phoenix/client-protocol';
import { COMMANDS, commandHelp, mainHelp, parse, Parsed, run } from './cli';
import { UsageError } from './errors';
import { parseUsageRange } from './tenant';
import { emptyTenantState, loadTenantState, parseTenantState, saveTenantState, TenantSession, TenantState, TenantStateError, tenantStatus, withLogin } from './tenant-state';

const env = { HOME: '/home/u', PHOENIX_STACK_DIR: join(tmpdir(), `phx-cli-no-stack-${process.pid}`) };

describe('client tenant commands: arguments', () => {
  it('parses the tenant commands, three words included, with their options', () => {
    expect(parse(['tenant', 'register', '--api-key', 'phx_live_k', '--email', 'a@b.example', '--password', 'long enough pw'], env)).toMatchObject({
      command: 'tenant register',
      values: { 'api-key': 'phx_live_k', email: 'a@b.example', password: 'long enough pw' },
    });
    expect(parse(['tenant', 'device', 'add', '--name', 'Laptop', '--platform', 'macos'], env)).toMatchObject({ command: 'tenant device add', values: { name: 'Laptop', platform: 'macos' } });
    expect(parse(['tenant', 'tokens', '--count', '3'], env)).toMatchObject({ command: 'tenant tokens', values: { count: '3' } });
    expect(parse(['tenant', 'redeem', '--location', 'de-fra', '--up'], env)).toMatchObject({ command: 'tenant redeem', values: { location: 'de-fra', up: true } });
    expect(parse(['tenant', 'release', '--config-url', 'http://c:2/'], env)).toMatchObject({ command: 'tenant release', endpoints: { configUrl: 'http://c:2' } });
    expect(parse(['tenant', 'usage', '--from', '2026-11-01', '--to', '2026-11-30', '--api-key', 'k'], env)).toMatchObject({ command: 'tenant usage', values: { from: '2026-11-01', to: '2026-11-30', 'api-key': 'k' } });
    expect((parse(['tenant', 'status', '--state-dir', '/s'], env) as Parsed).stateDir).toBe('/s');
  });

  it('lists every tenant command in the main help, each with its own help', () => {
    const tenant = Object.keys(COMMANDS).filter((c) => c.startsWith('tenant '));
    expect(tenant).toEqual(['tenant register', 'tenant login', 'tenant device add', 'tenant tokens', 'tenant redeem', 'tenant release', 'tenant usage', 'tenant status']);
    for (const name of tenant) {
      expect(mainHelp()).toContain(`  ${name}`);
      expect(parse([...name.split(' '), '--help'], env)).toEqual({ help: commandHelp(name) });
    }
    const group = parse(['tenant', '--help'], env) as { help: string };
    for (const name of tenant) expect(group.help).toContain(name);
  });

  it.each([
    [['tenant']],
    [['tenant', 'device']],
    [['tenant', 'bogus']],
    [['tenant', 'device', 'remove']],
    [['tenant', 'redeem', '--up', 'yes']],
    [['tenant', 'tokens', '--count']],
    [['tenant', 'release', '--location', 'x']],
    [['tenant', 'usage', '--analytics-url', 'http://x']],
  ])('refuses bad usage %j with exit code 2', async (argv) => {
    expect(() => parse(argv, env)).toThrow(UsageError);
    let err = '';
    expect(await run(argv, { out: () => undefined, err: (l) => (err += l), env })).toBe(2);
  });

  it('takes usage ranges as whole UTC days, by default this month so far', () => {
    const now = new Date('2026-12-17T23:59:00Z');
    expect(parseUsageRange(undefined, undefined, now)).toEqual({ from: '2026-12-01', to: '2026-12-17' });
    expect(parseUsageRange(undefined, '2026-11-20', now)).toEqual({ from: '2026-11-01', to: '2026-11-20' });
    expect(parseUsageRange('2026-11-30', '2026-11-30', now)).toEqual({ from: '2026-11-30', to: '2026-11-30' });
    for (const [from, to] of [
      ['2026-02-30', '2026-03-01'],
      ['2026-1-01', '2026-01-02'],
      ['yesterday', undefined],
      ['2026-11-02', '2026-11-01'],
    ]) {
      expect(() => parseUsageRange(from, to, now)).toThrow(UsageError);
    }
  });

  it('asks for a login, a device or tokens before the calls that need them, without touching the network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phx-tenant-cli-'));
    try {
      const errs: string[] = [];
      const io = { out: () => undefined, err: (l: string) => errs.push(l), env };
      expect(await run(['tenant', 'device', 'add', '--name', 'x', '--platform', 'linux', '--state-dir', dir], io)).toBe(4);
      expect(await run(['tenant', 'register', '--email', 'a@b.example', '--password', 'xxxxxxxxxx', '--state-dir', dir], io)).toBe(2);
      expect(await run(['tenant', 'redeem', '--state-dir', dir], io)).toBe(4);
      expect(await run(['tenant', 'release', '--state-dir', dir], io)).toBe(4);
      expect(await run(['tenant', 'usage', '--state-dir', dir], io)).toBe(2);
      expect(errs).toEqual([
        'error: not logged in to a tenant: run `tenant register` or `tenant login` first',
        'error: --api-key is required (or PHOENIX_TENANT_API_KEY): the API key the tenant was given',
        'error: no tenant tokens left: run `tenant tokens` first',
        'error: no lease held: nothing to release',
        'error: --api-key is required (or PHOENIX_TENANT_API_KEY, or a `tenant login` first)',
      ]);
      expect(existsSync(join(dir, 'tenant.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('client tenant state file', () => {
  let dir: string;
  beforeEach(() => (dir = join(mkdtempSync(join(tmpdir(), 'phx-tenant-state-')), 'state')));
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  const session = (over: Partial<TenantSession> = {}): TenantSession => ({
    apiKey: 'phx_live_secretkey',
    tenantId: 't1',
    userId: 'u1',
    email: 'ann@acme.example',
    accessToken: 'acc',
    accessTokenExpiresAt: 1,
    refreshToken: 'ref',
    ...over,
  });
  const lease = {
    leaseId: 'l1',
    releaseToken: 'release-secret',
    location: 'de-fra',
    nodeId: 'n1',
    privateKey: 'private-key-secret',
    publicKey: 'pub',
    addresses: ['100.64.0.2/32'],
    dns: ['100.64.0.1'],
    peer: { publicKey: 'np', endpoint: '198.18.0.2:51820', allowedIps: ['0.0.0.0/0'] },
    expiresAt: '2999-01-01T00:00:00.000Z',
    configFile: '/x/wg.conf',
  };

  it('is empty before the first save, round-trips, 0600 in a 0700 directory, apart from the consumer state', () => {
    expect(loadTenantState(dir)).toEqual(emptyTenantState());
    const state: TenantState = { version: 1, session: session(), device: { id: 'd1', deviceName: 'Laptop', platform: 'macos' }, tokens: [{ token: 'AAEC', tokenKeyId: 'k', expiresAt: '2999-01-01T00:00:00.000Z', issuer: 'i/tenants/t1' }], lease };
    saveTenantState(dir, state);
    expect(loadTenantState(dir)).toEqual(state);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'tenant.json')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });

  it.each([
    ['not JSON', '{'],
    ['another file', '{"version": 1}'],
    ['a bad session', '{"version": 1, "tokens": [], "session": {"apiKey": "k"}}'],
    ['a token without its issuer', '{"version": 1, "tokens": [{"token": "a", "tokenKeyId": "k", "expiresAt": "2999-01-01T00:00:00Z"}]}'],
    ['a lease without its release token', `{"version": 1, "tokens": [], "lease": ${JSON.stringify({ ...lease, releaseToken: undefined })}}`],
  ])('refuses %s with a clear message', (_n, text) => {
    expect(() => parseTenantState(text)).toThrow(TenantStateError);
  });

  it('keeps device, tokens and lease for the same user, starts afresh for another, refuses that while a lease is held', () => {
    const held: TenantState = { version: 1, session: session(), device: { id: 'd1', deviceName: 'L', platform: 'p' }, tokens: [{ token: 't', tokenKeyId: 'k', expiresAt: 'x', issuer: 'i' }] };
    expect(withLogin(held, session({ accessToken: 'new' }))).toEqual({ ...held, session: session({ accessToken: 'new' }) });
    expect(withLogin(held, session({ userId: 'u2', email: 'bob@acme.example' }))).toEqual({ version: 1, tokens: [], session: session({ userId: 'u2', email: 'bob@acme.example' }) });
    expect(withLogin(held, session({ tenantId: 't2' })).device).toBeUndefined();
    expect(() => withLogin({ ...held, lease }, session({ userId: 'u2' }))).toThrow(/tenant release/);
  });

  it('shows no secret in status', () => {
    const text = JSON.stringify(tenantStatus({ version: 1, session: session(), tokens: [{ token: 'the-token', tokenKeyId: 'k', expiresAt: '2999-01-01T00:00:00Z', issuer: 'i' }], lease }, dir, new Date()));
    expect(JSON.parse(text)).toMatchObject({ tenantId: 't1', loggedInAs: 'ann@acme.example', tokens: 1, lease: { id: 'l1', node: 'n1' } });
    for (const secret of ['phx_live_secretkey', 'acc', 'ref', 'the-token', 'release-secret', 'private-key-secret']) expect(text).not.toContain(`"${secret}"`);
  });
});

/**
 * auth-service's tenant API and config-service's redemption as API.md words them, on one loopback
 * server, signing with a real issuer key (@phoenix/crypto): the client's whole tenant flow against
 * the contract, with every request recorded.
 */
describe('client tenant flow against the contract (loopback stand-in)', () => {
  const API_KEY = 'phx_live_stub-key';
  const TENANT = randomUUID();
  const USER = randomUUID();
  const DEVICE = randomUUID();
  const LEASE = randomUUID();
  const ISSUER = `phoenix-issuer/tenants/${TENANT}`;
  const challenge = encodeTokenChallenge({ tokenType: 2, issuerName: ISSUER, redemptionContext: new Uint8Array(0), originInfo: ['phoenix-vpn'] });
  let issuer: IssuerKeyPair;
  let server: Server;
  let url = '';
  let dir = '';
  const seen: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }> = [];
  let accessSerial = 0;
  let released = false;
  const jwt = (expSec: number) => `h.${Buffer.from(JSON.stringify({ exp: expSec, n: ++accessSerial })).toString('base64url')}.s`;
  /** The access tokens' lifetime the stand-in gives (seconds). */
  let accessLifetime = 900;

  beforeAll(async () => {
    issuer = await generateIssuerKeyPair();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        seen.push({ method: req.method ?? '', path, headers: req.headers, body });
        const send = (status: number, value?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(value === undefined ? '' : JSON.stringify(value));
        };
        const tenantCall = path.startsWith('/api/v1/');
        if (tenantCall && req.headers['x-api-key'] !== API_KEY) return send(401, { statusCode: 401, code: 'INVALID_API_KEY', message: 'bad key' });
        const pair = () => ({ accessToken: jwt(Math.floor(Date.now() / 1000) + accessLifetime), refreshToken: `r${accessSerial}` });
        const nowSec = Math.floor(Date.now() / 1000);
        switch (`${req.method} ${path.split('?')[0]}`) {
          case 'POST /api/v1/auth/register':
            return send(201, { user: { id: USER, email: JSON.parse(body).email }, ...pair() });
          case 'POST /api/v1/auth/refresh':
            return send(200, pair());
          case 'GET /api/v1/auth/me':
            return send(200, { id: USER, email: 'ann@acme.example', tenantId: TENANT, createdAt: new Date().toISOString() });
          case 'POST /api/v1/devices':
            return send(201, { id: DEVICE, ...JSON.parse(body), createdAt: new Date().toISOString() });
          case `POST /api/v1/devices/${DEVICE}/tokens`: {
            const { blindedMessages } = JSON.parse(body) as { blindedMessages: string[] };
            return send(200, {
              tokenKeyId: base64urlEncode(issuer.keyId),
              blindSignatures: blindedMessages.map((m) => base64urlEncode(blindSignRaw(issuer.privateKey, base64urlDecode(m)))),
              expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
            });
          }
          case 'GET /api/v1/usage':
            return send(200, { rows: [{ day: '2026-11-30', connections: 1, connectionHours: 0.5, gigabytes: 0.000123 }] });
          case 'GET /token-issuers':
            return send(200, [
              { issuer: 'phoenix-issuer', tenantId: null, leaseTtlHours: null, 'token-keys': [] },
              { issuer: ISSUER, tenantId: TENANT, leaseTtlHours: 24, 'token-keys': [{ 'token-type': 2, 'token-key': base64urlEncode(issuer.tokenKey), 'not-before': nowSec - 60 }] },
            ]);
          case `GET /tenants/${TENANT}/.well-known/private-token-issuer-directory`:
            return send(200, renderIssuerDirectory({ issuerRequestUri: '/token-request', tokenKeys: [{ tokenType: 2, tokenKey: issuer.tokenKey, notBefore: nowSec - 60 }] }));
          case 'GET /vpn/token-challenge':
            return new URL(path, 'http://x').searchParams.get('issuer') === ISSUER ? send(200, { challenge: base64urlEncode(challenge), issuer: ISSUER }) : send(404, { code: 'UNKNOWN_ISSUER', message: 'no' });
          case 'POST /vpn/config': {
            const token = parseAuthorization(String(req.headers.authorization));
            if (!verifyToken(issuer.tokenKey, token, challengeDigest(challenge))) return send(401, { code: 'INVALID_TOKEN', message: 'bad token' });
            return send(200, {
              config: '[Interface]\nAddress = 100.64.0.2/32\nDNS = 100.64.0.1\n\n[Peer]\nPublicKey = NODEKEY\nAllowedIPs = 0.0.0.0/0\nEndpoint = 198.18.0.2:51820\n',
              interface: { addresses: ['100.64.0.2/32'], dns: ['100.64.0.1'] },
              peer: { publicKey: 'NODEKEY', endpoint: '198.18.0.2:51820', allowedIps: ['0.0.0.0/0'], persistentKeepalive: 25 },
              node: { id: 'node-1', location: JSON.parse(body).location },
              expiresAt: new Date(Date.now() + 86400_000).toISOString(),
              lease: { id: LEASE, releaseToken: 'the-release-token' },
            });
          }
          case 'DELETE /vpn/config': {
            const b = JSON.parse(body) as { leaseId: string; releaseToken: string };
            if (released || b.leaseId !== LEASE || b.releaseToken !== 'the-release-token') return send(404, { statusCode: 404, code: 'UNKNOWN_LEASE', message: 'no such lease' });
            released = true;
            return send(204);
          }
          default:
            return send(404, { code: 'NOT_FOUND', message: path });
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'phx-tenant-flow-'));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  async function client(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await run([...args, '--state-dir', dir, '--auth-url', url, '--config-url', url], { out: (l) => (out += `${l}\n`), err: (l) => (err += `${l}\n`), env });
    return { code, out, err };
  }

  it('register → device add → tokens → redeem → release: blinded messages only to auth-service, no identity to config-service', async () => {
    accessLifetime = 30; // within the refresh margin: the next call refreshes first
    expect(await client('tenant', 'register', '--api-key', API_KEY, '--email', 'ann@acme.example', '--password', 'correct-horse-1')).toMatchObject({ code: 0, err: '' });
    accessLifetime = 900;
    expect(loadTenantState(dir).session).toMatchObject({ apiKey: API_KEY, tenantId: TENANT, userId: USER, email: 'ann@acme.example' });

    const device = await client('tenant', 'device', 'add', '--name', 'Laptop', '--platform', 'macos');
    expect(device).toMatchObject({ code: 0, err: '' });
    // The short-lived access token was refreshed before the call, and the rotated pair kept.
    const refresh = seen.findIndex((r) => r.path === '/api/v1/auth/refresh');
    expect(refresh).toBeGreaterThan(-1);
    expect(seen[refresh + 1]?.path).toBe('/api/v1/devices');
    expect(JSON.parse(seen[refresh + 1]!.body)).toEqual({ deviceName: 'Laptop', platform: 'macos' });
    expect(loadTenantState(dir).device).toEqual({ id: DEVICE, deviceName: 'Laptop', platform: 'macos' });

    expect(await client('tenant', 'tokens', '--count', '3')).toMatchObject({ code: 0, err: '' });
    const tokens = loadTenantState(dir).tokens;
    expect(tokens).toHaveLength(3);
    expect(tokens.every((t) => t.issuer === ISSUER && t.tokenKeyId === base64urlEncode(issuer.keyId))).toBe(true);
    for (const t of tokens) expect(verifyToken(issuer.tokenKey, base64urlDecode(t.token), challengeDigest(challenge))).toBe(true);
    const signing = seen.filter((r) => r.path === `/api/v1/devices/${DEVICE}/tokens`);
    expect(signing).toHaveLength(1);
    expect(Object.keys(JSON.parse(signing[0]!.body))).toEqual(['blindedMessages']);
    for (const t of tokens) expect(signing[0]!.body).not.toContain(t.token.slice(-40));
    expect(seen.some((r) => r.path === `/vpn/token-challenge?issuer=${encodeURIComponent(ISSUER)}`)).toBe(true);

    const out = join(dir, 'wg.conf');
    const redeemed = await client('tenant', 'redeem', '--location', 'de-fra', '--out', out);
    expect(redeemed).toMatchObject({ code: 0, err: '' });
    expect(redeemed.out).toContain(`lease ${LEASE}`);
    const state = loadTenantState(dir);
    expect(state.tokens).toHaveLength(2);
    expect(state.lease).toMatchObject({ leaseId: LEASE, releaseToken: 'the-release-token', nodeId: 'node-1', location: 'de-fra', configFile: out });
    expect(readFileSync(out, 'utf8')).toContain(`PrivateKey = ${state.lease!.privateKey}`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // A second lease is refused while one is held.
    expect(await client('tenant', 'redeem')).toMatchObject({ code: 4, err: expect.stringContaining('tenant release') });

    expect(await client('tenant', 'release')).toMatchObject({ code: 0, err: '' });
    expect(loadTenantState(dir).lease).toBeUndefined();
    expect(existsSync(out)).toBe(false);

    // config-service never saw the API key, an access token, the user, the email or the device.
    const toConfig = seen.filter((r) => r.path.startsWith('/vpn/'));
    expect(toConfig.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['GET /vpn/token-challenge', 'POST /vpn/config', 'DELETE /vpn/config']);
    for (const r of toConfig) {
      expect(r.headers['x-api-key']).toBeUndefined();
      expect(String(r.headers.authorization ?? '')).not.toMatch(/^Bearer/);
      const text = JSON.stringify({ path: r.path, headers: r.headers, body: r.body });
      for (const secret of [USER, DEVICE, 'ann@acme.example', API_KEY]) expect(text).not.toContain(secret);
    }
    expect(JSON.parse(toConfig[2]!.body)).toEqual({ leaseId: LEASE, releaseToken: 'the-release-token' });
  });

  it('releases an already ended lease as dropped (404 UNKNOWN_LEASE), and reads usage with the API key and the login', async () => {
    const state = loadTenantState(dir);
    saveTenantState(dir, { ...state, lease: { leaseId: LEASE, releaseToken: 'the-release-token', location: 'de-fra', nodeId: 'node-1', privateKey: 'k', publicKey: 'p', addresses: [], dns: [], peer: { publicKey: 'n', endpoint: '198.18.0.2:51820', allowedIps: [] }, expiresAt: '2999-01-01T00:00:00.000Z', configFile: join(dir, 'gone.conf') } });
    const r = await client('tenant', 'release');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('had already ended');
    expect(loadTenantState(dir).lease).toBeUndefined();

    const usage = await client('tenant', 'usage', '--from', '2026-11-01', '--to', '2026-11-30');
    expect(usage).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(usage.out)).toEqual({ rows: [{ day: '2026-11-30', connections: 1, connectionHours: 0.5, gigabytes: 0.000123 }] });
    const call = seen.filter((x) => x.path.startsWith('/api/v1/usage')).at(-1)!;
    expect(call.path).toBe('/api/v1/usage?from=2026-11-01&to=2026-11-30');
    expect(call.headers['x-api-key']).toBe(API_KEY);
    expect(call.headers.authorization).toMatch(/^Bearer /);
    expect(await client('tenant', 'usage', '--api-key', 'phx_live_wrong')).toMatchObject({ code: 1, err: expect.stringContaining('INVALID_API_KEY') });
  });
});
