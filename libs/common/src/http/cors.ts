// CORS for the web app (API.md "Web"): a service answers cross-origin requests from exactly one
// origin, WEB_ORIGIN, and from nothing else; without it, no CORS header is ever sent. No
// credentials (cookies) are allowed: the pages authenticate with headers only (a Firebase ID token
// as Bearer to auth-service, a PrivateToken to config-service).
import type { FastifyInstance } from 'fastify';

export interface CorsPolicy {
  /** The one allowed origin, exactly (scheme, host and port; no path). */
  origin: string;
  methods: readonly string[];
  /** Request headers the pages may send. */
  headers: readonly string[];
  /** Response headers the pages may read (Retry-After for QUOTA_EXCEEDED, WWW-Authenticate for the token challenge). */
  expose: readonly string[];
  /** How long a browser may cache a preflight's answer. */
  maxAgeSec: number;
}

/** The web app's policy for `origin` (WEB_ORIGIN), or none when it is unset. */
export function webCorsPolicy(origin: string | undefined, methods: readonly string[]): CorsPolicy | undefined {
  if (!origin) return undefined;
  return { origin, methods, headers: ['authorization', 'content-type'], expose: ['retry-after', 'www-authenticate'], maxAgeSec: 600 };
}

export interface CorsRequest {
  method: string;
  origin: string | undefined;
  /** `Access-Control-Request-Method` of a preflight. */
  requestMethod: string | undefined;
  /** `Access-Control-Request-Headers` of a preflight. */
  requestHeaders: string | undefined;
}

export interface CorsAnswer {
  headers: Record<string, string>;
  /** A preflight this policy answers itself (204) instead of routing it. */
  preflight: boolean;
}

/**
 * What a request gets under `policy`: `Vary: Origin` always (a cache must not hand one origin's
 * answer to another); the allow headers only when the Origin is exactly the allowed one; a
 * preflight from it answered directly, and only for the policy's methods and headers (anything
 * else gets no allow headers and the browser refuses the request).
 */
export function corsAnswer(policy: CorsPolicy, req: CorsRequest): CorsAnswer {
  const headers: Record<string, string> = { vary: 'Origin' };
  const isPreflight = req.method === 'OPTIONS' && req.requestMethod !== undefined;
  if (req.origin !== policy.origin) return { headers, preflight: false };
  if (isPreflight) {
    const method = (req.requestMethod ?? '').toUpperCase();
    const asked = (req.requestHeaders ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const allowed = policy.methods.includes(method) && asked.every((h) => policy.headers.includes(h));
    if (!allowed) return { headers, preflight: true };
    return {
      preflight: true,
      headers: {
        ...headers,
        'access-control-allow-origin': policy.origin,
        'access-control-allow-methods': policy.methods.join(', '),
        'access-control-allow-headers': policy.headers.join(', '),
        'access-control-max-age': String(policy.maxAgeSec),
      },
    };
  }
  return { preflight: false, headers: { ...headers, 'access-control-allow-origin': policy.origin, 'access-control-expose-headers': policy.expose.join(', ') } };
}

/** Applies `policy` to every request Fastify routes (the raw routes apply it themselves: `RawRouter`). */
export function installCors(fastify: FastifyInstance, policy: CorsPolicy): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    const one = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const answer = corsAnswer(policy, {
      method: req.method,
      origin: one('origin'),
      requestMethod: one('access-control-request-method'),
      requestHeaders: one('access-control-request-headers'),
    });
    reply.headers(answer.headers);
    if (answer.preflight) {
      void reply.code(204).send();
      return;
    }
    done();
  });
}
