import { DatastoreName, Environment, ServiceName } from './environments';

/**
 * What each deployed service is, needs and may reach: the one place the privacy walls of
 * ARCHITECTURE.md are written down for Kubernetes. The NetworkPolicies, Secrets references,
 * ConfigMaps and routes are all derived from these specs.
 */

export type Side = 'identity' | 'network' | 'analytics' | 'jobs';

/** An environment variable taken from a Secret that is never in git (README "Secrets"). */
export interface SecretEnv {
  /** The variable, and the key in the Secret. */
  key: string;
  /** How the operator makes the value: random bytes, or something they already have. */
  source: 'random' | 'operator';
  /** What it is (the README table and the example script say it). */
  what: string;
  /** The service starts without it (the variable stays unset). */
  optional?: boolean;
}

/** Somewhere a workload may open connections to (DNS is added to every workload). */
export type Egress =
  | { kind: 'datastore'; store: DatastoreName }
  | { kind: 'service'; service: ServiceName }
  /** TCP to addresses outside the cluster's private ranges, on these ports only. */
  | { kind: 'internet'; ports: number[]; why: string };

export interface PathMatch {
  type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
}

export interface RouteSpec {
  /** HTTPRoute name. */
  name: string;
  /** The Gateway listener it attaches to. */
  listener: string;
  /** Rules of at most 8 matches each (Gateway API's limit). */
  rules: PathMatch[][];
}

export interface GatewaySpec {
  name: string;
  /** Listener name → host name. */
  listeners: (env: Environment) => Record<string, string>;
  routes: RouteSpec[];
}

/** A volume a service's pod mounts read-only (or, for the blocklist origin, read-write). */
export type Mount =
  /** A Secret created by the operator, never in git. */
  | { kind: 'secret'; name: string; mountPath: string; secretName: string; files: { key: string; what: string }[] }
  /** A ConfigMap created by the operator from public files (not rendered: its content is not ours). */
  | { kind: 'configMap'; name: string; mountPath: string; configMapName: string; files: { key: string; what: string }[] }
  /** A PersistentVolumeClaim rendered with the service. */
  | { kind: 'volume'; name: string; mountPath: string; claimName: string };

export interface ServiceSpec {
  name: ServiceName;
  side: Side;
  port: number;
  description: string;
  /** The built entry point inside the image (WORKDIR /app), without the Dockerfile's migration step. */
  main: string;
  /**
   * Seconds the gateway may still send new requests after the pod is marked terminating (endpoint
   * removal is not instant): the pod keeps serving that long before Nest starts to close.
   */
  preStopSeconds: number;
  /** Longest the process itself takes from SIGTERM to exit (why: see each spec). */
  drainSeconds: number;
  settings: (env: Environment) => Record<string, string>;
  secrets: SecretEnv[];
  mounts: (env: Environment) => Mount[];
  egress: Egress[];
  /** Other workloads of the namespace that call this one directly. */
  callers: ServiceName[];
  gateway?: GatewaySpec;
}

/**
 * Client-address headers a gateway removes before config-service and analytics-service (and
 * before auth-service: its limiter is at the gateway, the address goes no further). The first
 * three are the standard ones; the others are set by common proxies and CDNs and are just as
 * spoofable by a client. Gateway API allows 16 names.
 */
export const ADDRESS_HEADERS = [
  'X-Forwarded-For',
  'X-Real-IP',
  'Forwarded',
  'X-Original-Forwarded-For',
  'X-Client-IP',
  'X-Cluster-Client-IP',
  'Client-IP',
  'True-Client-IP',
  'CF-Connecting-IP',
  'Fastly-Client-IP',
  'X-Envoy-External-Address',
] as const;

const scheme = (env: Environment) => (env.tls ? 'https' : 'http');

const common = (port: number): Record<string, string> => ({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: String(port), LOG_LEVEL: 'info' });

/** Where the auth-service pod finds the Firebase service account (mounted from a Secret). */
export const FIREBASE_CREDENTIALS_DIR = '/var/run/secrets/phoenix/firebase';
/** Where the auth-service pod finds Apple's root certificates (mounted from a ConfigMap) in prod. */
export const APPLE_ROOTS_DIR = '/etc/phoenix/apple-roots';
/** Where job-worker publishes the blocklist (a ReadWriteMany volume). */
export const BLOCKLIST_ORIGIN_DIR = '/var/lib/phoenix/blocklist-origin';

