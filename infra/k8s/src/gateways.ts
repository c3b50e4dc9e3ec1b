import { Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { Environment } from './environments';
import { LABEL, labelsOf } from './labels';
import { ADDRESS_HEADERS, GatewaySpec, ServiceSpec } from './services';

/** The Secret (type kubernetes.io/tls, not in git) a prod listener's certificate comes from. */
export function tlsSecretName(gateway: string, listener: string): string {
  return `${gateway}-${listener}-tls`;
}

/**
 * One Gateway per public service, so each has its own proxies, addresses, limits and logs
 * (ARCHITECTURE.md "per-service gateways"). Only routes of its own namespace attach.
 */
export function gateway(env: Environment, spec: ServiceSpec, gw: GatewaySpec): Gateway {
  return new Gateway({
    metadata: {
      name: gw.name,
      namespace: env.namespace,
      labels: { ...labelsOf(gw.name, 'api', spec.side), [LABEL.gateway]: gw.name },
    },
    spec: {
      gatewayClassName: env.gatewayClassName,
      listeners: Object.entries(gw.listeners(env)).map(([name, hostname]) => ({
        name,
        hostname,
        ...(env.tls
          ? {
              port: 443,
              protocol: 'HTTPS',
              tls: { mode: 'Terminate' as const, certificateRefs: [{ kind: 'Secret', name: tlsSecretName(gw.name, name) }] },
            }
          : { port: 80, protocol: 'HTTP' }),
        allowedRoutes: { namespaces: { from: 'Same' as const }, kinds: [{ kind: 'HTTPRoute' }] },
      })),
    },
  });
}

/**
 * The routes of a gateway: an allow-list of the public paths (Gateway API has no "everything but"),
 * so the admin paths, /metrics, /docs and /health are never routed. Every rule removes the
 * client-address headers before the backend.
 */
export function routes(env: Environment, spec: ServiceSpec, gw: GatewaySpec): HTTPRoute[] {
  const hosts = gw.listeners(env);
  return gw.routes.map(
    (r) =>
      new HTTPRoute({
        metadata: { name: r.name, namespace: env.namespace, labels: labelsOf(r.name, 'api', spec.side) },
        spec: {
          parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw.name, sectionName: r.listener }],
          hostnames: [hosts[r.listener]],
          rules: r.rules.map((matches) => ({
            matches: matches.map((m) => ({ path: { type: m.type, value: m.value }, ...(m.method ? { method: m.method } : {}) })),
            filters: [{ type: 'RequestHeaderModifier' as const, requestHeaderModifier: { remove: [...ADDRESS_HEADERS] } }],
            backendRefs: [{ kind: 'Service', name: spec.name, port: spec.port }],
          })),
        },
      }),
  );
}
