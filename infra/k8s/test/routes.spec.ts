import { ENVIRONMENTS, EnvironmentName } from '../src/environments';
import { Rendered } from './manifests';
import { Request, pathMatches, route } from './route-evaluator';

const REQUIRED_REMOVED = ['x-forwarded-for', 'x-real-ip', 'forwarded'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Paths that must never be reachable through a public gateway, whatever the method or host. */
const NOT_PUBLIC = [
  '/',
  '/admin',
  '/admin/queues',
  '/admin/queues/api/queues',
  '/admin/locations',
  '/admin/locations/de-fra',
  '/admin/issuer-keys/rotate',
  '/admin/tenants',
  '/admin/tenants/t1/api-keys',
  '/metrics',
  '/docs',
  '/docs/',
  '/docs/static/index.html',
  '/docs-json',
  '/health/live',
  '/health/ready',
  '/v1/stats',
  '/v1/stats/connections',
  '/v1/stats/fleet',
  '/dashboard',
  '/dashboard/index.js',
  '/nodes',
  '/nodes/n1',
  '/nodes/n1/drain',
  '/tenants/t1/admin',
  '/locations/../admin/locations',
];

describe.each(Object.keys(ENVIRONMENTS) as EnvironmentName[])('gateways and routes of %s', (name) => {
  const env = ENVIRONMENTS[name];
  const r = new Rendered(name);
  const gw = (n: string) => {
    const g = r.gateways.find((x) => x.metadata.name === n);
    if (!g) throw new Error(`no Gateway ${n}`);
    return g;
  };
  const send = (gateway: string, req: Request) => route(gw(gateway), r.routes, req);
  const hostsOf = (gateway: string) => gw(gateway).spec.listeners.map((l) => l.hostname!);

  it('has one Gateway per public service and none for job-worker', () => {
    expect(r.gateways.map((g) => g.metadata.name).sort()).toEqual(['analytics-gateway', 'auth-gateway', 'config-gateway']);
    const backends = r.routes.flatMap((x) => (x.spec?.rules ?? []).flatMap((rule) => (rule.backendRefs ?? []).map((b) => b.name)));
    expect(new Set(backends)).toEqual(new Set(['auth-service', 'config-service', 'analytics-service']));
  });

  it.each([
    ['auth-gateway', 'GET', '/.well-known/private-token-issuer-directory'],
    ['auth-gateway', 'POST', '/token-request'],
    ['auth-gateway', 'POST', '/auth/vpn-token'],
    ['auth-gateway', 'GET', '/account'],
    ['auth-gateway', 'OPTIONS', '/account'],
    ['auth-gateway', 'DELETE', '/account'],
    ['auth-gateway', 'GET', '/account/export'],
    ['auth-gateway', 'PUT', '/account/preferences'],
    ['auth-gateway', 'POST', '/billing/checkout'],
    ['auth-gateway', 'POST', '/webhooks/stripe'],
    ['auth-gateway', 'POST', '/webhooks/apple'],
    ['auth-gateway', 'GET', '/token-issuers'],
    ['auth-gateway', 'GET', '/tenants/t1/.well-known/private-token-issuer-directory'],
    ['auth-gateway', 'POST', '/api/v1/auth/login'],
    ['auth-gateway', 'POST', '/api/v1/devices/d1/tokens'],
    ['config-gateway', 'GET', '/locations'],
    ['config-gateway', 'POST', '/vpn/config'],
    ['config-gateway', 'DELETE', '/vpn/config'],
    ['config-gateway', 'GET', '/vpn/token-challenge'],
    ['analytics-gateway', 'POST', '/v1/events'],
  ])('%s routes %s %s to its service, without client-address headers', (gateway, method, path) => {
    const host = hostsOf(gateway)[0];
    const routed = send(gateway, { host, method, path });
    expect(routed?.backend).toBe(gateway.replace('-gateway', '-service'));
    expect(routed!.removedHeaders.map((h) => h.toLowerCase())).toEqual(expect.arrayContaining(REQUIRED_REMOVED));
  });

  it('routes the node-daemon endpoints on the nodes host only, and client endpoints never there', () => {
    const nodeCalls: Request[] = [
      { host: env.hosts.nodes, method: 'POST', path: '/nodes/register' },
      { host: env.hosts.nodes, method: 'POST', path: '/nodes/3f1c7c1e-1b7e-4a51-9d7e-6f3c2a1b0c9d/pulse' },
      { host: env.hosts.nodes, method: 'GET', path: '/nodes/3f1c7c1e-1b7e-4a51-9d7e-6f3c2a1b0c9d/peers' },
    ];
    for (const req of nodeCalls) {
      expect(send('config-gateway', req)?.backend).toBe('config-service');
      expect(send('config-gateway', { ...req, host: env.hosts.config })).toBeNull();
    }
    expect(send('config-gateway', { host: env.hosts.nodes, method: 'GET', path: '/nodes/n1/pulse' })).toBeNull();
    expect(send('config-gateway', { host: env.hosts.nodes, method: 'POST', path: '/nodes/n1/x/pulse' })).toBeNull();
    expect(send('config-gateway', { host: env.hosts.nodes, method: 'POST', path: '/vpn/config' })).toBeNull();
    expect(send('config-gateway', { host: env.hosts.nodes, method: 'GET', path: '/locations' })).toBeNull();
  });

  it('routes no admin path, /metrics, /docs, /health, /v1/stats or /dashboard on any gateway host, by any method', () => {
    const leaks: string[] = [];
    for (const g of r.gateways) {
      for (const host of hostsOf(g.metadata.name)) {
        for (const method of METHODS) {
          for (const path of NOT_PUBLIC) {
            const routed = route(g, r.routes, { host, method, path });
            if (routed) leaks.push(`${method} ${host}${path} -> ${routed.backend}`);
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('removes the client-address headers in every rule of every route and never sets one', () => {
    for (const rt of r.routes) {
      for (const rule of rt.spec?.rules ?? []) {
        const modifiers = (rule.filters ?? []).filter((f) => f.type === 'RequestHeaderModifier').map((f) => f.requestHeaderModifier!);
        const removed = modifiers.flatMap((m) => m.remove ?? []).map((h) => h.toLowerCase());
        expect({ route: rt.metadata.name, missing: REQUIRED_REMOVED.filter((h) => !removed.includes(h)) }).toEqual({ route: rt.metadata.name, missing: [] });
        const written = modifiers.flatMap((m) => [...(m.set ?? []), ...(m.add ?? [])]).map((h) => h.name.toLowerCase());
        expect(written.filter((h) => removed.includes(h) || REQUIRED_REMOVED.includes(h))).toEqual([]);
        expect(removed.length).toBeLessThanOrEqual(16);
      }
    }
  });

  it('accepts only routes of its own namespace, for its own host names', () => {
    for (const g of r.gateways) {
      for (const l of g.spec.listeners) {
        expect(l.allowedRoutes?.namespaces?.from).toBe('Same');
        expect(Object.values(env.hosts)).toContain(l.hostname);
      }
    }
    for (const rt of r.routes) {
      const ref = rt.spec!.parentRefs![0];
      const listener = gw(ref.name).spec.listeners.find((l) => l.name === ref.sectionName);
      expect(rt.spec?.hostnames).toEqual([listener?.hostname]);
    }
  });

  it(env.tls ? 'terminates TLS on every listener (443, a certificate Secret each)' : 'listens on plain HTTP (port 80, no certificates)', () => {
    for (const g of r.gateways) {
      for (const l of g.spec.listeners) {
        if (env.tls) {
          expect({ protocol: l.protocol, port: l.port, mode: l.tls?.mode }).toEqual({ protocol: 'HTTPS', port: 443, mode: 'Terminate' });
          expect(l.tls?.certificateRefs).toEqual([{ kind: 'Secret', name: `${g.metadata.name}-${l.name}-tls` }]);
        } else {
          expect({ protocol: l.protocol, port: l.port, tls: l.tls }).toEqual({ protocol: 'HTTP', port: 80, tls: undefined });
        }
      }
    }
  });
});

describe('the route matcher itself', () => {
  it('matches path prefixes by whole elements and regular expressions as full matches', () => {
    expect(pathMatches('PathPrefix', '/vpn', '/vpn')).toBe(true);
    expect(pathMatches('PathPrefix', '/vpn', '/vpn/config')).toBe(true);
    expect(pathMatches('PathPrefix', '/vpn', '/vpnx')).toBe(false);
    expect(pathMatches('PathPrefix', '/', '/anything')).toBe(true);
    expect(pathMatches('Exact', '/locations', '/locations/x')).toBe(false);
    expect(pathMatches('RegularExpression', '/nodes/[^/]+/pulse', '/nodes/a/pulse')).toBe(true);
    expect(pathMatches('RegularExpression', '/nodes/[^/]+/pulse', '/x/nodes/a/pulse')).toBe(false);
    expect(pathMatches('RegularExpression', '/nodes/[^/]+/pulse', '/nodes/a/pulse/more')).toBe(false);
  });
});
