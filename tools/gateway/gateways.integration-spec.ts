// The per-service gateways (tools/stack/nginx: conf.d/*-gateway.conf.in, gateway/common.conf.in)
// run by a real nginx through nginx.sh, as the stack runs them, in front of a loopback echo server
// that records every request exactly as it arrives (method, path, raw header lines): what a
// service behind the gateway would see. tools/e2e/journey.integration-spec.ts runs the whole
// journey through the same gateways in front of the real services.
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, request, Server } from 'node:http';
import { connect, AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@phoenix/common/testing';
import { GATEWAY_NAMES, GatewayName, Gateways, startGateways } from './gateways';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  bodyLength: number;
}

// infra/k8s's specs, loaded by path: the local gateways must say what the Kubernetes ones say.
interface PathMatch {
  type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value: string;
  method?: string;
}
interface K8sServices {
  ADDRESS_HEADERS: readonly string[];
  SERVICES: Record<string, { gateway?: { name: string; routes: { name: string; listener: string; rules: PathMatch[][] }[] } }>;
}
const k8s = require(join(WORKSPACE_ROOT, 'infra/k8s/src/services')) as K8sServices;
const SERVICE_OF: Record<GatewayName, string> = { auth: 'auth-service', config: 'config-service', analytics: 'analytics-service' };

/** Spoofed client addresses a client may send; none may reach a service. */
const SPOOFED = ['203.0.113.7', '198.51.100.23', '2001:db8::42', '192.0.2.99'];
/** What may appear where an address was: the loopback the requests really came from. */
const REAL = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '::1', '::ffff:127.0.0.1'];
const ERROR_SHAPE = { statusCode: expect.any(Number), error: expect.any(String), code: expect.any(String), message: expect.any(String) };

