import { Partition, expiredPartitions, newestHourOf, retentionCutoff } from './expired-partitions';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('retention by monthly partitions', () => {
  it('knows the newest hour a month can hold, and no other partition id', () => {
    expect(iso(newestHourOf('202611'))).toBe('2026-11-30T23:00:00.000Z');
    expect(iso(newestHourOf('202402'))).toBe('2024-02-29T23:00:00.000Z');
    expect(iso(newestHourOf('202612'))).toBe('2026-12-31T23:00:00.000Z');
    for (const id of ['all', '202613', '202600', '2026111', '20261', 'x20261']) expect(newestHourOf(id)).toBeUndefined();
  });

  it('drops a month once its newest hour started before the cutoff, not an hour earlier', () => {
    const parts: Partition[] = ['202607', '202608', '202609', '202611', 'all'].map((id) => ({ table: 'telemetry', id, rows: 1 }));
    // 90 days before 2026-11-29T23:00:00.001Z is 2026-08-31T23:00:00.001Z: August's last hour started just before.
    const justAfter = Date.parse('2026-11-29T23:00:00.001Z');
    expect(new Date(retentionCutoff(justAfter, 90)).toISOString()).toBe('2026-08-31T23:00:00.001Z');
    expect(expiredPartitions(parts, justAfter, 90).map((p) => p.id)).toEqual(['202607', '202608']);
    // A millisecond earlier the cutoff is that hour's start itself: August stays.
    expect(expiredPartitions(parts, justAfter - 1, 90).map((p) => p.id)).toEqual(['202607']);
  });

  it('keeps everything when nothing is old enough, and is the same on a second look', () => {
    const parts: Partition[] = [{ table: 'fleet_hourly', id: '202611', rows: 3 }];
    const now = Date.parse('2026-11-30T03:30:00Z');
    expect(expiredPartitions(parts, now, 7)).toEqual([]);
    expect(expiredPartitions(parts, now, 7)).toEqual([]);
  });
});
