import type { IGateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';

/**
 * Which backend, if any, a request to a Gateway reaches under HTTPRoutes (gateway.networking.k8s.io/v1):
 * the listener for the Host, the routes attached to that listener (parentRef name and sectionName)
 * with that host name, then the first rule with a matching path and method. Paths: `Exact` is
 * equality, `PathPrefix` matches whole path elements (`/vpn` matches `/vpn` and `/vpn/config`, not
 * `/vpnx`), `RegularExpression` is read as a full match (the anchoring Envoy, NGINX and HAProxy
 * based implementations use). Precedence between routes does not matter here: the question asked
 * is only whether some route sends the request to a backend.
 */

export interface Request {
  host: string;
  method: string;
  path: string;
}

export interface Routed {
  route: string;
  backend: string;
  port: number;
  removedHeaders: string[];
}

export function pathMatches(type: string | undefined, value: string | undefined, path: string): boolean {
  const v = value ?? '/';
  switch (type ?? 'PathPrefix') {
    case 'Exact':
      return path === v;
    case 'PathPrefix': {
      const prefix = v.length > 1 ? v.replace(/\/$/, '') : v;
      return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
    }
    case 'RegularExpression':
      return new RegExp(`^(?:${v})$`).test(path);
    default:
      throw new Error(`unknown path match type ${type}`);
  }
}

/** Where a request sent to `gateway` goes, or null when no route takes it (the gateway answers 404). */
export function route(gateway: IGateway, routes: IHTTPRoute[], req: Request): Routed | null {
  const listeners = gateway.spec.listeners.filter((l) => !l.hostname || l.hostname === req.host);
  for (const listener of listeners) {
    for (const r of routes) {
      const attached = (r.spec?.parentRefs ?? []).some((p) => p.name === gateway.metadata?.name && (!p.sectionName || p.sectionName === listener.name));
      if (!attached) continue;
      if (r.spec?.hostnames?.length && !r.spec.hostnames.includes(req.host)) continue;
      for (const rule of r.spec?.rules ?? []) {
        const matches = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix' as const, value: '/' } }];
        const hit = matches.some((m) => pathMatches(m.path?.type, m.path?.value, req.path) && (!m.method || m.method === req.method));
        if (!hit) continue;
        const backend = rule.backendRefs?.[0];
        if (!backend) return null;
        const removed = (rule.filters ?? []).flatMap((f) => (f.type === 'RequestHeaderModifier' ? (f.requestHeaderModifier?.remove ?? []) : []));
        return { route: r.metadata?.name ?? '', backend: backend.name, port: backend.port ?? 0, removedHeaders: removed };
      }
    }
  }
  return null;
}
