import { MAX_CLOCK_SKEW_MS, QUEUED_COLUMNS, parseEventBatch } from './telemetry-event';

const NOW = Date.parse('2026-11-30T10:17:42.123Z');
const HOUR = Date.parse('2026-11-30T10:00:00Z') / 1000;

const connection = { type: 'connection', platform: 'ios', appVersion: '3.2.1', location: 'de-fra', outcome: 'success', handshakeMs: 120 };
const failed = { type: 'connection', platform: 'android', appVersion: '3.2', location: 'de-fra', outcome: 'failure', failureReason: 'no_capacity' };
const throughput = { type: 'throughput', platform: 'macos', appVersion: '1.0.0', location: 'nl-ams', downMbps: 87.5, upMbps: 12 };
const session = { type: 'session', platform: 'windows', appVersion: '10.20.30', location: 'us-nyc', durationBucket: '10-60m', transferBucket: '100MB-1GB' };
const blocking = { type: 'blocking', platform: 'linux', appVersion: '0.9', mbBlocked: 1.5, requestsBlocked: 320, timeSavedSec: 41 };

/** A queued row as column → value. */
function columns(row: string): Record<string, string> {
  const values = row.split('\t');
  expect(values).toHaveLength(QUEUED_COLUMNS.length);
  return Object.fromEntries(QUEUED_COLUMNS.map((c, i) => [c, values[i]]));
}

function rowsOf(body: unknown): Array<Record<string, string>> {
  const r = parseEventBatch(body, NOW);
  if (!r.ok) throw new Error(r.message);
  return r.rows.map(columns);
}

function refusal(body: unknown): string {
  const r = parseEventBatch(body, NOW);
  if (r.ok) throw new Error('accepted');
  return r.message;
}

describe('parseEventBatch: what is kept', () => {
  it('turns each type into its columns, the hour of receipt by default and the version cut to MAJOR.MINOR', () => {
    const [c, f, t, s, b] = rowsOf({ events: [connection, failed, throughput, session, blocking] });
    const none = { location: '', outcome: '', failure_reason: '', handshake_ms: '\\N', down_mbps: '0', up_mbps: '0', duration_bucket: '', transfer_bucket: '', mb_blocked: '0', requests_blocked: '0', time_saved_sec: '0' };
    const hour = String(HOUR);
    expect(c).toEqual({ ...none, hour, type: 'connection', platform: 'ios', app_version: '3.2', location: 'de-fra', outcome: 'success', handshake_ms: '120' });
    expect(f).toEqual({ ...none, hour, type: 'connection', platform: 'android', app_version: '3.2', location: 'de-fra', outcome: 'failure', failure_reason: 'no_capacity' });
    expect(t).toEqual({ ...none, hour, type: 'throughput', platform: 'macos', app_version: '1.0', location: 'nl-ams', down_mbps: '87.5', up_mbps: '12' });
    expect(s).toEqual({ ...none, hour, type: 'session', platform: 'windows', app_version: '10.20', location: 'us-nyc', duration_bucket: '10-60m', transfer_bucket: '100MB-1GB' });
    expect(b).toEqual({ ...none, hour, type: 'blocking', platform: 'linux', app_version: '0.9', mb_blocked: '1.5', requests_blocked: '320', time_saved_sec: '41' });
  });

  it('keeps the handshake time of a failure when it is given', () => {
    expect(rowsOf({ events: [{ ...failed, handshakeMs: 60_000 }] })[0].handshake_ms).toBe('60000');
  });

  it.each([
    ['2026-11-30T09:59:59.999Z', '2026-11-30T09:00:00Z'],
    ['2026-11-30T11:05:00+01:00', '2026-11-30T10:00:00Z'],
    ['2026-11-23T10:17:42.123Z', '2026-11-23T10:00:00Z'], // exactly 7 days ago
    ['2026-11-30T10:22:42.123Z', '2026-11-30T10:00:00Z'], // exactly the allowed skew ahead
    ['2026-11-30T04:47:00-05:30', '2026-11-30T10:00:00Z'], // a half-hour zone: the UTC hour
  ])('stores at=%s as the hour %s (UTC)', (at, hour) => {
    expect(rowsOf({ events: [{ ...connection, at }] })[0].hour).toBe(String(Date.parse(hour) / 1000));
  });

  it('accepts 500 events', () => {
    expect(rowsOf({ events: Array.from({ length: 500 }, () => blocking) })).toHaveLength(500);
  });

  it('produces rows without a tab, newline or backslash inside a value', () => {
    const r = parseEventBatch({ events: [connection, failed, throughput, session, blocking] }, NOW);
    if (!r.ok) throw new Error(r.message);
    for (const row of r.rows) {
      expect(row).not.toMatch(/[\n\r]/);
      for (const v of row.split('\t')) expect(v === '\\N' || !v.includes('\\')).toBe(true);
    }
  });
});

