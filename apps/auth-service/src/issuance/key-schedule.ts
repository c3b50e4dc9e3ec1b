// The issuer key lifecycle as pure functions of the stored keys and the clock (README, "Key
// lifecycle"). A key is published `prePublishMs` before it signs, signs for `rotationMs`, and
// stays listed `redeemWindowMs` after it stops signing so its tokens stay redeemable.

export interface KeyTimes {
  publishFrom: Date;
  notBefore: Date;
  signsUntil: Date;
  removeAt: Date;
}

export interface ScheduledKey extends KeyTimes {
  keyId: string;
}

export interface KeyPolicy {
  rotationMs: number;
  prePublishMs: number;
  redeemWindowMs: number;
}

export const DAY_MS = 86_400_000;

/** The key that signs at `now`: notBefore ≤ now < signsUntil (the newest if several). */
export function currentKey<K extends ScheduledKey>(keys: readonly K[], now: Date): K | null {
  let best: K | null = null;
  for (const k of keys) {
    if (k.notBefore.getTime() <= now.getTime() && now.getTime() < k.signsUntil.getTime()) {
      if (!best || k.notBefore.getTime() > best.notBefore.getTime()) best = k;
    }
  }
  return best;
}

/** The keys the directory lists at `now`, newest first (RFC 9578 §4). */
export function listedKeys<K extends ScheduledKey>(keys: readonly K[], now: Date): K[] {
  return keys
    .filter((k) => k.publishFrom.getTime() <= now.getTime() && now.getTime() < k.removeAt.getTime())
    .sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime());
}

/** The times of a key that starts signing at `start`. */
export function slotAt(start: Date, policy: KeyPolicy): KeyTimes {
  const signsUntil = new Date(start.getTime() + policy.rotationMs);
  return {
    publishFrom: new Date(start.getTime() - policy.prePublishMs),
    notBefore: start,
    signsUntil,
    removeAt: new Date(signsUntil.getTime() + policy.redeemWindowMs),
  };
}

export interface SchedulePlan {
  /** Keys past their listing: delete the row and the private key with it. */
  remove: string[];
  /** Keys to generate, with their times. */
  create: KeyTimes[];
}

/** Truncates to whole seconds: the directory's `not-before` is in seconds. */
export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/**
 * What to do so that at `now` a current key exists and, within `prePublishMs` of its end, the
 * next one is published; and keys past their redeem window are removed. Idempotent: running the
 * plan and planning again gives nothing to do.
 */
export function planKeySchedule(keys: readonly ScheduledKey[], now: Date, policy: KeyPolicy): SchedulePlan {
  const remove = keys.filter((k) => k.removeAt.getTime() <= now.getTime()).map((k) => k.keyId);
  const live = keys.filter((k) => k.removeAt.getTime() > now.getTime());
  const create: KeyTimes[] = [];
  let current: KeyTimes | null = currentKey(live, now);
  if (!current) {
    current = slotAt(wholeSeconds(now), policy);
    create.push(current);
  }
  const nextStart = current.signsUntil.getTime();
  const hasNext = live.some((k) => k.notBefore.getTime() === nextStart) || create.some((k) => k.notBefore.getTime() === nextStart);
  if (now.getTime() >= nextStart - policy.prePublishMs && !hasNext) create.push(slotAt(current.signsUntil, policy));
  return { remove, create };
}

export interface ForcedRotationPlan {
  /** New times for existing keys (the retiring current key, and the next key moved forward). */
  update: Array<{ keyId: string } & KeyTimes>;
  /** A key to generate when there was no next key to promote. */
  create: KeyTimes[];
}

/**
 * An immediate rotation (operator command, e.g. a suspected leak): the current key stops signing
 * now and stays listed for the redeem window; the pre-published next key (or a new one) signs
 * from now. Clients holding a cached directory see the new key's earlier `not-before` on their
 * next refresh.
 */
export function planForcedRotation(keys: readonly ScheduledKey[], now: Date, policy: KeyPolicy, requestedAt: Date = now): ForcedRotationPlan {
  const at = wholeSeconds(now);
  const live = keys.filter((k) => k.removeAt.getTime() > now.getTime());
  const current = currentKey(live, now);
  const update: ForcedRotationPlan['update'] = [];
  const create: KeyTimes[] = [];
  const next = current ? live.find((k) => k.notBefore.getTime() === current.signsUntil.getTime()) : undefined;
  if (current) {
    // A key must sign for at least a second; and a key that started signing at or after the
    // request already answers it (several replicas receiving the same command rotate once).
    if (current.notBefore.getTime() >= Math.min(at.getTime(), wholeSeconds(requestedAt).getTime())) return { update, create };
    update.push({ keyId: current.keyId, publishFrom: current.publishFrom, notBefore: current.notBefore, signsUntil: at, removeAt: new Date(at.getTime() + policy.redeemWindowMs) });
  }
  const slot = slotAt(at, policy);
  if (next) update.push({ keyId: next.keyId, ...slot, publishFrom: new Date(Math.min(next.publishFrom.getTime(), at.getTime())) });
  else create.push(slot);
  return { update, create };
}
