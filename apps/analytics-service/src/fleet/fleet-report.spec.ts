import { MAX_REPORT_CLOCK_SKEW_MS, MAX_REPORT_HOUR_AGE_MS, MAX_REPORT_ROWS, parseFleetReport } from './fleet-report';

describe('parseFleetReport: the bounds of a report config-service can send', () => {
  const now = Date.parse('2026-11-30T10:20:00.000Z');
  const row = (hour: number, o: Record<string, unknown> = {}) => ({
    hour: new Date(hour).toISOString(),
    location: 'de-fra',
    redemptions: 3,
    reused: 0,
    noCapacity: 0,
    invalid: 1,
    loadSum: 100,
    loadSamples: 1,
    ...o,
  });
  const ten = Date.parse('2026-11-30T10:00:00.000Z');

  it('accepts the current and previous hour, `auto`, zero counts and a load of exactly 100 per sample', () => {
    const report = { version: now, rows: [row(ten - 3_600_000), row(ten, { location: 'auto', loadSum: 0, loadSamples: 0 })] };
    expect(parseFleetReport(report, now)).toEqual({ ok: true, report });
  });

  it('takes hours up to the age limit and up to the clock skew ahead, and nothing beyond', () => {
    const oldest = Math.ceil((now - MAX_REPORT_HOUR_AGE_MS) / 3_600_000) * 3_600_000;
    expect(parseFleetReport({ version: now, rows: [row(oldest)] }, now).ok).toBe(true);
    expect(parseFleetReport({ version: now, rows: [row(oldest - 3_600_000)] }, now).ok).toBe(false);
    const aheadNow = ten + 3_600_000 - MAX_REPORT_CLOCK_SKEW_MS; // our clock 15 min behind the sender's
    expect(parseFleetReport({ version: ten + 3_600_000, rows: [row(ten + 3_600_000)] }, aheadNow).ok).toBe(true);
    expect(parseFleetReport({ version: ten + 3_600_000, rows: [row(ten + 3_600_000)] }, aheadNow - 1).ok).toBe(false);
  });

  it('bounds the rows of one report', () => {
    const rows = Array.from({ length: MAX_REPORT_ROWS + 1 }, (_, i) => row(ten, { location: `de-f${String(i).padStart(5, '0')}` }));
    expect(parseFleetReport({ version: now, rows: rows.slice(0, MAX_REPORT_ROWS) }, now).ok).toBe(true);
    expect(parseFleetReport({ version: now, rows }, now).ok).toBe(false);
  });

  it('says what is wrong by path, at most five problems, never echoing a value', () => {
    const bad = { version: now, rows: Array.from({ length: 8 }, () => row(ten, { redemptions: -1, location: 'Secret Value' })) };
    const r = parseFleetReport(bad, now);
    expect(r.ok).toBe(false);
    const problems = (r as { problems: string[] }).problems;
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^rows\.0\./);
    expect(problems.join(' ')).not.toContain('Secret Value');
  });
});
