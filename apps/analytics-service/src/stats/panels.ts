/**
 * The six stats panels of API.md ("analytics-service"), as ClickHouse SQL that Debian's 18.16 and
 * current releases both accept. One builder serves `GET /v1/stats/:panel` (window and k as
 * literals) and the Grafana dashboard in infra/grafana (Grafana's macros and `${k}`), so the two
 * cannot drift apart.
 *
 * Each panel is a query of cells (one per group) with the number of events the cell is built from;
 * a cell of fewer than k events is never shown (k-anonymity, README "Stats and k-anonymity").
 * Determinism: exact quantiles, sums of fractional values in fixed point (integer sums do not
 * depend on the order in which threads add them up) and a total ORDER BY.
 */

export const PANELS = ['connections', 'throughput', 'sessions', 'blocking', 'platforms', 'fleet'] as const;
export type PanelName = (typeof PANELS)[number];

export function isPanelName(value: string): value is PanelName {
  return (PANELS as readonly string[]).includes(value);
}

// API.md's enums, in its order: the order breaks ties between failure reasons and sorts buckets.
export const FAILURE_REASONS = ['handshake_timeout', 'token_rejected', 'no_capacity', 'network_unreachable', 'other'] as const;
export const DURATION_BUCKETS = ['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h'] as const;
export const TRANSFER_BUCKETS = ['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB'] as const;

/**
 * The SQL expressions a query is built from. `start`/`end` are DateTime expressions bounding the
 * window (`start` ≤ hour < `end`, whole UTC days); `k` is the smallest number of events a cell
 * (or a derived attribute) must count to be shown.
 */
export interface SqlBounds {
  start: string;
  end: string;
  k: string;
}

interface PanelSql {
  /** The row of API.md: field name → SQL expression over the cells' columns, in API order. */
  row: ReadonlyArray<readonly [string, string]>;
  /** How many events a cell is built from, over the cells' columns. */
  events: string;
  orderBy: string;
  /** One row per cell, grouped over the window. */
  cells: (b: SqlBounds) => string;
}

const window = (b: SqlBounds): string => `hour >= ${b.start} AND hour < ${b.end}`;
const list = (values: readonly string[]): string => `[${values.map((v) => `'${v}'`).join(', ')}]`;
const same = (...names: string[]): Array<readonly [string, string]> => names.map((n) => [n, n] as const);

