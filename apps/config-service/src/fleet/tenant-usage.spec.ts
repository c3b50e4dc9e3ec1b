import { DAY_MS, dayOf, dayStart, rowsOfDay, secondsPerDay } from './tenant-usage.store';

describe('tenant usage: days, seconds per day and report rows', () => {
  const t = (iso: string) => Date.parse(iso);
  const A = '0b7e4c1e-59d4-4c8a-9d1e-7a1f4b2c3d4e';
  const B = 'f3a2b1c0-1234-4abc-8def-0123456789ab';

  it('puts every instant of a UTC day in that day', () => {
    expect(dayOf(t('2026-11-30T00:00:00.000Z'))).toBe('2026-11-30');
    expect(dayOf(t('2026-11-30T23:59:59.999Z'))).toBe('2026-11-30');
    expect(dayOf(t('2026-12-01T00:00:00.000Z'))).toBe('2026-12-01');
    expect(dayStart(t('2026-11-30T13:14:15.000Z'))).toBe(t('2026-11-30T00:00:00.000Z'));
    expect(DAY_MS).toBe(86_400_000);
  });

  it('splits held time across UTC days, whole seconds per day, and nothing for an empty or inverted span', () => {
    expect(secondsPerDay(t('2026-11-30T10:00:00Z'), t('2026-11-30T10:30:00Z'))).toEqual([['2026-11-30', 1800]]);
    expect(secondsPerDay(t('2026-11-30T23:00:00Z'), t('2026-12-02T01:00:00Z'))).toEqual([
      ['2026-11-30', 3600],
      ['2026-12-01', 86_400],
      ['2026-12-02', 3600],
    ]);
    // Ends exactly at midnight: nothing in the next day.
    expect(secondsPerDay(t('2026-11-30T23:59:00Z'), t('2026-12-01T00:00:00Z'))).toEqual([['2026-11-30', 60]]);
    expect(secondsPerDay(t('2026-11-30T10:00:00Z'), t('2026-11-30T10:00:00Z'))).toEqual([]);
    expect(secondsPerDay(t('2026-11-30T10:00:00Z'), t('2026-11-30T09:00:00Z'))).toEqual([]);
    expect(secondsPerDay(NaN, t('2026-11-30T09:00:00Z'))).toEqual([]);
    // A 30-day lease: every second counted once.
    const month = secondsPerDay(t('2026-11-01T12:00:00Z'), t('2026-12-01T12:00:00Z'));
    expect(month).toHaveLength(31);
    expect(month.reduce((n, [, s]) => n + s, 0)).toBe(30 * 86_400);
  });

  it('leaves out the days before notBefore (their totals are gone) but counts the rest', () => {
    expect(secondsPerDay(t('2026-11-28T12:00:00Z'), t('2026-11-30T06:00:00Z'), t('2026-11-29T17:00:00Z'))).toEqual([
      ['2026-11-29', 86_400],
      ['2026-11-30', 21_600],
    ]);
  });

  it('turns a day hash into one row per tenant with every counter, ignoring anything that is not <uuid>:<counter> with an integer', () => {
    const hash = {
      [`${B}:bytes`]: '123456789012',
      [`${A}:connections`]: '3',
      [`${A}:seconds`]: '5400',
      [`${B}:connections`]: '1',
      'not-a-tenant:connections': '5',
      [`${A}:load`]: '7',
      [`${A}:bytes`]: '1.5',
    };
    expect(rowsOfDay('2026-11-30', hash)).toEqual([
      { day: '2026-11-30', tenantId: A, connections: 3, connectionSeconds: 5400, bytes: 0 },
      { day: '2026-11-30', tenantId: B, connections: 1, connectionSeconds: 0, bytes: 123_456_789_012 },
    ]);
    expect(rowsOfDay('2026-11-30', {})).toEqual([]);
  });
});