describe('parseEventBatch: the whole batch is refused, naming the first problems', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['no body', undefined, /^body: /],
    ['an array body', [connection], /^body: /],
    ['no events', {}, /^events: /],
    ['0 events', { events: [] }, /^events: Too small/],
    ['501 events', { events: Array.from({ length: 501 }, () => blocking) }, /^events: Too big/],
    ['events not an array', { events: connection }, /^events: /],
    ['another top-level field', { events: [connection], batchId: 'x' }, /Unrecognized key: "batchId"/],
    ['an unknown type', { events: [{ ...connection, type: 'crash' }] }, /^events\[0\]\.type: /],
    ['no type', { events: [{ platform: 'ios', appVersion: '1.0' }] }, /^events\[0\]\.type: /],
    ['an unknown field', { events: [{ ...blocking, adsSeen: 3 }] }, /^events\[0\]: Unrecognized key: "adsSeen"/],
    ['an ip field', { events: [{ ...throughput, ip: '203.0.113.7' }] }, /Unrecognized key: "ip"/],
    ['a userId field', { events: [{ ...session, userId: 'u-1' }] }, /Unrecognized key: "userId"/],
    ['a deviceId field', { events: [{ ...blocking, deviceId: 'd-1' }] }, /Unrecognized key: "deviceId"/],
    ['a field of another type', { events: [{ ...blocking, location: 'de-fra' }] }, /Unrecognized key: "location"/],
    ['a failure reason on a success', { events: [{ ...connection, failureReason: 'other' }] }, /Unrecognized key: "failureReason"/],
    ['a failure without its reason', { events: [{ ...failed, failureReason: undefined }] }, /^events\[0\]\.failureReason: /],
    ['a success without its handshake time', { events: [{ ...connection, handshakeMs: undefined }] }, /^events\[0\]\.handshakeMs: /],
    ['an unknown outcome', { events: [{ ...connection, outcome: 'partial' }] }, /^events\[0\]\.outcome: /],
    ['an unknown failure reason', { events: [{ ...failed, failureReason: 'dns' }] }, /^events\[0\]\.failureReason: /],
    ['an unknown platform', { events: [{ ...connection, platform: 'tvos' }] }, /^events\[0\]\.platform: /],
    ['an upper-case platform', { events: [{ ...connection, platform: 'iOS' }] }, /^events\[0\]\.platform: /],
    ['an unknown duration bucket', { events: [{ ...session, durationBucket: '1-2h' }] }, /^events\[0\]\.durationBucket: /],
    ['an unknown transfer bucket', { events: [{ ...session, transferBucket: '>1TB' }] }, /^events\[0\]\.transferBucket: /],
    ['a location that is no location id', { events: [{ ...connection, location: 'Frankfurt' }] }, /^events\[0\]\.location: must be a location id/],
    ['an appVersion of one number', { events: [{ ...connection, appVersion: '3' }] }, /^events\[0\]\.appVersion: /],
    ['an appVersion of four numbers', { events: [{ ...connection, appVersion: '3.2.1.4' }] }, /^events\[0\]\.appVersion: /],
    ['an appVersion with a suffix', { events: [{ ...connection, appVersion: '3.2.1-beta+a1b2c3' }] }, /^events\[0\]\.appVersion: /],
    ['an appVersion with a leading zero', { events: [{ ...connection, appVersion: '03.2' }] }, /^events\[0\]\.appVersion: /],
    ['a number as a string', { events: [{ ...throughput, downMbps: '87.5' }] }, /^events\[0\]\.downMbps: /],
    ['a negative number', { events: [{ ...throughput, upMbps: -1 }] }, /^events\[0\]\.upMbps: /],
    ['a number over its range', { events: [{ ...throughput, downMbps: 100_000.5 }] }, /^events\[0\]\.downMbps: /],
    ['a handshake over a minute', { events: [{ ...connection, handshakeMs: 60_001 }] }, /^events\[0\]\.handshakeMs: /],
    ['a fractional integer', { events: [{ ...blocking, requestsBlocked: 1.5 }] }, /^events\[0\]\.requestsBlocked: /],
    ['a day and a second saved', { events: [{ ...blocking, timeSavedSec: 86_401 }] }, /^events\[0\]\.timeSavedSec: /],
    ['a nested object', { events: [{ ...connection, location: { id: 'de-fra' } }] }, /^events\[0\]\.location: /],
    ['a nested array', { events: [{ ...blocking, mbBlocked: [1] }] }, /^events\[0\]\.mbBlocked: /],
    ['a null event', { events: [null] }, /^events\[0\]: /],
    ['a boolean for a string', { events: [{ ...connection, outcome: true }] }, /^events\[0\]\.outcome: /],
    ['at without a zone', { events: [{ ...connection, at: '2026-11-30T09:00:00' }] }, /^events\[0\]\.at: /],
    ['at as a date only', { events: [{ ...connection, at: '2026-11-30' }] }, /^events\[0\]\.at: /],
    ['at as unix time', { events: [{ ...connection, at: 1_764_496_800 }] }, /^events\[0\]\.at: /],
    ['at that is no date', { events: [{ ...connection, at: '2026-02-30T00:00:00Z' }] }, /^events\[0\]\.at: /],
    ['at beyond the allowed skew', { events: [{ ...connection, at: new Date(NOW + MAX_CLOCK_SKEW_MS + 1).toISOString() }] }, /^events\[0\]\.at: is in the future$/],
    ['at more than 7 days ago', { events: [{ ...connection, at: '2026-11-23T10:17:42.122Z' }] }, /^events\[0\]\.at: is more than 7 days ago$/],
    ['one bad event among 499 good ones', { events: [...Array.from({ length: 499 }, () => blocking), { ...blocking, ip: '198.18.0.1' }] }, /^events\[499\]: Unrecognized key: "ip"/],
  ];

  it.each(cases)('%s', (_name, body, message) => {
    expect(refusal(body)).toMatch(message);
  });

  it('names at most five problems and counts the rest', () => {
    const message = refusal({ events: Array.from({ length: 8 }, () => ({ ...blocking, deviceId: 'd' })) });
    expect(message.split('; ').filter((m) => m.includes('deviceId'))).toHaveLength(5);
    expect(message).toMatch(/; and 3 more$/);
  });
});