/** A request written byte by byte (fetch would merge repeated headers and fix their case). */
function rawRequest(baseUrl: string, head: string[], body = ''): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${[...head, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`));
    let out = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('data', (d: string) => (out += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headers = '', ...rest] = out.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/** A POST from a loopback source address of our choice (each address is another "client"). */
function postFrom(localAddress: string, url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': '2' } }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

/** Sample concrete paths for an HTTPRoute match. */
function samplePaths(m: PathMatch): string[] {
  if (m.type === 'Exact') return [m.value];
  if (m.type === 'PathPrefix') return [m.value, `${m.value}/sample`];
  return [m.value.replace(/\[\^\/\]\+/g, 'sample-id').replace(/\\\./g, '.')];
}

describe('the per-service gateways (tools/stack/nginx), in front of an echo server', () => {
  const seen: Seen[] = [];
  let echo: Server;
  let gw: Gateways;

  beforeAll(async () => {
    echo = createServer((req, res) => {
      let length = 0;
      req.on('data', (d: Buffer) => (length += d.length));
      req.on('end', () => {
        const entry = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, bodyLength: length };
        seen.push(entry);
        const body = JSON.stringify(entry);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const upstream = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
    gw = await startGateways({ auth: upstream, config: upstream, analytics: upstream });
  });

  afterAll(async () => {
    gw?.stop();
    if (echo?.listening) await new Promise((r) => echo.close(r));
  });

  const lastSeen = () => seen[seen.length - 1]!;

  describe('the client address never passes', () => {
    const spoofing = (host: string) => [
      `Host: ${host}`,
      ...k8s.ADDRESS_HEADERS.map((h, i) => `${h}: ${SPOOFED[i % SPOOFED.length]}`),
      // Other spellings and repeats of the same headers.
      `x-forwarded-for: ${SPOOFED[1]}, ${SPOOFED[2]}`,
      `X-FORWARDED-FOR: ${SPOOFED[3]}`,
      `x-real-ip: ${SPOOFED[0]}`,
      `forwarded: for="[${SPOOFED[2]}]";proto=https, for=${SPOOFED[3]}`,
      `X_Forwarded_For: ${SPOOFED[0]}`,
      `X_Real_IP: ${SPOOFED[1]}`,
    ];

    it.each([
      ['config', 'GET', '/locations'],
      ['config', 'POST', '/vpn/config'],
      ['analytics', 'POST', '/v1/events'],
      ['auth', 'POST', '/auth/vpn-token'],
      ['auth', 'GET', '/account'],
    ] as const)('%s gateway: %s %s arrives with no address header, though the client sent spoofed ones', async (gateway, method, path) => {
      const res = await rawRequest(gw.urls[gateway], [`${method} ${path} HTTP/1.1`, ...spoofing('phoenix.example')], method === 'POST' ? '{"x":1}' : '');
      expect(res.status).toBe(200);
      const got = lastSeen();
      expect([got.method, got.url, got.bodyLength]).toEqual([method, path, method === 'POST' ? 7 : 0]);
      const names = got.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      const banned = new Set(k8s.ADDRESS_HEADERS.map((h) => h.toLowerCase()));
      expect(names.filter((n) => banned.has(n) || /forwarded|real[-_]?ip|client[-_]?ip|connecting[-_]?ip|x_/.test(n))).toEqual([]);
      // Nothing of any address, spoofed or real, in any header: the Host is the service's name.
      const text = got.rawHeaders.join('\n');
      for (const a of [...SPOOFED, ...REAL]) expect(text).not.toContain(a);
      expect(got.rawHeaders[names.indexOf('host') * 2 + 1]).toBe(`phoenix-${SERVICE_OF[gateway]}`);
    });

    it('removes exactly the address headers the Kubernetes routes remove (infra/k8s ADDRESS_HEADERS)', () => {
      const common = readFileSync(join(WORKSPACE_ROOT, 'tools/stack/nginx/gateway/common.conf.in'), 'utf8');
      const removed = [...common.matchAll(/^proxy_set_header ([A-Za-z-]+) "";$/gm)].map((m) => m[1]!.toLowerCase());
      expect(removed.filter((h) => h !== 'connection').sort()).toEqual(k8s.ADDRESS_HEADERS.map((h) => h.toLowerCase()).sort());
      // And nothing anywhere adds one back.
      for (const f of ['gateway/common.conf.in', 'conf.d/auth-gateway.conf.in', 'conf.d/config-gateway.conf.in', 'conf.d/analytics-gateway.conf.in', 'nginx.conf.in']) {
        const text = readFileSync(join(WORKSPACE_ROOT, 'tools/stack/nginx', f), 'utf8').replace(/^\s*#.*$/gm, '');
        expect([f, text.match(/\$(remote_addr|binary_remote_addr|proxy_add_x_forwarded_for|realip_remote_addr|proxy_protocol_addr)\b/g) ?? []]).toEqual([
          f,
          f === 'conf.d/auth-gateway.conf.in' ? ['$binary_remote_addr', '$binary_remote_addr'] : [],
        ]);
      }
    });
  });

  describe('routes', () => {
    it.each(GATEWAY_NAMES)('%s gateway: every public path of its Kubernetes HTTPRoutes reaches the service, with the method it is routed for', async (gateway) => {
      const routes = k8s.SERVICES[SERVICE_OF[gateway]]!.gateway!.routes.filter((r) => r.listener === 'public');
      expect(routes.length).toBeGreaterThan(0);
      for (const match of routes.flatMap((r) => r.rules.flat())) {
        for (const path of samplePaths(match)) {
          const method = match.method ?? (gateway === 'analytics' ? 'POST' : 'GET');
          const res = await fetch(`${gw.urls[gateway]}${path}`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
          expect([gateway, method, path, res.status, ((await res.json()) as Seen).url]).toEqual([gateway, method, path, 200, path]);
        }
      }
    });

    // Admin and operator paths of every service (API.md), Bull Board, the node-daemon endpoints
    // (not routed by the local gateway: node-daemons reach config-service directly here, the nodes
    // host in production), look-alikes and traversals.
    const NOT_PUBLIC = [
      '/',
      '/admin',
      '/admin/queues',
      '/admin/queues/api/queues',
      '/admin/tenants',
      '/admin/tenants/t1/api-keys',
      '/admin/locations',
      '/admin/locations/de-fra',
      '/metrics',
      '/docs',
      '/docs-json',
      '/docs/static/index.html',
      '/health/live',
      '/health/ready',
      '/v1/stats/connections',
      '/v1/stats',
      '/dashboard',
      '/nodes',
      '/nodes/n1',
      '/nodes/n1/drain',
      '/nodes/register',
      '/nodes/n1/pulse',
      '/nodes/n1/peers',
      '/accounts',
      '/vpnx',
      '/locations/de-fra',
      '/v1/events/x',
      '/token-requests',
      '/.well-known/other',
      '/locations/../admin/locations',
      '/vpn/..%2Fadmin/locations',
      '/vpn/%2e%2e/metrics',
      '/account/%2E%2E/admin/tenants',
      '//admin/queues',
      '/v1/events/../stats/connections',
      '/%61dmin/tenants',
    ];

    it.each(GATEWAY_NAMES)('%s gateway: no admin or other non-public path, by any method (404 NOT_FOUND in the API error shape; the service never asked)', async (gateway) => {
      const before = seen.length;
      for (const path of NOT_PUBLIC) {
        for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
          // Raw, so the traversals reach nginx as written.
          const res = await rawRequest(gw.urls[gateway], [`${method} ${path} HTTP/1.1`, 'Host: phoenix.example', 'Authorization: Bearer dev-admin-token']);
          expect([gateway, method, path, res.status]).toEqual([gateway, method, path, 404]);
          if (method !== 'HEAD') {
            expect(JSON.parse(res.body)).toEqual({ ...ERROR_SHAPE, statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
            expect(res.headers).toMatch(/^Content-Type: application\/json; charset=utf-8$/im);
          }
        }
      }
      expect(seen.slice(before)).toEqual([]);
    });

    it('matches and forwards the normalized path (decoded, merged slashes, dot segments resolved), escaped again', async () => {
      for (const [sent, arrives] of [
        ['/vpn/a/../config', '/vpn/config'],
        ['//vpn///config', '/vpn/config'],
        ['/vpn/./token-challenge?issuer=a%2Fb', '/vpn/token-challenge?issuer=a%2Fb'],
        ['/vpn/a%20b', '/vpn/a%20b'],
        ['/%6Cocations', '/locations'],
      ]) {
        const res = await rawRequest(gw.urls.config, [`GET ${sent} HTTP/1.1`, 'Host: phoenix.example']);
        expect([sent, res.status, (JSON.parse(res.body) as Seen).url]).toEqual([sent, 200, arrives]);
      }
    });
  });

  describe('body limits: the services\' own, answered in the API shape', () => {
    it.each([
      ['config', '/vpn/config', 64 * 1024],
      ['auth', '/account/preferences', 64 * 1024],
      ['auth', '/token-request', 4096],
      ['analytics', '/v1/events', 512 * 1024],
    ] as const)('%s gateway %s: a body of %i bytes passes, one byte more is 413 PAYLOAD_TOO_LARGE', async (gateway, path, limit) => {
      const ok = await fetch(`${gw.urls[gateway]}${path}`, { method: 'POST', body: 'x'.repeat(limit) });
      expect([ok.status, ((await ok.json()) as Seen).bodyLength]).toEqual([200, limit]);
      const before = seen.length;
      const big = await fetch(`${gw.urls[gateway]}${path}`, { method: 'POST', body: 'x'.repeat(limit + 1) });
      expect(big.status).toBe(413);
      expect(await big.json()).toEqual({ ...ERROR_SHAPE, statusCode: 413, error: 'Payload Too Large', code: 'PAYLOAD_TOO_LARGE' });
      expect(seen.length).toBe(before);
    });
  });

  describe('auth gateway: rate limits per client address', () => {
    /** POSTs from `address` until the gateway answers 429; how many passed before, and the 429. */
    async function until429(address: string, url: string, max: number): Promise<{ passed: number; res: { status: number; headers: Record<string, unknown>; body: string } }> {
      for (let passed = 0; passed < max; passed++) {
        const res = await postFrom(address, url);
        if (res.status === 429) return { passed, res };
        expect(res.status).toBe(200);
      }
      throw new Error(`${url}: no 429 after ${max} requests`);
    }

    it('sign-in (/api/v1/auth/*): 429 RATE_LIMITED with Retry-After after the burst of 10, in the API shape', async () => {
      const { passed, res } = await until429('127.0.0.1', `${gw.urls.auth}/api/v1/auth/login`, 30);
      // One request plus the burst; at 10 a minute no slot comes back during the test.
      expect(passed).toBe(11);
      expect(res.headers['retry-after']).toBe('6');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(res.body)).toEqual({ ...ERROR_SHAPE, statusCode: 429, error: 'Too Many Requests', code: 'RATE_LIMITED' });
      // Every sign-in path shares the limit; refused requests never reach the service.
      const before = seen.length;
      for (const path of ['/api/v1/auth/register', '/api/v1/auth/refresh', '/api/v1/auth/login']) expect((await postFrom('127.0.0.1', `${gw.urls.auth}${path}`)).status).toBe(429);
      expect(seen.length).toBe(before);
    });

    it('issuance (/token-request, /auth/vpn-token, /api/v1/devices/:id/tokens): 429 after the burst of 30, Retry-After 1, a limit of its own', async () => {
      // From an address that has sent nothing yet (sign-in above does not count here).
      expect((await postFrom('127.0.0.3', `${gw.urls.auth}/api/v1/auth/login`)).status).toBe(200);
      const { passed, res } = await until429('127.0.0.3', `${gw.urls.auth}/auth/vpn-token`, 80);
      // One request plus the burst, plus the slots that came back (one a second) meanwhile.
      expect(passed).toBeGreaterThanOrEqual(31);
      expect(passed).toBeLessThan(40);
      expect(res.headers['retry-after']).toBe('1');
      expect(JSON.parse(res.body)).toEqual({ ...ERROR_SHAPE, statusCode: 429, code: 'RATE_LIMITED' });
      expect((await postFrom('127.0.0.3', `${gw.urls.auth}/token-request`)).status).toBe(429);
      expect((await postFrom('127.0.0.3', `${gw.urls.auth}/api/v1/devices/d1/tokens`)).status).toBe(429);
    });

    it('limits that address only: another client address still gets through; the rest of the API is not limited', async () => {
      expect((await postFrom('127.0.0.1', `${gw.urls.auth}/api/v1/auth/login`)).status).toBe(429);
      expect((await postFrom('127.0.0.2', `${gw.urls.auth}/api/v1/auth/login`)).status).toBe(200);
      expect((await postFrom('127.0.0.2', `${gw.urls.auth}/auth/vpn-token`)).status).toBe(200);
      // And the address the limiter keyed on went no further.
      expect(lastSeen().rawHeaders.join('\n')).not.toContain('127.0.0.2');
      for (const [gateway, path] of [
        ['auth', '/account'],
        ['auth', '/.well-known/private-token-issuer-directory'],
        ['config', '/locations'],
        ['analytics', '/v1/events'],
      ] as const) {
        for (let i = 0; i < 40; i++) {
          const res = await fetch(`${gw.urls[gateway]}${path}`, { method: gateway === 'analytics' ? 'POST' : 'GET' });
          expect([path, i, res.status]).toEqual([path, i, 200]);
          await res.arrayBuffer();
        }
      }
    });
  });

  it('answers 503 UNAVAILABLE with Retry-After in the API shape when the service is down (nothing done)', async () => {
    await new Promise((r) => echo.close(r));
    for (const gateway of GATEWAY_NAMES) {
      const res = await fetch(`${gw.urls[gateway]}${gateway === 'config' ? '/locations' : gateway === 'auth' ? '/account' : '/v1/events'}`, { method: gateway === 'analytics' ? 'POST' : 'GET' });
      expect([gateway, res.status, res.headers.get('retry-after')]).toEqual([gateway, 503, '5']);
      expect(await res.json()).toEqual({ ...ERROR_SHAPE, statusCode: 503, error: 'Service Unavailable', code: 'UNAVAILABLE' });
    }
  });

  it('logs no client address: the access log has none (and no spoofed one), the error log no request-time line', () => {
    const logs = gw.logs();
    const access = logs['gateway-access.log']!;
    for (const name of ['auth-gateway', 'config-gateway', 'analytics-gateway']) expect(access).toContain(`] ${name} "`);
    expect(access).toContain('config-gateway "GET /locations HTTP/1.1" 200');
    expect(access).toMatch(/auth-gateway "POST \/api\/v1\/auth\/login HTTP\/1\.1" 429 .* -$/m);
    expect(access).toMatch(/config-gateway "GET \/locations HTTP\/1\.1" 503 .* 502$/m);
    const all = Object.values(logs).join('\n');
    for (const a of [...SPOOFED, ...REAL]) expect(all).not.toContain(a);
    expect(all.match(/\b\d{1,3}(\.\d{1,3}){3}\b|client: /g)).toBeNull();
    expect(logs['error.log']).toBe('');
  });
});

describe('the stack runs these gateways', () => {
  it.each([
    ['auth', 'PHOENIX_AUTH_GATEWAY_URL'],
    ['config', 'PHOENIX_CONFIG_GATEWAY_URL'],
    ['analytics', 'PHOENIX_ANALYTICS_GATEWAY_URL'],
  ])('%s gateway at %s (.stack/env): loopback, admin paths 404 in the API shape', async (_gateway, variable) => {
    const url = process.env[variable];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ['/metrics', '/admin/queues', '/health/ready', '/docs']) {
      const res = await fetch(`${url}${path}`);
      expect([path, res.status, res.headers.get('server')]).toEqual([path, 404, 'nginx']);
      expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
    }
  });
});
