import { parseDayRange, utcDayStart } from './day-range';

describe('parseDayRange', () => {
  it('accepts whole days, both ends included, and counts them', () => {
    expect(parseDayRange('2026-11-01', '2026-11-30', 366)).toEqual({ ok: true, from: '2026-11-01', to: '2026-11-30', days: 30 });
    expect(parseDayRange('2026-11-05', '2026-11-05', 366)).toEqual({ ok: true, from: '2026-11-05', to: '2026-11-05', days: 1 });
    // A leap year's 366 days are allowed; one more is not.
    expect(parseDayRange('2028-01-01', '2028-12-31', 366)).toMatchObject({ ok: true, days: 366 });
    expect(parseDayRange('2028-01-01', '2029-01-01', 366)).toEqual({ ok: false, problem: 'the range spans 367 days; at most 366' });
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['a missing from', undefined, '2026-11-30', /required/],
    ['a repeated to (an array)', '2026-11-01', ['2026-11-02', '2026-11-03'], /required/],
    ['a time of day', '2026-11-01T00:00:00Z', '2026-11-30', /^from must be a date/],
    ['a date that does not exist', '2026-11-01', '2026-02-30', /^to must be a date/],
    ['a short year', '26-11-01', '2026-11-30', /^from must be a date/],
    ['a date before 1970', '1969-12-31', '1970-01-02', /1970-01-01 and 2105-12-31/],
    ['a date past 2105', '2105-12-31', '2106-01-01', /1970-01-01 and 2105-12-31/],
    ['from after to', '2026-11-02', '2026-11-01', /from must not be after to/],
  ])('refuses %s', (_name, from, to, problem) => {
    const r = parseDayRange(from, to, 366);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toMatch(problem);
  });

  it('reads a day as its UTC midnight', () => {
    expect(utcDayStart('2026-12-01')).toBe(Date.UTC(2026, 11, 1));
    expect(utcDayStart('2026-13-01')).toBeNull();
  });
});
