/**
 * The two deploy targets. Everything that differs between `dev` and `prod` is here; the rest of
 * the generator is the same code for both. Host names are examples under `phoenix.example`
 * (RFC 2606): an operator puts the real ones here and renders again (README "Render").
 */

export type EnvironmentName = 'dev' | 'prod';

/** The four services deployed in the cluster (node-daemon runs on the VPN servers: README). */
export type ServiceName = 'auth-service' | 'config-service' | 'analytics-service' | 'job-worker';

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface Scale {
  /** HPA minimum (and the Deployment's initial replicas). */
  minReplicas: number;
  maxReplicas: number;
  /** Average CPU utilization (percent of the request) the HPA aims at. */
  cpuTarget: number;
  resources: Resources;
}

export interface Datastore {
  /** Value of the `phoenix.dev/datastore` label on the datastore's pods in the data namespace. */
  label: string;
  port: number;
}

export interface Environment {
  name: EnvironmentName;
  /** Where the services, their gateways' routes and their policies live. */
  namespace: string;
  /** Where the datastores run (README "Datastores"). */
  dataNamespace: string;
  /** Where the Gateway implementation runs the proxies of this environment's Gateways. */
  gatewayProxyNamespace: string;
  /** Where Prometheus runs. */
  monitoringNamespace: string;
  gatewayClassName: string;
  /** HTTPS listeners (certificates from the `<gateway>-tls` Secrets) or plain HTTP ones. */
  tls: boolean;
  hosts: { auth: string; config: string; nodes: string; analytics: string };
  /** Where the web app is served: the one CORS origin of auth-service and config-service, and Stripe's return URLs. */
  webOrigin: string;
  image: { registry: string; tag: string };
  /** Spread replicas over zones and hosts. */
  spread: boolean;
  /** The job-worker's blocklist origin volume: size and an RWX-capable storage class. */
  blocklistOrigin: { size: string; storageClassName: string };
  scale: Record<ServiceName, Scale>;
  /** Non-secret settings that differ per environment, merged over each service's own. */
  settings: Partial<Record<ServiceName, Record<string, string>>>;
}

/** The datastores the services reach (same labels and ports in both environments). */
export const DATASTORES = {
  identityPostgres: { label: 'identity-postgres', port: 5432 },
  networkPostgres: { label: 'network-postgres', port: 5432 },
  redis: { label: 'redis', port: 6379 },
  clickhouse: { label: 'clickhouse', port: 8123 },
} as const satisfies Record<string, Datastore>;

export type DatastoreName = keyof typeof DATASTORES;

const small = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): Resources => ({
  requests: { cpu, memory },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

export const ENVIRONMENTS: Record<EnvironmentName, Environment> = {
  dev: {
    name: 'dev',
    namespace: 'phoenix-dev',
    dataNamespace: 'phoenix-dev-data',
    gatewayProxyNamespace: 'phoenix-dev-gateway',
    monitoringNamespace: 'monitoring',
    gatewayClassName: 'phoenix',
    tls: false,
    hosts: {
      auth: 'auth.dev.phoenix.example',
      config: 'config.dev.phoenix.example',
      nodes: 'nodes.dev.phoenix.example',
      analytics: 'analytics.dev.phoenix.example',
    },
    webOrigin: 'http://app.dev.phoenix.example',
    image: { registry: 'registry.phoenix.example/phoenix', tag: '0.1.0' },
    spread: false,
    blocklistOrigin: { size: '1Gi', storageClassName: 'phoenix-rwx' },
    scale: {
      'auth-service': { minReplicas: 1, maxReplicas: 2, cpuTarget: 75, resources: small('100m', '192Mi', '1', '384Mi') },
      'config-service': { minReplicas: 1, maxReplicas: 2, cpuTarget: 75, resources: small('100m', '160Mi', '500m', '320Mi') },
      'analytics-service': { minReplicas: 1, maxReplicas: 2, cpuTarget: 75, resources: small('100m', '160Mi', '500m', '320Mi') },
      'job-worker': { minReplicas: 1, maxReplicas: 1, cpuTarget: 75, resources: small('50m', '192Mi', '500m', '384Mi') },
    },
    settings: {
      'auth-service': { LOG_LEVEL: 'debug', SIGNING_WORKERS: '1', APPLE_ENVIRONMENT: 'Sandbox' },
      'config-service': { LOG_LEVEL: 'debug' },
      'analytics-service': { LOG_LEVEL: 'debug' },
      'job-worker': { LOG_LEVEL: 'debug' },
    },
  },
  prod: {
    name: 'prod',
    namespace: 'phoenix',
    dataNamespace: 'phoenix-data',
    gatewayProxyNamespace: 'phoenix-gateway',
    monitoringNamespace: 'monitoring',
    gatewayClassName: 'phoenix',
    tls: true,
    hosts: {
      auth: 'auth.phoenix.example',
      config: 'config.phoenix.example',
      nodes: 'nodes.phoenix.example',
      analytics: 'analytics.phoenix.example',
    },
    webOrigin: 'https://app.phoenix.example',
    image: { registry: 'registry.phoenix.example/phoenix', tag: '0.1.0' },
    spread: true,
    blocklistOrigin: { size: '5Gi', storageClassName: 'phoenix-rwx' },
    scale: {
      // Blind RSA signing is the CPU-bound path: two cores a replica, one signing worker each.
      'auth-service': { minReplicas: 3, maxReplicas: 12, cpuTarget: 65, resources: small('1', '512Mi', '2', '1Gi') },
      'config-service': { minReplicas: 3, maxReplicas: 20, cpuTarget: 65, resources: small('500m', '384Mi', '1', '768Mi') },
      'analytics-service': { minReplicas: 2, maxReplicas: 10, cpuTarget: 70, resources: small('250m', '384Mi', '1', '768Mi') },
      'job-worker': { minReplicas: 2, maxReplicas: 4, cpuTarget: 75, resources: small('250m', '384Mi', '1', '1Gi') },
    },
    settings: {
      'auth-service': { LOG_LEVEL: 'info', SIGNING_WORKERS: '2', APPLE_ENVIRONMENT: 'Production' },
      'config-service': { LOG_LEVEL: 'info' },
      'analytics-service': { LOG_LEVEL: 'info' },
      'job-worker': { LOG_LEVEL: 'info' },
    },
  },
};
