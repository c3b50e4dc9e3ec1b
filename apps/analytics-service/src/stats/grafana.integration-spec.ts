import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrateStackDatabases } from '@phoenix/common/testing';
import {
  ADMIN_TOKEN,
  dropMonths,
  insertFleet,
  insertTelemetry,
  realisticMix,
  stackClickHouse,
  startStatsApp,
  statsConfig,
  testLocation,
  testMonth,
} from '../../test/stats-support';

const FILE = path.resolve(__dirname, '../../../../infra/grafana/dashboards/phoenix-analytics.json');

interface GrafanaPanel {
  title: string;
  targets: Array<{ rawSql: string }>;
}

/**
 * What Grafana and the ClickHouse data source do to a panel's SQL before sending it: the
 * plugin's time macros become `toDateTime(<unix seconds>)` (grafana/clickhouse-datasource
 * pkg/macros), dashboard variables their value. Anything else that looks like a macro or a
 * variable fails the test: the SQL must use nothing this substitution does not know.
 */
function expand(sql: string, range: { from: number; to: number }, vars: Record<string, string>): string {
  const out = sql
    .replace(/\$__fromTime\b/g, `toDateTime(${range.from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${range.to})`)
    .replace(/\$__timeFilter\((\w+)\)/g, (_m, col: string) => `${col} >= toDateTime(${range.from}) AND ${col} <= toDateTime(${range.to})`)
    .replace(/\$\{(\w+)(?::raw)?\}|\$(\w+)\b/g, (m, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b) as string;
      if (!(name in vars)) throw new Error(`unknown Grafana variable or macro ${m}`);
      return vars[name] as string;
    });
  expect(out).not.toContain('$');
  return out;
}

describe('infra/grafana: every panel SQL against the real ClickHouse gives the service numbers', () => {
  const ch: ClickHouseClient = stackClickHouse();
  const m = testMonth(2073, 2085);
  const locations = [testLocation(), testLocation(), testLocation(), testLocation()];
  const panels = (JSON.parse(readFileSync(FILE, 'utf8')) as { panels: GrafanaPanel[] }).panels;
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    migrateStackDatabases(['analytics-service']);
    const { telemetry, fleet } = realisticMix(m, locations, 29);
    await insertTelemetry(ch, telemetry);
    await insertFleet(ch, fleet);
    ({ app, base } = await startStatsApp(statsConfig()));
  });

  afterAll(async () => {
    await app?.close();
    await dropMonths(ch, [m.partition]);
    await ch.close();
  });

  async function grafana(title: string, range: { from: number; to: number }): Promise<Array<Record<string, unknown>>> {
    const panel = panels.find((p) => p.title.toLowerCase().startsWith(title));
    if (!panel) throw new Error(`no Grafana panel titled ${title}…`);
    const rs = await ch.query({
      query: expand(panel.targets[0]!.rawSql, range, { k: '10' }),
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return rs.json<Record<string, unknown>>();
  }

  async function service(panel: string, from: string, to: string): Promise<{ rows: unknown[]; suppressed: { cells: number; events: number } }> {
    const res = await fetch(`${base}/v1/stats/${panel}?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { rows: unknown[]; suppressed: { cells: number; events: number } };
  }

  // Grafana's range in the middle of days (13:37 on day 2 to 09:15 on day 6) covers the same whole
  // UTC days as the service's from=day 2, to=day 6: the SQL snaps it outwards.
  const windows = [
    { name: 'the whole seeded week', fromDay: 1, toDay: 7, from: () => m.at(1, 0), to: () => m.at(7, 23) + 3599 },
    { name: 'a range inside days 2–6', fromDay: 2, toDay: 6, from: () => m.at(2, 13) + 37 * 60, to: () => m.at(6, 9) + 15 * 60 },
  ];

  describe.each(windows)('$name', ({ fromDay, toDay, from, to }) => {
    it.each([
      ['connections', 'connections'],
      ['throughput', 'throughput'],
      ['sessions', 'sessions'],
      ['blocking', 'blocking'],
      ['platforms', 'platforms'],
      ['fleet', 'fleet'],
    ])('%s: the same rows, in the same order', async (title, panel) => {
      const mine = await service(panel, m.day(fromDay), m.day(toDay));
      const theirs = await grafana(title, { from: from(), to: to() });
      expect(mine.rows.length).toBeGreaterThan(0);
      expect(theirs).toEqual(mine.rows);
    });

    it('suppressed: the same cells and events per panel', async () => {
      const theirs = await grafana('suppressed', { from: from(), to: to() });
      expect(theirs.map((r) => r.panel)).toEqual(['connections', 'throughput', 'sessions', 'blocking', 'platforms', 'fleet']);
      let any = 0;
      for (const r of theirs) {
        const mine = await service(r.panel as string, m.day(fromDay), m.day(toDay));
        expect({ cells: r.cells, events: r.events }).toEqual(mine.suppressed);
        any += mine.suppressed.cells;
      }
      expect(any).toBeGreaterThan(0);
    });
  });
});
