import { AppError } from '@phoenix/common';
import { MAX_WINDOW_DAYS, parseStatsWindow } from './stats-window';

function refusal(query: Record<string, unknown>): string {
  try {
    parseStatsWindow(query);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('VALIDATION_FAILED');
    return (e as AppError).message;
  }
  throw new Error('accepted');
}

describe('parseStatsWindow', () => {
  it('turns two dates into whole UTC days, both included', () => {
    expect(parseStatsWindow({ from: '2026-11-01', to: '2026-11-07' })).toEqual({
      from: '2026-11-01',
      to: '2026-11-07',
      startSec: Date.UTC(2026, 10, 1) / 1000,
      endSec: Date.UTC(2026, 10, 8) / 1000,
    });
  });

  it('takes one day (from = to) and a leap day', () => {
    const w = parseStatsWindow({ from: '2028-02-29', to: '2028-02-29' });
    expect(w.endSec - w.startSec).toBe(86_400);
  });

  it(`takes ${MAX_WINDOW_DAYS} days and refuses one more`, () => {
    expect(parseStatsWindow({ from: '2026-01-01', to: '2026-04-02' }).endSec - Date.UTC(2026, 0, 1) / 1000).toBe(92 * 86_400);
    expect(refusal({ from: '2026-01-01', to: '2026-04-03' })).toContain('93 days');
  });

  it.each([
    [{ from: '2026-11-02', to: '2026-11-01' }, 'after'],
    [{ from: '2026-02-29', to: '2026-03-01' }, 'from must be a date'],
    [{ from: '2026-11-01', to: '2026-13-01' }, 'to must be a date'],
    [{ from: '2026-11-01', to: '2026-11-01T10:00:00Z' }, 'to must be a date'],
    [{ from: ' 2026-11-01', to: '2026-11-01' }, 'from must be a date'],
    [{ from: '20261101', to: '2026-11-01' }, 'from must be a date'],
    [{ from: '1969-12-31', to: '1970-01-01' }, 'between'],
    [{ from: '2106-01-01', to: '2106-01-02' }, 'between'],
    [{ from: '2026-11-01' }, 'required'],
    [{ from: ['2026-11-01', '2026-11-02'], to: '2026-11-03' }, 'required'],
    [{ from: '2026-11-01', to: '2026-11-02', hour: '3' }, 'unknown query parameter: hour'],
  ])('refuses %j', (query, message) => {
    expect(refusal(query)).toContain(message);
  });
});
