import { randomInt } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { FleetReportRow, Patterns } from '@phoenix/common';
import { CapturedLogs, until } from '@phoenix/common/testing';
import { ReportReceiver, startReportReceiver } from '../../test/report-support';

const HOUR_MS = 3_600_000;

/** A location id of this run only (ClickHouse is shared): letters, so no scan mistakes it for an id. */
const uniqueLocation = () => `zf-${Array.from({ length: 12 }, () => String.fromCharCode(97 + randomInt(26))).join('')}`;

interface StoredRow {
  hour: string;
  location: string;
  redemptions: string;
  reused: string;
  no_capacity: string;
  invalid: string;
  load_sum: number;
  load_samples: string;
  version: string;
}

describe('analytics-service: fleet reports from config-service into fleet_hourly', () => {
  let receiver: ReportReceiver;
  let ch: ClickHouseClient;
  let logs: CapturedLogs;
  const used: string[] = [];
  const lines = () => logs.lines();

  const thisHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const row = (location: string, o: Partial<FleetReportRow> = {}): FleetReportRow => ({
    hour: iso(thisHour),
    location,
    redemptions: 0,
    reused: 0,
    noCapacity: 0,
    invalid: 0,
    loadSum: 0,
    loadSamples: 0,
    ...o,
  });
  const location = () => {
    const l = uniqueLocation();
    used.push(l);
    return l;
  };
  const send = (report: unknown) => receiver.send(report);
  const stored = async (locations: string[]): Promise<StoredRow[]> => {
    const rs = await ch.query({
      query: `SELECT toString(hour) AS hour, location, redemptions, reused, no_capacity, invalid, load_sum, load_samples, version
              FROM fleet_hourly FINAL WHERE location IN (${locations.map((l) => `'${l}'`).join(', ')}) ORDER BY hour, location, version`,
      format: 'JSONEachRow',
    });
    return rs.json<StoredRow>();
  };
  /** Sends a good report after `what` and waits for it: the transport delivers in order, so `what` was handled by then. */
  const settle = async () => {
    const marker = location();
    await send({ version: Date.now(), rows: [row(marker, { redemptions: 1 })] });
    await until('the marker report', 10_000, async () => ((await stored([marker])).length === 1 ? true : undefined));
  };

  beforeAll(async () => {
    receiver = await startReportReceiver(Patterns.ANALYTICS_FLEET_REPORT, 'fleet-sender');
    ({ ch, logs } = receiver);
    await receiver.waitForTransport(settle);
  });

  afterAll(() => receiver?.close('fleet_hourly', 'location', used));

  it('stores a report per (hour, location) with its version, and a later report replaces it (FINAL)', async () => {
    const de = location();
    const nl = location();
    const v1 = Date.now() - 5000;
    await send({ version: v1, rows: [row(de, { hour: iso(thisHour - HOUR_MS), redemptions: 7, reused: 1, noCapacity: 2, invalid: 3, loadSum: 412.5, loadSamples: 9 }), row(de, { redemptions: 1 }), row(nl, { loadSum: 50, loadSamples: 1 })] });
    const first = await until('the first report', 10_000, async () => {
      const rows = await stored([de, nl]);
      return rows.length === 3 ? rows : undefined;
    });
    expect(first[0]).toEqual({
      hour: iso(thisHour - HOUR_MS).replace('T', ' ').slice(0, 19),
      location: de,
      redemptions: '7',
      reused: '1',
      no_capacity: '2',
      invalid: '3',
      load_sum: 412.5,
      load_samples: '9',
      version: String(v1),
    });

    // Later totals for the current hour: FINAL shows them, the previous hour's row is untouched.
    await send({ version: v1 + 3000, rows: [row(de, { redemptions: 4, reused: 1 })] });
    await until('the later report', 10_000, async () => ((await stored([de])).find((r) => r.version === String(v1 + 3000)) ? true : undefined));
    // A late older report and the same report twice (another replica's copy) change nothing.
    await send({ version: v1 + 1000, rows: [row(de, { redemptions: 2 })] });
    await send({ version: v1 + 3000, rows: [row(de, { redemptions: 4, reused: 1 })] });
    await settle();
    const now = await stored([de, nl]);
    const sorted = (rows: string[][]) => rows.map((r) => r.join(' ')).sort();
    expect(sorted(now.map((r) => [r.hour.slice(11, 13), r.location, r.redemptions, r.reused, r.version]))).toEqual(
      sorted([
        [iso(thisHour - HOUR_MS).slice(11, 13), de, '7', '1', String(v1)],
        [iso(thisHour).slice(11, 13), de, '4', '1', String(v1 + 3000)],
        [iso(thisHour).slice(11, 13), nl, '0', '0', String(v1)],
      ]),
    );
    // (Without FINAL the superseded rows stay until a background merge, whenever that runs: readers use FINAL.)
  });

  it.each<[string, (loc: string) => unknown]>([
    ['an extra field on the report', (l) => ({ version: Date.now(), rows: [row(l)], nodeId: 'n-1' })],
    ['an extra field on a row', (l) => ({ version: Date.now(), rows: [{ ...row(l), userId: 'u-1' }] })],
    ['a row without a counter', (l) => ({ version: Date.now(), rows: [{ ...row(l), invalid: undefined }] })],
    ['an hour that is not an hour', (l) => ({ version: Date.now(), rows: [row(l, { hour: iso(thisHour + 30 * 60_000) })] })],
    ['a date that is not ISO', (l) => ({ version: Date.now(), rows: [row(l, { hour: new Date(thisHour).toUTCString() })] })],
    ['an hour far in the future', (l) => ({ version: Date.now(), rows: [row(l, { hour: iso(thisHour + 24 * HOUR_MS) })] })],
    ['an hour older than config-service reports', (l) => ({ version: Date.now(), rows: [row(l, { hour: iso(thisHour - 72 * HOUR_MS) })] })],
    ['a version before its hour', (l) => ({ version: thisHour - 1, rows: [row(l)] })],
    ['a version in the future', (l) => ({ version: Date.now() + 24 * HOUR_MS, rows: [row(l)] })],
    ['a version that is not a number', (l) => ({ version: String(Date.now()), rows: [row(l)] })],
    ['a negative count', (l) => ({ version: Date.now(), rows: [row(l, { reused: -1 })] })],
    ['a fractional count', (l) => ({ version: Date.now(), rows: [row(l, { redemptions: 1.5 })] })],
    ['a load above 100 per sample', (l) => ({ version: Date.now(), rows: [row(l, { loadSum: 201, loadSamples: 2 })] })],
    ['a location that is no location id', (l) => ({ version: Date.now(), rows: [row(l), row('203.0.113.7')] })],
    ['an over-long location', (l) => ({ version: Date.now(), rows: [row(l), row(`zz-${'a'.repeat(300)}`)] })],
    ['the same hour and location twice', (l) => ({ version: Date.now(), rows: [row(l), row(l, { redemptions: 1 })] })],
    ['no rows', () => ({ version: Date.now(), rows: [] })],
    ['rows that are not a list', (l) => ({ version: Date.now(), rows: { [l]: row(l) } })],
    ['a string instead of a report', () => 'report'],
  ])('drops a report with %s, stores nothing of it and logs why', async (_name, make) => {
    const l = location();
    const before = lines().filter((x) => x.msg === 'fleet report dropped').length;
    await send(make(l));
    await settle();
    expect(await stored([l])).toEqual([]);
    const dropped = lines().filter((x) => x.msg === 'fleet report dropped');
    expect(dropped).toHaveLength(before + 1);
    expect(dropped.at(-1)).toMatchObject({ level: 40, context: 'FleetReports', problems: expect.arrayContaining([expect.any(String)]) });
    // The log says what was wrong, not what was sent.
    expect(JSON.stringify(dropped.at(-1))).not.toMatch(/203\.0\.113\.7|u-1|n-1|a{300}/);
  });

  it('stores nothing but the hour, the location and counts', async () => {
    const rows = await stored(used);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(['hour', 'invalid', 'load_samples', 'load_sum', 'location', 'no_capacity', 'redemptions', 'reused', 'version']);
      expect(r.location).toMatch(/^zf-[a-z]{12}$/);
      for (const k of ['redemptions', 'reused', 'no_capacity', 'invalid', 'load_samples', 'version'] as const) expect(r[k]).toMatch(/^\d+$/);
    }
  });
});
