/**
 * The Grafana dashboard of infra/grafana/dashboards/phoenix-analytics.json, built from the same SQL
 * as `GET /v1/stats/:panel` (./panels) with the official ClickHouse data source's macros. A spec
 * checks the committed file equals this; after changing a panel's SQL, write the file again:
 *
 *   node -r @swc-node/register apps/analytics-service/src/stats/grafana-dashboard.ts > infra/grafana/dashboards/phoenix-analytics.json
 */
import { PanelName, SqlBounds, shownCellsSql, suppressedSql } from './panels';

const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' };

/**
 * Grafana's time range snapped outwards to whole UTC days, like the service's from/to: the first
 * day's 00:00 to the end of the last day. `$__fromTime`/`$__toTime` expand to `toDateTime(<unix
 * seconds>)`; `${k}` is the dashboard's constant k (hidden, so viewers cannot lower it).
 */
export const GRAFANA_BOUNDS: SqlBounds = {
  start: 'toDateTime(intDiv(toUInt32($__fromTime), 86400) * 86400)',
  end: 'toDateTime((intDiv(toUInt32($__toTime), 86400) + 1) * 86400)',
  k: '${k}',
};

interface PanelSpec {
  id: number;
  panel: PanelName | 'suppressed';
  title: string;
  description: string;
  type: 'table' | 'barchart';
  gridPos: { h: number; w: number; x: number; y: number };
  options?: Record<string, unknown>;
  fieldConfig?: Record<string, unknown>;
}

const table = { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
const bars = (xField: string) => ({ xField, orientation: 'auto', showValue: 'auto', stacking: 'none', groupWidth: 0.7, barWidth: 0.9, legend: { showLegend: true, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'none' } });

const PANELS: PanelSpec[] = [
  {
    id: 1,
    panel: 'connections',
    title: 'Connections — location × hour of day (UTC)',
    description: 'Attempts, success rate and the top failure reason (named only when that reason alone counts k failures). Cells of fewer than k attempts are not shown.',
    type: 'table',
    gridPos: { h: 10, w: 24, x: 0, y: 0 },
    options: table,
    fieldConfig: {
      defaults: {},
      overrides: [
        {
          matcher: { id: 'byName', options: 'successRate' },
          properties: [
            { id: 'unit', value: 'percentunit' },
            { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'gradient' } },
            { id: 'color', value: { mode: 'continuous-RdYlGr' } },
            { id: 'min', value: 0 },
            { id: 'max', value: 1 },
          ],
        },
      ],
    },
  },
  {
    id: 2,
    panel: 'throughput',
    title: 'Throughput by location (Mbit/s)',
    description: 'Exact median and 90th percentile of measured down- and upload rates. Locations with fewer than k samples are not shown.',
    type: 'barchart',
    gridPos: { h: 9, w: 12, x: 0, y: 10 },
    options: bars('location'),
    fieldConfig: { defaults: { unit: 'Mbits' }, overrides: [{ matcher: { id: 'byName', options: 'samples' }, properties: [{ id: 'custom.hideFrom', value: { viz: true, legend: true, tooltip: false } }] }] },
  },
  {
    id: 3,
    panel: 'sessions',
    title: 'Sessions — duration × transfer',
    description: 'Sessions per duration and transfer bucket. Cells of fewer than k sessions are not shown.',
    type: 'table',
    gridPos: { h: 9, w: 12, x: 12, y: 10 },
    options: table,
  },
  {
    id: 4,
    panel: 'blocking',
    title: 'Blocking — MB blocked and time saved per day (UTC)',
    description: 'Per day: blocking reports, MB and requests blocked, seconds of load time saved. Days with fewer than k reports are not shown.',
    type: 'barchart',
    gridPos: { h: 9, w: 12, x: 0, y: 19 },
    options: bars('day'),
    fieldConfig: {
      defaults: {},
      overrides: [
        { matcher: { id: 'byName', options: 'events' }, properties: [{ id: 'custom.hideFrom', value: { viz: true, legend: true, tooltip: false } }] },
        { matcher: { id: 'byName', options: 'requestsBlocked' }, properties: [{ id: 'custom.hideFrom', value: { viz: true, legend: true, tooltip: false } }] },
        { matcher: { id: 'byName', options: 'timeSavedSec' }, properties: [{ id: 'unit', value: 's' }, { id: 'custom.axisPlacement', value: 'right' }] },
      ],
    },
  },
  {
    id: 5,
    panel: 'platforms',
    title: 'Platforms and app versions',
    description: 'Events by platform and app version (major.minor). Pairs with fewer than k events are not shown.',
    type: 'table',
    gridPos: { h: 9, w: 12, x: 12, y: 19 },
    options: table,
  },
  {
    id: 6,
    panel: 'fleet',
    title: 'Fleet — location × hour of day (UTC), server side',
    description: 'Redemptions, reused tokens, no-capacity answers and mean node load. Cells of fewer than k redemption attempts (every outcome) are not shown.',
    type: 'table',
    gridPos: { h: 10, w: 24, x: 0, y: 28 },
    options: table,
    fieldConfig: { defaults: {}, overrides: [{ matcher: { id: 'byName', options: 'meanLoad' }, properties: [{ id: 'unit', value: 'percent' }, { id: 'decimals', value: 1 }] }] },
  },
  {
    id: 7,
    panel: 'suppressed',
    title: 'Suppressed (k-anonymity)',
    description: 'Per panel: cells left out because they count fewer than k events, and the events in them. No identifiers exist: k counts events, not people.',
    type: 'table',
    gridPos: { h: 7, w: 24, x: 0, y: 38 },
    options: table,
  },
];

function panelJson(spec: PanelSpec): Record<string, unknown> {
  const rawSql = spec.panel === 'suppressed' ? suppressedSql(GRAFANA_BOUNDS) : shownCellsSql(spec.panel, GRAFANA_BOUNDS);
  return {
    id: spec.id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: spec.gridPos,
    options: spec.options ?? {},
    fieldConfig: spec.fieldConfig ?? { defaults: {}, overrides: [] },
    targets: [{ refId: 'A', datasource: DATASOURCE, editorType: 'sql', queryType: 'table', format: 1, rawSql }],
  };
}

/** The dashboard, as Grafana imports it (JSON model, schema 39; data source chosen by variable). */
export function grafanaDashboard(): Record<string, unknown> {
  return {
    title: 'Phoenix analytics',
    uid: 'phoenix-analytics',
    description: 'The panels of analytics-service (GET /v1/stats/:panel) from ClickHouse, with the same k-anonymity suppression in SQL.',
    tags: ['phoenix', 'analytics'],
    timezone: 'utc',
    editable: false,
    graphTooltip: 0,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6d/d', to: 'now/d' },
    timepicker: {},
    refresh: '',
    links: [],
    annotations: { list: [] },
    templating: {
      list: [
        { name: 'datasource', label: 'ClickHouse', type: 'datasource', query: 'grafana-clickhouse-datasource', current: {}, hide: 0, refresh: 1, options: [] },
        {
          name: 'k',
          label: 'k (K_ANONYMITY_MIN)',
          description: 'Fewest events a shown cell counts. A constant: viewers cannot lower it; change it only with K_ANONYMITY_MIN.',
          type: 'constant',
          query: '10',
          hide: 2,
        },
      ],
    },
    panels: PANELS.map(panelJson),
  };
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify(grafanaDashboard(), null, 2)}\n`);
}
