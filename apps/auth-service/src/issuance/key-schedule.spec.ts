import { DAY_MS, DIRECTORY_MAX_AGE_SEC, KeyPolicy, PRE_PUBLISH_MS, ScheduledKey, currentKey, listedKeys, planForcedRotation, planKeySchedule, slotAt } from './key-schedule';

const LEAD = PRE_PUBLISH_MS;
const policy: KeyPolicy = { rotationMs: 7 * DAY_MS, prePublishMs: LEAD, redeemWindowMs: 7 * DAY_MS };
const T0 = new Date('2026-01-01T00:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * DAY_MS);
const key = (id: string, startDay: number): ScheduledKey => ({ keyId: id, ...slotAt(day(startDay), policy) });

/** Applies a plan to a key list, naming new keys k1, k2, … */
function apply(keys: ScheduledKey[], now: Date, counter: { n: number }, p: KeyPolicy = policy): ScheduledKey[] {
  const plan = planKeySchedule(keys, now, p);
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

  it('lists the next key at least a directory max-age and a day before it signs', () => {
    expect(LEAD).toBeGreaterThanOrEqual(DIRECTORY_MAX_AGE_SEC * 1000 + DAY_MS);
    // …and longer than the longest period between schedule runs (≤ a day).
    expect(LEAD).toBeGreaterThan(DAY_MS);
  });

  it('does nothing while the next key is more than a lead from its publication', () => {
    expect(planKeySchedule([key('a', 0)], new Date(day(7).getTime() - 2 * LEAD - 1), policy)).toEqual({ remove: [], create: [] });
  });

  it('makes the next key one lead before it is published, listed only from its publishFrom', () => {
    const made = new Date(day(7).getTime() - 2 * LEAD);
    const plan = planKeySchedule([key('a', 0)], made, policy);
    expect(plan.create).toEqual([slotAt(day(7), policy)]);
    expect(plan.create[0].publishFrom).toEqual(new Date(day(7).getTime() - LEAD));
    const keys = [key('a', 0), { keyId: 'b', ...plan.create[0] }];
    expect(listedKeys(keys, new Date(day(7).getTime() - LEAD - 1)).map((k) => k.keyId)).toEqual(['a']);
    expect(listedKeys(keys, new Date(day(7).getTime() - LEAD)).map((k) => k.keyId)).toEqual(['b', 'a']);
  });

  it('still makes a next key that is late (no replica checked in time), with its own times', () => {
    const plan = planKeySchedule([key('a', 0)], day(6.99), policy);
    expect(plan.create).toEqual([slotAt(day(7), policy)]);
  });

  it('with a rotation shorter than two leads, plans every successor that is within a lead of its publication', () => {
    const short: KeyPolicy = { rotationMs: DAY_MS, prePublishMs: LEAD, redeemWindowMs: DAY_MS };
    const plan = planKeySchedule([], day(0), short);
    expect(plan.create.map((k) => k.notBefore)).toEqual([day(0), day(1), day(2)]);
    for (const k of plan.create) expect(k.publishFrom.getTime() - LEAD).toBeLessThanOrEqual(day(0).getTime());
    expect(day(3).getTime() - 2 * LEAD).toBeGreaterThan(day(0).getTime());
  });

  it('is idempotent: a planned schedule plans nothing more', () => {
    const c = { n: 0 };
    let keys = apply([], day(0), c);
    keys = apply(keys, day(5.5), c);
    expect(keys).toHaveLength(2);
    expect(planKeySchedule(keys, day(5.5), policy)).toEqual({ remove: [], create: [] });
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

  // Schedule runs come at most a day apart, at any phase;
  // the directory is read at any instant in between.
  it.each([
    ['every hour', 3_600_000, 0],
    ['once a day, each just before a publication begins', DAY_MS, 7 * DAY_MS - LEAD - 1000],
    ['once a day, at another phase', DAY_MS, 0.37 * DAY_MS],
  ])('over 60 days of checks %s: the next key is listed a full lead before it signs, at most 3 keys listed', (_name, everyMs, phaseMs) => {
    const c = { n: 0 };
    let keys: ScheduledKey[] = apply([], T0, c);
    let nextCheck = T0.getTime() + (phaseMs % everyMs);
    const firstListed = new Map<string, number>();
    const lastListed = new Map<string, number>();
    const STEP = 600_000;
    for (let t = T0.getTime(); t <= day(60).getTime(); t += STEP) {
      while (nextCheck <= t) {
        keys = apply(keys, new Date(nextCheck), c);
        nextCheck += everyMs;
      }
      const now = new Date(t);
      const listed = listedKeys(keys, now);
      const cur = currentKey(keys, now);
      expect(cur).not.toBeNull();
      expect(listed.length).toBeLessThanOrEqual(3);
      // The current key's successor is listed once within a lead of its start.
      const successor = keys.find((k) => k.notBefore.getTime() === cur!.signsUntil.getTime());
      if (t >= cur!.signsUntil.getTime() - LEAD) expect(listed).toContain(successor);
      for (const k of listed) {
        if (!firstListed.has(k.keyId)) firstListed.set(k.keyId, t);
        lastListed.set(k.keyId, t);
      }
    }
    for (const [id, first] of firstListed) {
      if (id === 'k1') continue; // the very first key was listed from its creation
      const k = keys.find((x) => x.keyId === id);
      // Sampled every STEP: first seen within a step after its publication, never before.
      if (k) expect(k.notBefore.getTime() - first).toBeGreaterThan(LEAD - STEP);
      if (k) expect(k.notBefore.getTime() - first).toBeLessThanOrEqual(LEAD);
      expect(lastListed.get(id)! - first).toBeLessThanOrEqual(LEAD + 14 * DAY_MS);
    }
    expect(c.n).toBeGreaterThanOrEqual(9);
  });

  it('lists newest first and hides keys not yet published', () => {
    const keys = [key('a', 0), key('b', 7)];
    expect(listedKeys(keys, day(5)).map((k) => k.keyId)).toEqual(['a']);
    expect(listedKeys(keys, new Date(day(7).getTime() - LEAD)).map((k) => k.keyId)).toEqual(['b', 'a']);
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
      { keyId: 'b', ...slotAt(now, policy), publishFrom: new Date(day(7).getTime() - LEAD) },
    ]);
  });

  it('publishes a next key made but not yet listed at once when it is promoted', () => {
    const now = day(5.5);
    const plan = planForcedRotation([key('a', 0), key('b', 7)], now, policy);
    expect(plan.update[1]).toEqual({ keyId: 'b', ...slotAt(now, policy), publishFrom: now });
  });

  it('moves keys made after the next one forward with it, keeping the chain without gaps or overlaps', () => {
    const short: KeyPolicy = { rotationMs: DAY_MS, prePublishMs: LEAD, redeemWindowMs: DAY_MS };
    const k = (id: string, d: number): ScheduledKey => ({ keyId: id, ...slotAt(day(d), short) });
    const now = day(0.5);
    const plan = planForcedRotation([k('a', 0), k('b', 1), k('c', 2)], now, short);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((u) => [u.keyId, u.notBefore, u.signsUntil])).toEqual([
      ['a', day(0), now],
      ['b', now, day(1.5)],
      ['c', day(1.5), day(2.5)],
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
