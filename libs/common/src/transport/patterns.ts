/**
 * Message patterns of the Redis transport (`@nestjs/microservices`, Transport.REDIS). One place
 * for every name, so a sender and its handler can never disagree on a string.
 */
export const Patterns = {
  /** Liveness round trip between services: `{from}` → `{service, at}`. */
  PING: 'platform.ping',
  /** job-worker → auth-service: rotate issuer keys. */
  ISSUER_ROTATE: 'identity.issuer-keys.rotate',
  /** job-worker → auth-service: re-read from Stripe the subscriptions whose state may be stale. */
  BILLING_RECONCILE: 'identity.billing.reconcile',
  /** job-worker → auth-service: enqueue the notice of each trial ending soon, once per trial. */
  TRIAL_ENDING: 'identity.notifications.trial-ending',
  /** job-worker → config-service: delete expired leases and remove their peers. */
  LEASES_EXPIRE: 'network.leases.expire',
  /** job-worker → config-service: reap nodes that stopped pulsing or expired. */
  NODES_REAP: 'network.nodes.reap',
  /** job-worker → analytics-service: drop partitions past the retention period. */
  ANALYTICS_RETENTION: 'analytics.retention',
  /**
   * config-service → analytics-service (event): running totals of redemption outcomes and node load
   * per location and hour (`FleetReport`). No identifiers. Sent again periodically; the latest
   * report for an (hour, location) replaces earlier ones, so a lost or repeated one is harmless.
   */
  ANALYTICS_FLEET_REPORT: 'analytics.fleet.report',
  /**
   * config-service → analytics-service (event): running totals per tenant and UTC day —
   * connections, connection seconds, bytes (`TenantUsageReport`). Tenant ids, days and numbers
   * only. Sent again on every fleet report; the latest for a (day, tenant) replaces earlier ones.
   */
  ANALYTICS_TENANT_USAGE: 'analytics.tenant.usage',
  /** job-worker → config-service: send the fleet totals and tenant usage to analytics-service. */
  FLEET_REPORT: 'network.fleet.report',
  /**
   * auth-service → analytics-service (request/reply): one tenant's days of `tenant_usage_daily`
   * (`TenantUsageQuery` → `TenantUsageQueryReply`). The identity side's Redis user may publish this
   * one analytics pattern and hear its replies, and no other analytics channel.
   */
  ANALYTICS_TENANT_USAGE_QUERY: 'analytics.tenant-usage.query',
  /**
   * job-worker → auth-service: report each tenant's previous month of usage to Stripe as billing
   * meter events, once per tenant, month and metric.
   */
  TENANT_USAGE_BILLING: 'identity.billing.tenant-usage',
  /**
   * job-worker's probe schedule (off unless `SCHEDULE_PROBE` is set): no service handles it; a
   * listener of one's own counts the runs (the scheduling specs, or an operator's check).
   */
  JOBS_PROBE: 'platform.jobs.probe',
  /**
   * config-service → node-daemons (event): a node's desired peer set changed. The prefix of the
   * per-node channels: each announcement goes on {@link peersChangedChannel} of its node only.
   */
  PEERS_CHANGED: 'network.node.peers-changed',
  /**
   * config-service → every config-service replica (event, no payload): a node row that selection
   * reads changed (a registration, a drain, a decommission, reaping, a pulse that changed a node's
   * health or status). Each replica drops the node rows it cached. Not a `network.node.*` channel:
   * node-daemons cannot hear it.
   */
  NODES_CHANGED: 'network.nodes.changed',
} as const;

export type Pattern = (typeof Patterns)[keyof typeof Patterns];

/**
 * The channel (and Redis-transport pattern) of one node's `peers-changed` announcements,
 * `network.node.peers-changed.<nodeId>`: a node-daemon SUBSCRIBEs to its own node's only, so an
 * announcement reaches one node instead of the whole fleet. Node ids are UUIDs; anything with
 * whitespace or glob characters is refused (it would not be one node's channel).
 */
export function peersChangedChannel(nodeId: string): string {
  if (!/^[A-Za-z0-9-]{1,128}$/.test(nodeId)) throw new Error('not a node id');
  return `${Patterns.PEERS_CHANGED}.${nodeId}`;
}