const PANEL_SQL: Record<PanelName, PanelSql> = {
  // Location × hour of day (UTC). The top failure reason is the reason with the most failures in
  // the cell (ties: API.md's order), named only when that reason alone counts k events: a cell of
  // 500 attempts must not reveal that the 2 failures in it were both `token_rejected`.
  connections: {
    row: same('location', 'hourOfDay', 'attempts', 'successRate', 'topFailureReason'),
    events: 'attempts',
    orderBy: 'location, hourOfDay',
    cells: (b) => `SELECT
        location,
        toHour(hour, 'UTC') AS hourOfDay,
        count() AS attempts,
        round(countIf(outcome = 'success') / attempts, 4) AS successRate,
        [${FAILURE_REASONS.map((r) => `countIf(failure_reason = '${r}')`).join(', ')}] AS reasonCounts,
        arrayReduce('max', reasonCounts) AS topReasonCount,
        if(topReasonCount >= ${b.k}, arrayElement(${list(FAILURE_REASONS)}, indexOf(reasonCounts, topReasonCount)), NULL) AS topFailureReason
    FROM telemetry FINAL
    WHERE type = 'connection' AND ${window(b)}
    GROUP BY location, hourOfDay`,
  },
  // Exact quantiles: the element at ⌊level·n⌋ of the sorted values (no interpolation), so the
  // answer does not depend on how the rows were read.
  throughput: {
    row: same('location', 'samples', 'downMbpsP50', 'downMbpsP90', 'upMbpsP50', 'upMbpsP90'),
    events: 'samples',
    orderBy: 'location',
    cells: (b) => `SELECT
        location,
        count() AS samples,
        quantileExact(0.5)(down_mbps) AS downMbpsP50,
        quantileExact(0.9)(down_mbps) AS downMbpsP90,
        quantileExact(0.5)(up_mbps) AS upMbpsP50,
        quantileExact(0.9)(up_mbps) AS upMbpsP90
    FROM telemetry FINAL
    WHERE type = 'throughput' AND ${window(b)}
    GROUP BY location`,
  },
  sessions: {
    row: same('durationBucket', 'transferBucket', 'sessions'),
    events: 'sessions',
    orderBy: `indexOf(${list(DURATION_BUCKETS)}, durationBucket), indexOf(${list(TRANSFER_BUCKETS)}, transferBucket), durationBucket, transferBucket`,
    cells: (b) => `SELECT
        duration_bucket AS durationBucket,
        transfer_bucket AS transferBucket,
        count() AS sessions
    FROM telemetry FINAL
    WHERE type = 'session' AND ${window(b)}
    GROUP BY durationBucket, transferBucket`,
  },
  // Per UTC day. MB are summed in thousandths (integers), then divided: exact and order-free.
  blocking: {
    row: same('day', 'events', 'mbBlocked', 'requestsBlocked', 'timeSavedSec'),
    events: 'events',
    orderBy: 'day',
    cells: (b) => `SELECT
        toString(toDate(hour, 'UTC')) AS day,
        count() AS events,
        sum(toInt64(round(mb_blocked * 1000))) / 1000 AS mbBlocked,
        sum(requests_blocked) AS requestsBlocked,
        sum(time_saved_sec) AS timeSavedSec
    FROM telemetry FINAL
    WHERE type = 'blocking' AND ${window(b)}
    GROUP BY day`,
  },
  // Every event type counts: the mix of what the apps in the field run.
  platforms: {
    row: same('platform', 'appVersion', 'events'),
    events: 'events',
    orderBy: `platform, toUInt32OrZero(splitByChar('.', appVersion)[1]), toUInt32OrZero(splitByChar('.', appVersion)[2]), appVersion`,
    cells: (b) => `SELECT
        platform,
        app_version AS appVersion,
        count() AS events
    FROM telemetry FINAL
    WHERE ${window(b)}
    GROUP BY platform, appVersion`,
  },
  // Server-side totals (config-service's redemption outcomes, node pulses' load) per location and
  // hour of day. A cell's events are its redemption attempts of every outcome, `invalid` included.
  fleet: {
    row: [
      ['location', 'location'],
      ['hourOfDay', 'hourOfDay'],
      ['redemptions', 'sumRedemptions'],
      ['reused', 'sumReused'],
      ['noCapacity', 'sumNoCapacity'],
      ['meanLoad', 'meanLoad'],
    ],
    events: 'sumRedemptions + sumReused + sumNoCapacity + sumInvalid',
    orderBy: 'location, hourOfDay',
    cells: (b) => `SELECT
        location,
        toHour(hour, 'UTC') AS hourOfDay,
        sum(redemptions) AS sumRedemptions,
        sum(reused) AS sumReused,
        sum(no_capacity) AS sumNoCapacity,
        sum(invalid) AS sumInvalid,
        sum(load_samples) AS loadSamples,
        if(loadSamples = 0, NULL, round(sum(toInt64(round(load_sum * 1000))) / 1000 / loadSamples, 4)) AS meanLoad
    FROM fleet_hourly FINAL
    WHERE ${window(b)}
    GROUP BY location, hourOfDay`,
  },
};

/** The API row fields of a panel, in API.md's order. */
export function panelFields(panel: PanelName): string[] {
  return PANEL_SQL[panel].row.map(([name]) => name);
}

/** The column of {@link allCellsSql} that holds a cell's number of events. */
export const CELL_EVENTS = 'cellEvents';

const rowSelect = (p: PanelSql): string => p.row.map(([name, expr]) => (name === expr ? name : `${expr} AS ${name}`)).join(', ');

/**
 * Every cell of the panel, shown or not, with its row fields and its number of events
 * ({@link CELL_EVENTS}): the service splits them into rows and the suppressed totals.
 */
export function allCellsSql(panel: PanelName, b: SqlBounds): string {
  const p = PANEL_SQL[panel];
  return `SELECT ${rowSelect(p)}, ${p.events} AS ${CELL_EVENTS}
FROM (
    ${p.cells(b)}
)
ORDER BY ${p.orderBy}`;
}

/** Only the cells of at least k events, with exactly the API row's fields (Grafana's panels). */
export function shownCellsSql(panel: PanelName, b: SqlBounds): string {
  const p = PANEL_SQL[panel];
  return `SELECT ${rowSelect(p)}
FROM (
    ${p.cells(b)}
)
WHERE ${p.events} >= ${b.k}
ORDER BY ${p.orderBy}`;
}

/** Per panel, how many cells and events are suppressed: `panel`, `cells`, `events` (Grafana). */
export function suppressedSql(b: SqlBounds): string {
  const parts = PANELS.map(
    (panel) => `SELECT '${panel}' AS panel, count() AS cells, sum(${CELL_EVENTS}) AS events FROM (
    ${allCellsSql(panel, b)}
) WHERE ${CELL_EVENTS} < ${b.k}`,
  );
  return `SELECT panel, cells, events FROM (
${parts.join('\nUNION ALL\n')}
)
ORDER BY indexOf(${list(PANELS)}, panel)`;
}
