import { nextVersion } from './blocklist-compiler';

describe('nextVersion', () => {
  const t = Date.parse('2026-12-01T04:15:00.000Z');

  it('is the publish time in Unix seconds', () => {
    expect(nextVersion(null, t)).toBe(t / 1000);
    expect(nextVersion({ version: t / 1000 - 86_400 }, t)).toBe(t / 1000);
  });

  it('is one above the published version when the clock is not past it (two publishes in a second, a clock set back)', () => {
    expect(nextVersion({ version: t / 1000 }, t + 500)).toBe(t / 1000 + 1);
    expect(nextVersion({ version: t / 1000 + 3600 }, t)).toBe(t / 1000 + 3601);
  });
});