/** Every node's announcement channel, as a PSUBSCRIBE glob (observers with the admin user: tests, tools). */
export const PEERS_CHANGED_ANY_NODE = `${Patterns.PEERS_CHANGED}.*`;

/**
 * The payload of every scheduled command from job-worker. A run of one schedule's period may reach
 * its owner more than once (a retry after a reply was lost, a worker killed mid-run), and every
 * replica of the owner receives each message: a handler must be safe to run again for the same
 * `idempotencyKey` — state-based work (delete what has expired) is; work with effects that must
 * not repeat (a notice, a charge) records the key, or a key of its own derived from it, and skips
 * a second time. The reply says what was done (counts), for job-worker's log and Bull Board.
 */
export interface ScheduledCommand {
  /** The schedule's id, e.g. `network.leases.expire`. */
  schedule: string;
  /** The period run: its due time (ISO 8601, UTC), or `manual:<job id>` for a run on demand. */
  period: string;
  /** `<schedule>@<period>`: the same for every delivery of one period's run. */
  idempotencyKey: string;
}

/** One (hour, location) of `analytics.fleet.report`: totals since the hour began. */
export interface FleetReportRow {
  /** The hour's start, ISO 8601 UTC (`2026-11-30T10:00:00.000Z`). */
  hour: string;
  location: string;
  /** Successful redemptions. */
  redemptions: number;
  /** Redemptions refused as TOKEN_REUSED. */
  reused: number;
  /** Redemptions refused as NO_CAPACITY. */
  noCapacity: number;
  /** Redemptions refused for an invalid token (bad signature, unknown key, malformed). */
  invalid: number;
  /** Sum and count of node load samples (pulses) in the location during the hour. */
  loadSum: number;
  loadSamples: number;
}

export interface FleetReport {
  /** When the totals were read (ms since the epoch): the later report for a row wins. */
  version: number;
  rows: FleetReportRow[];
}

/** One (day, tenant) of `analytics.tenant.usage`: the tenant's totals of that UTC day so far. */
export interface TenantUsageRow {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  tenantId: string;
  /** Successful redemptions of the tenant's tokens. */
  connections: number;
  /** Lease time held on that day (seconds; counted when a lease ends, split across UTC days). */
  connectionSeconds: number;
  /** rx + tx bytes its peers moved, as nodes report them in pulses. */
  bytes: number;
}

export interface TenantUsageReport {
  /** When the totals were read (ms since the epoch): the later report for a row wins. */
  version: number;
  rows: TenantUsageRow[];
}

/** `analytics.tenant-usage.query`: one tenant's whole UTC days `from`..`to` (`YYYY-MM-DD`, inclusive, at most 366). */
export interface TenantUsageQuery {
  tenantId: string;
  from: string;
  to: string;
}

/** The reply: one row per day with data, ordered by day (`TenantUsageRow` without the tenant). */
export interface TenantUsageQueryReply {
  rows: Array<Omit<TenantUsageRow, 'tenantId'>>;
}

export interface PingReply {
  service: string;
  at: string;
}

/** A peer as the node must configure it (API.md `GET /nodes/:id/peers`). */
export interface DesiredPeer {
  publicKey: string;
  /** Host routes only: `["100.64.x.y/32", "fd00:…/128"]`. */
  allowedIps: string[];
  expiresAt: string;
  /**
   * The tenant the lease belongs to (B2B: the network side may know the tenant, never the user);
   * null for a consumer lease. config-service always sends it; a reader may ignore it.
   */
  tenantId?: string | null;
}

/**
 * `network.node.peers-changed.<nodeId>` (config-service → that node's daemon, an event; see
 * {@link peersChangedChannel}). A daemon still checks `nodeId` is its own. `generation` is the node's desired-state generation after the
 * change: a daemon whose last applied generation is not `generation - 1` missed an announcement
 * and reconciles against `GET /nodes/:id/peers` instead of applying the delta.
 */
export interface PeersChangedEvent {
  nodeId: string;
  generation: number;
  added: DesiredPeer[];
  removed: string[];
  /** The node is decommissioned: shut the interface. */
  decommissioned?: boolean;
}
