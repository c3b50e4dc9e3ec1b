import { DAY_MS, KeyPolicy, ScheduledKey, currentKey, listedKeys, planForcedRotation, planKeySchedule, slotAt } from './key-schedule';

const policy: KeyPolicy = { rotationMs: 7 * DAY_MS, prePublishMs: DAY_MS, redeemWindowMs: 7 * DAY_MS };
const T0 = new Date('2026-01-01T00:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * DAY_MS);
const key = (id: string, startDay: number): ScheduledKey => ({ keyId: id, ...slotAt(day(startDay), policy) });

/** Applies a plan to a key list, naming new keys k1, k2, … */
function apply(keys: ScheduledKey[], now: Date, counter: { n: number }): ScheduledKey[] {
  const plan = planKeySchedule(keys, now, policy);
  return [...keys.filter((k) => !plan.remove.includes(k.keyId)), ...plan.create.map((t) => ({ keyId: `k${++counter.n}`, ...t }))];
}

describe('planKeySchedule', () => {
  it('creates a current key on an empty store, signing from now for the rotation period', () => {
    const plan = planKeySchedule([], day(0), policy);
    expect(plan.remove).toEqual([]);
    expect(plan.create).toEqual([slotAt(day(0), policy)]);
  });

  it('truncates a new key’s start to whole seconds', () => {
    const plan = planKeySchedule([], new Date(T0.getTime() + 1234), policy);
    expect(plan.create[0].notBefore).toEqual(new Date(T0.getTime() + 1000));
  });

  it('does nothing while the current key has more than a day left', () => {
    expect(planKeySchedule([key('a', 0)], day(5.9), policy)).toEqual({ remove: [], create: [] });
  });

  it('pre-publishes the next key one day before the current one stops signing', () => {
    const plan = planKeySchedule([key('a', 0)], day(6), policy);
    expect(plan.create).toEqual([slotAt(day(7), policy)]);
    expect(plan.create[0].publishFrom).toEqual(day(6));
  });

  it('is idempotent: a planned schedule plans nothing more', () => {
    const c = { n: 0 };
    let keys = apply([], day(0), c);
    keys = apply(keys, day(6.5), c);
    expect(planKeySchedule(keys, day(6.5), policy)).toEqual({ remove: [], create: [] });
  });

  it('removes a key once its redeem window is over, not before', () => {
    const keys = [key('a', 0), key('b', 7), key('c', 14)];
    expect(planKeySchedule(keys, day(13.99), policy).remove).toEqual([]);
    expect(planKeySchedule(keys, day(14), policy).remove).toEqual(['a']);
  });

  it('starts over with a fresh current key after a long outage', () => {
    const plan = planKeySchedule([key('a', 0)], day(30), policy);
    expect(plan.remove).toEqual(['a']);
    expect(plan.create[0]).toEqual(slotAt(day(30), policy));
  });

  it('keeps at most 3 keys listed and lists each for at most 15 days over a long run', () => {
    const c = { n: 0 };
    let keys: ScheduledKey[] = [];
    const firstListed = new Map<string, number>();
    const lastListed = new Map<string, number>();
    for (let h = 0; h <= 24 * 60; h += 1) {
      const now = new Date(T0.getTime() + h * 3_600_000);
      keys = apply(keys, now, c);
      const listed = listedKeys(keys, now);
      expect(listed.length).toBeLessThanOrEqual(3);
      expect(currentKey(keys, now)).not.toBeNull();
      for (const k of listed) {
        if (!firstListed.has(k.keyId)) firstListed.set(k.keyId, h);
        lastListed.set(k.keyId, h);
      }
    }
    for (const [id, first] of firstListed) {
      if (first === 0) continue; // the very first key was listed from its creation
      expect((lastListed.get(id)! - first) / 24).toBeLessThanOrEqual(15);
    }
    expect(c.n).toBeGreaterThanOrEqual(8);
  });

  it('lists newest first and hides keys not yet published', () => {
    const keys = [key('a', 0), key('b', 7)];
    expect(listedKeys(keys, day(5)).map((k) => k.keyId)).toEqual(['a']);
    expect(listedKeys(keys, day(6)).map((k) => k.keyId)).toEqual(['b', 'a']);
    expect(currentKey(keys, day(6.9))?.keyId).toBe('a');
    expect(currentKey(keys, day(7))?.keyId).toBe('b');
  });
});

describe('planForcedRotation', () => {
  it('retires the current key now and promotes the pre-published next key', () => {
    const now = day(6.5);
    const plan = planForcedRotation([key('a', 0), key('b', 7)], now, policy);
    expect(plan.create).toEqual([]);
    expect(plan.update).toEqual([
      { keyId: 'a', ...slotAt(day(0), policy), signsUntil: now, removeAt: new Date(now.getTime() + 7 * DAY_MS) },
      { keyId: 'b', ...slotAt(now, policy), publishFrom: day(6) },
    ]);
  });

  it('creates a new current key when there is no next one', () => {
    const now = day(2);
    const plan = planForcedRotation([key('a', 0)], now, policy);
    expect(plan.update.map((u) => u.keyId)).toEqual(['a']);
    expect(plan.create).toEqual([slotAt(now, policy)]);
    const after = [{ ...key('a', 0), ...plan.update[0] }, { keyId: 'n', ...plan.create[0] }];
    expect(currentKey(after, now)?.keyId).toBe('n');
    expect(listedKeys(after, now).map((k) => k.keyId)).toEqual(['n', 'a']);
  });

  it('rotates once for one request, however many replicas receive it', () => {
    const requestedAt = day(2);
    const plan = planForcedRotation([key('a', 0)], requestedAt, policy, requestedAt);
    const after = [{ ...key('a', 0), ...plan.update[0] }, { keyId: 'n', ...plan.create[0] }];
    expect(planForcedRotation(after, day(2.01), policy, requestedAt)).toEqual({ update: [], create: [] });
    expect(planForcedRotation(after, day(2.01), policy, day(2.01)).update.map((u) => u.keyId)).toEqual(['n']);
  });

  it('leaves a key that started signing this very second alone', () => {
    expect(planForcedRotation([key('a', 2)], day(2), policy)).toEqual({ update: [], create: [] });
  });
});
