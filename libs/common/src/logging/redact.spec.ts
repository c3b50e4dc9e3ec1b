import { IP_PLACEHOLDER, redactIps, redactIpsDeep } from './redact';

describe('redactIps', () => {
  it.each([
    ['client 198.18.0.7 connected', 'client [ip] connected'],
    ['from 100.64.12.1:51820', 'from [ip]:51820'],
    ['peer fd00:6a:1::42 joined', 'peer [ip] joined'],
    ['full 2001:0db8:0000:0000:0000:ff00:0042:8329 form', 'full [ip] form'],
    ['loopback ::1 and ::ffff:127.0.0.1', 'loopback [ip] and [ip]'],
    ['x-forwarded-for: 203.0.113.9, 198.51.100.2', 'x-forwarded-for: [ip], [ip]'],
  ])('redacts %s', (input, expected) => {
    expect(redactIps(input)).toBe(expected);
  });

  it.each([
    '2026-11-22T04:12:33.123Z request done',
    'took 12:30:45 total',
    'version 1.2.3 and 12.34',
    'key id a1b2:c3d4',
    'Nest::Module',
  ])('leaves %s alone', (input) => {
    expect(redactIps(input)).toBe(input);
  });

  it('redacts nested strings and errors without touching other values', () => {
    const out = redactIpsDeep({ msg: 'from 198.18.0.1', n: 3, nested: { list: ['fd00::1', 'ok'] }, err: new Error('connect ECONNREFUSED 127.0.0.1:5432') }) as Record<string, unknown>;
    expect(out).toMatchObject({ msg: `from ${IP_PLACEHOLDER}`, n: 3, nested: { list: [IP_PLACEHOLDER, 'ok'] } });
    expect((out.err as { message: string }).message).toBe(`connect ECONNREFUSED ${IP_PLACEHOLDER}:5432`);
  });
});