export const SERVICES: Record<ServiceName, ServiceSpec> = {
  'auth-service': {
    name: 'auth-service',
    side: 'identity',
    port: 3001,
    description: 'identity, billing, token issuance (the Gatekeeper)',
    main: 'dist/apps/auth-service/src/main.js',
    preStopSeconds: 5,
    // In-flight requests finish (Stripe: 10 s timeout and one retry; Postgres statements 10 s),
    // the notifications worker gets 5 s (SHUTDOWN_WAIT_MS), then connections close.
    drainSeconds: 30,
    settings: (env) => ({
      ...common(3001),
      // CORS for the web app's origin only (API.md "Web").
      WEB_ORIGIN: env.webOrigin,
      FIREBASE_PROJECT_ID: `phoenix-${env.name}`,
      GOOGLE_APPLICATION_CREDENTIALS: `${FIREBASE_CREDENTIALS_DIR}/service-account.json`,
      ISSUER_REQUEST_URI: `${scheme(env)}://${env.hosts.auth}/token-request`,
      // The consumer issuer's name in GET /token-issuers: config-service's TOKEN_ISSUER_NAME (below).
      TOKEN_ISSUER_NAME: env.hosts.auth,
      STRIPE_CHECKOUT_SUCCESS_URL: `${env.webOrigin}/billing/success`,
      STRIPE_CHECKOUT_CANCEL_URL: `${env.webOrigin}/billing/cancel`,
      STRIPE_PORTAL_RETURN_URL: `${env.webOrigin}/account`,
      STRIPE_PRICE_MONTHLY: 'price_phoenix_monthly',
      STRIPE_PRICE_YEARLY: 'price_phoenix_yearly',
      MAIL_FROM: 'Phoenix VPN <no-reply@phoenix.example>',
      ...(env.tls ? { APPLE_ROOT_CERTIFICATES: `${APPLE_ROOTS_DIR}/AppleRootCA-G3.cer` } : {}),
    }),
    secrets: [
      { key: 'IDENTITY_DATABASE_URL', source: 'operator', what: 'postgres:// URL of the identity database, as its own role (phoenix_identity)' },
      { key: 'REDIS_URL', source: 'operator', what: 'redis:// or rediss:// URL as the phoenix_identity Redis user' },
      { key: 'STRIPE_SECRET_KEY', source: 'operator', what: 'Stripe API secret key' },
      { key: 'STRIPE_WEBHOOK_SECRET', source: 'operator', what: 'Stripe webhook signing secret' },
      { key: 'ISSUER_KEY_ENCRYPTION_KEY', source: 'random', what: '32 random bytes (hex): encrypts issuer private keys at rest; never rotate by re-creating' },
      { key: 'ADMIN_TOKEN', source: 'random', what: 'bearer token of auth-service admin endpoints' },
      { key: 'TENANT_JWT_SECRET', source: 'random', what: '32 random bytes (hex): signs B2B tenant users\' access tokens (HS256); re-creating it signs every tenant user out' },
      { key: 'SMTP_URL', source: 'operator', what: 'smtp(s):// URL of the mail relay for notifications', optional: true },
    ],
    mounts: (env) => [
      {
        kind: 'secret',
        name: 'firebase',
        mountPath: FIREBASE_CREDENTIALS_DIR,
        secretName: 'auth-service-firebase',
        files: [{ key: 'service-account.json', what: 'Firebase service account (JSON) for ID-token revocation checks' }],
      },
      ...(env.tls
        ? [
            {
              kind: 'configMap' as const,
              name: 'apple-roots',
              mountPath: APPLE_ROOTS_DIR,
              configMapName: 'auth-service-apple-roots',
              files: [{ key: 'AppleRootCA-G3.cer', what: 'Apple Root CA - G3 (public, from Apple PKI), for App Store notifications' }],
            },
          ]
        : []),
    ],
    egress: [
      { kind: 'datastore', store: 'identityPostgres' },
      { kind: 'datastore', store: 'redis' },
      { kind: 'internet', ports: [443], why: 'Firebase Auth (ID token and revocation checks), Stripe API, Apple (OCSP when enabled)' },
      { kind: 'internet', ports: [465, 587], why: 'SMTP submission for notifications (identity side only)' },
    ],
    callers: ['config-service'],
    gateway: {
      name: 'auth-gateway',
      listeners: (env) => ({ public: env.hosts.auth }),
      routes: [
        {
          name: 'auth-service-public',
          listener: 'public',
          rules: [
            [
              { type: 'Exact', value: '/.well-known/private-token-issuer-directory' },
              { type: 'Exact', value: '/token-request' },
              { type: 'Exact', value: '/auth/vpn-token' },
              { type: 'Exact', value: '/token-issuers' },
              { type: 'RegularExpression', value: '/tenants/[^/]+/\\.well-known/private-token-issuer-directory' },
            ],
            [
              { type: 'PathPrefix', value: '/account' },
              { type: 'PathPrefix', value: '/billing' },
              { type: 'PathPrefix', value: '/webhooks' },
              { type: 'PathPrefix', value: '/api/v1' },
            ],
          ],
        },
      ],
    },
  },
  'config-service': {
    name: 'config-service',
    side: 'network',
    port: 3002,
    description: 'locations, fleet, anonymous redemption (the Anonymizer)',
    main: 'dist/apps/config-service/src/main.js',
    preStopSeconds: 5,
    // In-flight redemptions finish (Postgres statements 10 s, Redis commands 3 s, one directory
    // fetch 10 s), the fleet reporter and lease timer stop, connections close.
    drainSeconds: 30,
    settings: (env) => ({
      ...common(3002),
      // Pod to pod inside the namespace (the NetworkPolicy allows config-service → auth-service:3001).
      ISSUER_DIRECTORY_URL: `http://auth-service.${env.namespace}.svc.cluster.local:3001/.well-known/private-token-issuer-directory`,
      // The TokenChallenge names the issuer clients know, not the in-cluster host of the URL above.
      TOKEN_ISSUER_NAME: env.hosts.auth,
      WEB_ORIGIN: env.webOrigin,
    }),
    secrets: [
      { key: 'NETWORK_DATABASE_URL', source: 'operator', what: 'postgres:// URL of the network database, as its own role (phoenix_network)' },
      { key: 'REDIS_URL', source: 'operator', what: 'redis:// or rediss:// URL as the phoenix_network Redis user' },
      { key: 'NODE_ENROLLMENT_TOKEN', source: 'random', what: 'bearer token node-daemons enroll with (also in each node’s /etc/phoenix/node-daemon.env)' },
      { key: 'ADMIN_TOKEN', source: 'random', what: 'bearer token of config-service admin endpoints' },
    ],
    mounts: () => [],
    egress: [
      { kind: 'datastore', store: 'networkPostgres' },
      { kind: 'datastore', store: 'redis' },
      { kind: 'service', service: 'auth-service' },
    ],
    callers: [],
    gateway: {
      name: 'config-gateway',
      listeners: (env) => ({ public: env.hosts.config, nodes: env.hosts.nodes }),
      routes: [
        {
          name: 'config-service-public',
          listener: 'public',
          rules: [
            [
              { type: 'Exact', value: '/locations' },
              { type: 'PathPrefix', value: '/vpn' },
            ],
          ],
        },
        {
          // node-daemons only, on their own host name. The admin endpoints under /nodes
          // (GET /nodes, POST /nodes/:id/drain, DELETE /nodes/:id) match none of these.
          name: 'config-service-nodes',
          listener: 'nodes',
          rules: [
            [
              { type: 'Exact', value: '/nodes/register', method: 'POST' },
              { type: 'RegularExpression', value: '/nodes/[^/]+/pulse', method: 'POST' },
              { type: 'RegularExpression', value: '/nodes/[^/]+/peers', method: 'GET' },
            ],
          ],
        },
      ],
    },
  },
  'analytics-service': {
    name: 'analytics-service',
    side: 'analytics',
    port: 3003,
    description: 'anonymous telemetry (the Observer)',
    main: 'dist/apps/analytics-service/src/main.js',
    preStopSeconds: 5,
    // In-flight ingests finish (a Redis append, 3 s), the inserter's last batch goes to ClickHouse
    // (10 s request timeout); what it could not insert stays queued for another replica.
    drainSeconds: 30,
    settings: () => ({ ...common(3003), K_ANONYMITY_MIN: '10', ANALYTICS_RETENTION_DAYS: '90' }),
    secrets: [
      { key: 'CLICKHOUSE_URL', source: 'operator', what: 'http(s):// URL of ClickHouse with the analytics user’s credentials' },
      { key: 'REDIS_URL', source: 'operator', what: 'redis:// or rediss:// URL as the phoenix_analytics Redis user' },
      { key: 'ADMIN_TOKEN', source: 'random', what: 'bearer token of /v1/stats and /dashboard' },
    ],
    mounts: () => [],
    egress: [
      { kind: 'datastore', store: 'clickhouse' },
      { kind: 'datastore', store: 'redis' },
    ],
    callers: [],
    gateway: {
      name: 'analytics-gateway',
      listeners: (env) => ({ public: env.hosts.analytics }),
      routes: [{ name: 'analytics-service-public', listener: 'public', rules: [[{ type: 'Exact', value: '/v1/events' }]] }],
    },
  },
  'job-worker': {
    name: 'job-worker',
    side: 'jobs',
    port: 3004,
    description: 'BullMQ schedules and commands; the blocklist compile',
    main: 'dist/apps/job-worker/src/main.js',
    // No gateway routes to it: nothing to keep serving after SIGTERM.
    preStopSeconds: 0,
    // BullMQ's worker close waits for running jobs: a command waits up to JOBS_COMMAND_TIMEOUT_MS
    // (60 s) for its owner's reply; a blocklist compile fetches for up to 60 s, then builds and
    // publishes. A job cut off anyway is taken up again after JOBS_LOCK_MS.
    drainSeconds: 90,
    settings: () => ({
      ...common(3004),
      JOBS_COMMAND_TIMEOUT_MS: '60000',
      BLOCKLIST_ORIGIN_DIR,
      BLOCKLIST_COMPILE_AT_START: 'if-missing',
    }),
    secrets: [
      { key: 'REDIS_URL', source: 'operator', what: 'redis:// or rediss:// URL as the phoenix_jobs Redis user' },
      { key: 'ADMIN_TOKEN', source: 'random', what: 'bearer token of Bull Board (/admin/queues)' },
      { key: 'BLOCKLIST_SIGNING_KEY', source: 'random', what: 'Ed25519 seed (32 random bytes, hex) the blocklist manifest is signed with; apps pin its public key' },
    ],
    mounts: () => [{ kind: 'volume', name: 'blocklist-origin', mountPath: BLOCKLIST_ORIGIN_DIR, claimName: 'blocklist-origin' }],
    egress: [
      { kind: 'datastore', store: 'redis' },
      { kind: 'internet', ports: [443], why: 'the blocklist source (BLOCKLIST_SOURCE_URL), fetched by blocklist.compile' },
    ],
    callers: [],
  },
};

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** A database migration, run once per deploy as a Job before the services roll (README "Apply"). */
export interface MigrationSpec {
  name: string;
  side: Side;
  /** The service whose image and Secret it uses. */
  image: ServiceName;
  script: string;
  secretKey: string;
  store: DatastoreName;
}

export const MIGRATIONS: MigrationSpec[] = [
  {
    name: 'migrate-identity',
    side: 'identity',
    image: 'auth-service',
    script: 'dist/apps/auth-service/src/database/migrate.js',
    secretKey: 'IDENTITY_DATABASE_URL',
    store: 'identityPostgres',
  },
  {
    name: 'migrate-network',
    side: 'network',
    image: 'config-service',
    script: 'dist/apps/config-service/src/database/migrate.js',
    secretKey: 'NETWORK_DATABASE_URL',
    store: 'networkPostgres',
  },
  {
    name: 'migrate-clickhouse',
    side: 'analytics',
    image: 'analytics-service',
    script: 'dist/apps/analytics-service/src/database/migrate.js',
    secretKey: 'CLICKHOUSE_URL',
    store: 'clickhouse',
  },
];
