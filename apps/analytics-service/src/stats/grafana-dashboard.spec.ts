import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GRAFANA_BOUNDS, grafanaDashboard } from './grafana-dashboard';
import { PANELS, panelFields, shownCellsSql } from './panels';

const FILE = path.resolve(__dirname, '../../../../infra/grafana/dashboards/phoenix-analytics.json');

interface Dashboard {
  templating: { list: Array<{ name: string; type: string; query: string; hide: number }> };
  panels: Array<{ title: string; datasource: { type: string }; targets: Array<{ rawSql: string; format: number }> }>;
}

describe('infra/grafana dashboard', () => {
  const committed = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;

  it('is exactly what grafana-dashboard.ts builds from the service SQL (regenerate the file after changing a panel)', () => {
    expect(committed).toEqual(grafanaDashboard());
  });

  it('has one panel per stats panel, each with the service SQL, plus the suppressed counts', () => {
    const sqls = committed.panels.map((p) => p.targets[0]!.rawSql);
    for (const panel of PANELS) expect(sqls).toContain(shownCellsSql(panel, GRAFANA_BOUNDS));
    expect(committed.panels).toHaveLength(PANELS.length + 1);
    for (const p of committed.panels) {
      expect(p.datasource.type).toBe('grafana-clickhouse-datasource');
      expect(p.targets).toHaveLength(1);
      expect(p.targets[0]!.format).toBe(1); // table
    }
  });

  it('suppresses in SQL: every panel keeps only cells of at least ${k} events, k a hidden constant of 10', () => {
    for (const panel of PANELS) {
      const sql = shownCellsSql(panel, GRAFANA_BOUNDS);
      expect(sql).toMatch(/\nWHERE .+ >= \$\{k\}\n/);
      // …and returns exactly the API row's fields, in API order.
      const select = sql.split('\n')[0]!.replace(/^SELECT /, '').split(', ');
      expect(select.map((c) => c.replace(/^\w+ AS /, ''))).toEqual(panelFields(panel));
    }
    const k = committed.templating.list.find((v) => v.name === 'k')!;
    expect(k).toMatchObject({ type: 'constant', query: '10', hide: 2 });
  });
});
