import { availableParallelism } from 'node:os';
import { ConfigOf, baseShape, env } from '@phoenix/common';
import { z } from 'zod';

const optionalUrl = (protocols: string[]) => env.url(protocols).optional();

/** A Stripe billing meter's `event_name` (at most 100 characters), or `off`: that metric is not reported. */
const meterEventName = (defaultName: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/, { message: 'must be a meter event name (1-100 of A-Za-z0-9_.:-) or off' })
    .default(defaultName);

/** auth-service environment (API.md "Environment"); parsed once at start. */
export const configShape = {
  ...baseShape(3001),
  IDENTITY_DATABASE_URL: env.url(['postgres:', 'postgresql:']),
  REDIS_URL: env.redisUrl(),
  /**
   * Prefix of every Redis key this service writes (quota counters); one per test suite. Under
   * `identity:`, the only keys the identity side's Redis user may touch (README "Redis users").
   */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^identity:[\w:.-]{0,55}$/, { message: 'must be identity: then up to 55 characters of [A-Za-z0-9_:.-]' })
    .default('identity:'),
  /**
   * Prefix of the BullMQ queues (the `notifications` queue, consumed on the identity side), under
   * `identity:` too, with a `{hash tag}` so that every key of the queue lands in one slot of a
   * Redis Cluster (BullMQ's scripts name several; on a cluster an untagged prefix is refused).
   */
  BULLMQ_PREFIX: z
    .string()
    .regex(/^identity:(?=.{1,55}$)[\w:.-]*(\{[\w.-]+\}[\w:.-]*)?$/, { message: 'must be identity: then 1-55 characters of [A-Za-z0-9_:.-] with at most one {hash tag}' })
    .default('identity:{bull}'),
  /** The web app's origin (API.md "Web"): the only origin CORS answers; unset, no CORS at all. */
  WEB_ORIGIN: env.origin().optional(),
  FIREBASE_PROJECT_ID: z.string().regex(/^[a-z0-9-]{4,40}$/, { message: 'must be a Firebase project id' }),
  FIREBASE_AUTH_EMULATOR_HOST: z.string().regex(/^[\w.-]+:\d+$/, { message: 'must be host:port' }).optional(),
  STRIPE_SECRET_KEY: env.secret('dev-stripe-secret-key-not-real'),
  STRIPE_WEBHOOK_SECRET: env.secret('dev-stripe-webhook-secret-not-real'),
  /** Where the Stripe client sends API calls (tests point it at a local stand-in). Default: Stripe. */
  STRIPE_API_URL: optionalUrl(['http:', 'https:']),
  STRIPE_PRICE_MONTHLY: z.string().min(1).default('price_dev_monthly'),
  STRIPE_PRICE_YEARLY: z.string().min(1).default('price_dev_yearly'),
  STRIPE_CHECKOUT_SUCCESS_URL: env.url(['http:', 'https:']).default('http://localhost:3000/billing/success'),
  STRIPE_CHECKOUT_CANCEL_URL: env.url(['http:', 'https:']).default('http://localhost:3000/billing/cancel'),
  STRIPE_PORTAL_RETURN_URL: env.url(['http:', 'https:']).default('http://localhost:3000/account'),
  /** Comma-separated paths of the trusted Apple root certificates (PEM or DER). Unset: Apple webhooks answer 503. */
  APPLE_ROOT_CERTIFICATES: z.string().min(1).optional(),
  APPLE_BUNDLE_ID: z.string().min(1).default('com.phoenix.vpn'),
  APPLE_ENVIRONMENT: z.enum(['Production', 'Sandbox']).default('Sandbox'),
  /** The app's Apple id; required by Apple's verifier in production. */
  APPLE_APP_APPLE_ID: z.coerce.number().int().positive().optional(),
  /** OCSP revocation checks of Apple's certificate chain (needs network). */
  APPLE_ONLINE_CHECKS: env.bool(false),
  /** Product ids of the yearly plan (comma-separated); every other product counts as monthly. */
  APPLE_PRODUCT_YEARLY: z.string().default('com.phoenix.vpn.yearly'),
  ISSUER_KEY_ENCRYPTION_KEY: env.secret('dev-issuer-key-encryption-key-not-real'),
  /** How long a key signs (days). */
  ISSUER_KEY_ROTATION_DAYS: env.int(7, 1, 90),
  /** How long a retired key stays listed so its tokens stay redeemable (days). */
  TOKEN_REDEEM_WINDOW_DAYS: env.int(7, 1, 90),
  /** How long a replica trusts its in-memory copy of the issuer keys (seconds). */
  ISSUER_KEY_CACHE_SECONDS: env.int(30, 0, 3600),
  /** The `issuer-request-uri` of the directory (absolute or a path). */
  ISSUER_REQUEST_URI: z.string().min(1).default('/token-request'),
  /**
   * The consumer issuer's name in `GET /token-issuers`: the same value as config-service's
   * `TOKEN_ISSUER_NAME` (its TokenChallenge's issuer_name). A tenant's issuer is named
   * `<TOKEN_ISSUER_NAME>/tenants/<tenantId>` (at most 255 characters with the suffix).
   */
  TOKEN_ISSUER_NAME: z
    .string()
    .regex(/^[\x21-\x7e]{1,210}$/, { message: 'must be 1-210 printable ASCII characters without spaces' })
    .default('phoenix-issuer'),
  TOKEN_QUOTA_PER_DAY: env.int(48, 1, 10_000_000),
  /** Worker threads doing the RSA private operation; 0 signs on the main thread. */
  SIGNING_WORKERS: env.int(availableParallelism(), 0, 64),
  TRIAL_DAYS: env.int(7, 1, 90),
  PAST_DUE_GRACE_DAYS: env.int(3, 0, 60),
  /**
   * How long a positive ID-token check (signature, expiry and the revoked/disabled lookup) is
   * remembered, in milliseconds. 0 checks every request with Firebase.
   */
  FIREBASE_CHECK_CACHE_MS: env.int(0, 0, 300_000),
  /**
   * How long a replica trusts a positive entitlement check on the issuance path, in
   * milliseconds (never past the entitlement's own end). Changes made through this replica apply
   * at once; a revocation made through another replica applies within this bound. 0 = always ask
   * Postgres.
   */
  ENTITLEMENT_CACHE_MS: env.int(2000, 0, 60_000),
  ADMIN_TOKEN: env.secret('dev-admin-token-auth-service'),
  /** HMAC key (HS256) of tenant users' access tokens (API.md "B2B tenants"); at least 32 characters. */
  TENANT_JWT_SECRET: env.secret('dev-tenant-jwt-secret-not-real-0123456789', 32),
  /** How long a tenant user's refresh token (and its family) lives without use (days). */
  TENANT_REFRESH_TTL_DAYS: env.int(30, 1, 365),
  /** Tenant-user logins one API key may attempt per minute (all accounts together). */
  TENANT_LOGIN_PER_KEY_PER_MINUTE: env.int(600, 1, 1_000_000),
  /** Logins one account (tenant + email) may attempt per 15 minutes. */
  TENANT_LOGIN_PER_ACCOUNT_PER_15_MIN: env.int(10, 1, 10_000),
  /**
   * Where notification mails go: `smtp://[user:pass@]host:port` (STARTTLS when offered) or
   * `smtps://` (TLS from the start). The local stack's sink is `smtp://127.0.0.1:52525`. Unset:
   * this process does not consume the `notifications` queue (its jobs wait for a process that does).
   */
  SMTP_URL: env.url(['smtp:', 'smtps:']).optional(),
  /** The From of notification mails. */
  MAIL_FROM: z
    .string()
    .regex(/^[^\r\n<>]{0,64}<[^\s<>@]+@[^\s<>@]+>$|^[^\s<>@]+@[^\s<>@]+$/, { message: 'must be an address, or a name and <address>' })
    .default('Phoenix VPN <no-reply@phoenix.invalid>'),
  /** Notification jobs this process sends at once; 0: it does not consume the queue even with SMTP_URL set. */
  NOTIFICATIONS_CONCURRENCY: env.int(4, 0, 64),
  /** Attempts of a notification job before it stays in the queue's failed list. */
  NOTIFICATIONS_ATTEMPTS: env.int(5, 1, 20),
  /** First retry delay of a notification job (ms); each next one doubles. */
  NOTIFICATIONS_BACKOFF_MS: env.int(10_000, 10, 3_600_000),
  /** `identity.notifications.trial-ending` notices trials ending within this many days. */
  TRIAL_ENDING_NOTICE_DAYS: env.int(2, 1, 30),
  /**
   * `identity.billing.reconcile` re-reads a Stripe subscription whose last provider event is
   * older than this many hours, or which is active/trialing/canceled past its period end.
   */
  BILLING_RECONCILE_STALE_HOURS: env.int(24, 1, 24 * 90),
  /** Subscriptions one `identity.billing.reconcile` run re-reads at most (the oldest first). */
  BILLING_RECONCILE_BATCH: env.int(200, 1, 10_000),
  /**
   * How long `GET /api/v1/usage` and the monthly usage report wait for analytics-service's answer
   * to `analytics.tenant-usage.query` (ms); then `503 UNAVAILABLE`.
   */
  ANALYTICS_QUERY_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /**
   * The monthly tenant usage report (`identity.billing.tenant-usage`): the Stripe billing meter
   * `event_name` of each metric (a meter with that name must exist in Stripe, summing `value` per
   * `stripe_customer_id`), or `off` to report none of that metric.
   */
  STRIPE_METER_CONNECTIONS: meterEventName('phoenix_tenant_connections'),
  STRIPE_METER_CONNECTION_HOURS: meterEventName('phoenix_tenant_connection_hours'),
  STRIPE_METER_GIGABYTES: meterEventName('phoenix_tenant_gigabytes'),
  /** Tenants the monthly usage report handles at once (each: one analytics read, up to three Stripe calls). */
  TENANT_USAGE_REPORT_CONCURRENCY: env.int(4, 1, 32),
};

export type AuthConfig = ConfigOf<typeof configShape>;
