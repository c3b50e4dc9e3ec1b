import { periodOf } from './schedules.processor';

describe('periodOf', () => {
  it("is a scheduler job's due time, from its id", () => {
    expect(periodOf({ id: 'repeat:network.leases.expire:1796073302000', name: 'network.leases.expire' })).toBe('2026-11-30T21:15:02.000Z');
  });

  it('is the job id for a job added by hand, even one named like a schedule', () => {
    expect(periodOf({ id: '17', name: 'network.leases.expire' })).toBe('manual:17');
    expect(periodOf({ id: 'repeat:network.nodes.reap:1796073302000', name: 'network.leases.expire' })).toBe('manual:repeat:network.nodes.reap:1796073302000');
  });
});
