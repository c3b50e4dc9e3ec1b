import { ConfigOf, baseShape, env } from '@phoenix/common';
import { z } from 'zod';

const DAY = 24 * 60 * 60;

/** Comma-separated IP addresses (validated for shape here, parsed for real by @phoenix/wireguard). */
const ipList = z
  .string()
  .regex(/^[0-9a-fA-F.:]+(\s*,\s*[0-9a-fA-F.:]+)*$/, { message: 'must be a comma-separated list of IP addresses' })
  .transform((v) => v.split(',').map((s) => s.trim()));

/**
 * config-service environment. No identity credential exists here (privacy invariant 1): the only
 * link to the identity side is the public issuer directory URL.
 */
export const configShape = {
  ...baseShape(3002),
  NETWORK_DATABASE_URL: env.url(['postgres:', 'postgresql:']),
  REDIS_URL: env.redisUrl(),
  ISSUER_DIRECTORY_URL: env.url(['http:', 'https:']),
  /**
   * auth-service's `GET /token-issuers` (every issuer: the consumer's and each tenant's, with the
   * tenant and its plan's lease TTL); default: the origin of ISSUER_DIRECTORY_URL + `/token-issuers`.
   */
  TOKEN_ISSUERS_URL: env.url(['http:', 'https:']).optional(),
  /** The web app's origin (API.md "Web"): the only origin CORS answers; unset, no CORS at all. */
  WEB_ORIGIN: env.origin().optional(),
  NODE_ENROLLMENT_TOKEN: env.secret('dev-node-enrollment-token'),
  ADMIN_TOKEN: env.secret('dev-admin-token-config-service'),
  /** issuer_name of the TokenChallenge; default: the host of ISSUER_DIRECTORY_URL. */
  TOKEN_ISSUER_NAME: z.string().min(1).max(255).optional(),
  /** origin_info of the TokenChallenge. */
  TOKEN_ORIGIN_INFO: z
    .string()
    .regex(/^[^,\s]{1,255}$/, { message: 'must be one origin name without commas or spaces' })
    .default('phoenix-vpn'),
  /**
   * Prefix of every Redis key this service writes (suites use their own on a shared Redis). Under
   * `network:`, the only keys the network side's Redis user may touch (README "Redis users").
   */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^network:[A-Za-z0-9_:.-]{0,56}$/, { message: 'must be network: then up to 56 characters of [A-Za-z0-9_:.-]' })
    .default('network:'),
  /**
   * How long a spent token is remembered, counted from its key's not-before and rounded up to a UTC
   * midnight: longer than any key is listed (15 days and 5 minutes). Redis's mark expires then
   * (`EXAT`) and the Postgres nullifier is deleted from that day.
   */
  SPENT_TOKEN_TTL_SEC: env.int(16 * DAY, 60),
  /** Lifetime of a lease (and so of a WireGuard config). */
  LEASE_TTL_SEC: env.int(DAY, 60, 30 * DAY),
  /** DNS servers handed to clients; default: the node's tunnel gateway addresses. */
  VPN_DNS: ipList.optional(),
  /** Pulse interval told to nodes at registration. */
  PULSE_INTERVAL_SEC: env.int(30, 1, 3600),
  /**
   * The one timer config-service keeps: every replica expires leases (and forgets nullifiers) this
   * often by itself, so leases are deleted when they expire (privacy invariant 5) even while
   * job-worker, which sends `network.leases.expire` every minute, is down. Long on purpose: it is a
   * fallback, not the schedule. Node reaping has no fallback. 0 = off.
   */
  MAINTENANCE_FALLBACK_INTERVAL_SEC: env.int(15 * 60, 0, DAY),
  /** A node with no pulse for this long is dead: unselectable, its leases ended. */
  NODE_DEAD_AFTER_SEC: env.int(90, 1, DAY),
  /** A dead node still silent this much longer is decommissioned (it must enroll again). */
  NODE_DECOMMISSION_GRACE_SEC: env.int(DAY, 0, 30 * DAY),
  /** Ephemeral nodes are decommissioned at this age (from their first registration). */
  EPHEMERAL_MAX_AGE_SEC: env.int(DAY, 60, 30 * DAY),
  /** Least time between two directory fetches caused by tokens naming an unknown key. */
  ISSUER_DIRECTORY_MIN_REFRESH_SEC: env.int(10, 0, 3600),
  /** Postgres pool size per process. */
  NETWORK_DB_POOL_SIZE: env.int(10, 1, 200),
};

export type NetworkConfig = ConfigOf<typeof configShape>;
