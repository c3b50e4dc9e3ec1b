import { meterValue, monthTotals, previousMonth, round6, usageRows } from './usage';

describe('tenant usage: the API rows', () => {
  it('turns seconds into hours and bytes into gigabytes, 6 decimals, ordered by day, inside the range', () => {
    const rows = usageRows(
      [
        { day: '2026-11-02', connections: 3, connectionSeconds: 5400, bytes: 1_500_000_000 },
        { day: '2026-11-01', connections: 1, connectionSeconds: 1, bytes: 1 },
        { day: '2026-12-01', connections: 9, connectionSeconds: 9, bytes: 9 },
      ],
      '2026-11-01',
      '2026-11-30',
    );
    expect(rows).toEqual([
      { day: '2026-11-01', connections: 1, connectionHours: 0.000278, gigabytes: 0 },
      { day: '2026-11-02', connections: 3, connectionHours: 1.5, gigabytes: 1.5 },
    ]);
    expect(round6(123_456_789 / 1e9)).toBe(0.123457);
    expect(round6(7 / 3600)).toBe(0.001944);
  });
});

describe('tenant usage: the monthly Stripe report', () => {
  it('bills the calendar month before the period the run is due in (UTC), or before now on demand', () => {
    expect(previousMonth('2026-12-01T05:00:00.000Z', new Date(0))).toEqual({ month: '2026-11', from: '2026-11-01', to: '2026-11-30' });
    expect(previousMonth('2027-01-01T05:00:00.000Z', new Date(0))).toEqual({ month: '2026-12', from: '2026-12-01', to: '2026-12-31' });
    expect(previousMonth('2028-03-01T05:00:00.000Z', new Date(0))).toEqual({ month: '2028-02', from: '2028-02-01', to: '2028-02-29' });
    expect(previousMonth('manual:42', new Date('2026-12-17T10:00:00Z'))).toEqual({ month: '2026-11', from: '2026-11-01', to: '2026-11-30' });
    expect(previousMonth('not a time', new Date('2026-07-01T00:00:00Z')).month).toBe('2026-06');
  });

  it('sums the month before converting (no rounding error per day), and writes values Stripe reads', () => {
    const days = Array.from({ length: 30 }, (_, i) => ({ day: `2026-11-${String(i + 1).padStart(2, '0')}`, connections: 2, connectionSeconds: 1, bytes: 400 }));
    expect(monthTotals(days)).toEqual({ connections: 60, connection_hours: round6(30 / 3600), gigabytes: 0.000012 });
    expect(monthTotals([])).toEqual({ connections: 0, connection_hours: 0, gigabytes: 0 });
    expect(meterValue(60)).toBe('60');
    expect(meterValue(0.008333)).toBe('0.008333');
    expect(meterValue(1.5)).toBe('1.5');
    expect(meterValue(1e-7)).toBe('0');
    expect(meterValue(10)).toBe('10');
    // 12 integer digits leave 3 decimals within Stripe's 15 significant digits.
    const big = 123_456_789_012 + 0.123_45;
    expect(meterValue(big)).toBe('123456789012.123');
    expect(meterValue(big).replace('.', '').length).toBeLessThanOrEqual(15);
  });
});
