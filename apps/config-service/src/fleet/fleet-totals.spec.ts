import { counterField, hourLabel, hourStart, rowsOfHour } from './fleet-totals';

describe('fleet totals: hours, fields and report rows', () => {
  const ten = Date.parse('2026-11-30T10:00:00.000Z');

  it('puts every instant of a UTC hour in that hour, and the next millisecond in the next', () => {
    expect(hourStart(ten)).toBe(ten);
    expect(hourStart(ten + 3_599_999)).toBe(ten);
    expect(hourStart(ten + 3_600_000)).toBe(ten + 3_600_000);
    expect(hourStart(ten - 1)).toBe(ten - 3_600_000);
  });

  it('labels an hour by its UTC start, to the hour', () => {
    expect(hourLabel(ten)).toBe('2026-11-30T10');
    expect(hourLabel(Date.parse('2027-01-01T00:00:00.000Z'))).toBe('2027-01-01T00');
  });

  it('turns an hour hash into one row per location with every counter, zeros for the missing ones', () => {
    const hash = {
      [counterField('de-fra', 'redemptions')]: '3',
      [counterField('de-fra', 'loadSum')]: '72.5',
      [counterField('de-fra', 'loadSamples')]: '2',
      [counterField('auto', 'noCapacity')]: '1',
      [counterField('nl-ams', 'invalid')]: '4',
      [counterField('nl-ams', 'reused')]: '1',
    };
    expect(rowsOfHour(ten, hash)).toEqual([
      { hour: '2026-11-30T10:00:00.000Z', location: 'auto', redemptions: 0, reused: 0, noCapacity: 1, invalid: 0, loadSum: 0, loadSamples: 0 },
      { hour: '2026-11-30T10:00:00.000Z', location: 'de-fra', redemptions: 3, reused: 0, noCapacity: 0, invalid: 0, loadSum: 72.5, loadSamples: 2 },
      { hour: '2026-11-30T10:00:00.000Z', location: 'nl-ams', redemptions: 0, reused: 1, noCapacity: 0, invalid: 4, loadSum: 0, loadSamples: 0 },
    ]);
  });

  it('ignores fields that are not a known counter of a location', () => {
    expect(rowsOfHour(ten, { 'de-fra:nodeId': 'x', ':redemptions': '1', redemptions: '1', 'de-fra:reused': 'NaN' })).toEqual([]);
    expect(rowsOfHour(ten, {})).toEqual([]);
  });
});
