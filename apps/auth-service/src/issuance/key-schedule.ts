// The issuer key lifecycle as pure functions of the stored keys and the clock (README, "Issuer
// key lifecycle"). A key is made `prePublishMs` before it is published, published `prePublishMs`
// before it signs, signs for `rotationMs`, and stays listed `redeemWindowMs` after it stops signing
// so its tokens stay redeemable.

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

/** How long a client or origin may keep the issuer directory (its `Cache-Control: max-age`). */
export const DIRECTORY_MAX_AGE_SEC = 300;

/**
 * How long the next key is listed before it signs: a directory cached for its whole max-age just
 * before the key was published still ends a day before the key is used (RFC 9578 §4 caching).
 * Longer than the longest period between schedule runs (job-worker's `identity.issuer-keys.rotate`, at most a day), so a key made one lead
 * before its publication is in the store when its listing begins whichever replica checks when.
 */
export const PRE_PUBLISH_MS = DAY_MS + DIRECTORY_MAX_AGE_SEC * 1000;

// The keys planned ahead of the current one are bounded: with the shortest rotation (a day) and the
// lead above, three successors are within reach.
const MAX_AHEAD = 8;

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
 * What to do so that at `now` a current key exists, every successor is in the store one lead
 * (`prePublishMs`) before it is published (so it is listed from its `publishFrom` on, not from
 * whenever a replica next checks), and keys past their redeem window are removed. Idempotent:
 * running the plan and planning again gives nothing to do.
 */
export function planKeySchedule(keys: readonly ScheduledKey[], now: Date, policy: KeyPolicy): SchedulePlan {
  const remove = keys.filter((k) => k.removeAt.getTime() <= now.getTime()).map((k) => k.keyId);
  const live = keys.filter((k) => k.removeAt.getTime() > now.getTime());
  const create: KeyTimes[] = [];
  let slot: KeyTimes | null = currentKey(live, now);
  if (!slot) {
    slot = slotAt(wholeSeconds(now), policy);
    create.push(slot);
  }
  // The successor of `slot` starts when it stops signing; it is made once now ≥ its publishFrom − lead.
  for (let i = 0; i < MAX_AHEAD && now.getTime() >= slot.signsUntil.getTime() - 2 * policy.prePublishMs; i++) {
    const start = slot.signsUntil.getTime();
    const next: KeyTimes | undefined = live.find((k) => k.notBefore.getTime() === start);
    if (next) slot = next;
    else {
      slot = slotAt(slot.signsUntil, policy);
      create.push(slot);
    }
  }
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
  if (next) {
    update.push({ keyId: next.keyId, ...slot, publishFrom: new Date(Math.min(next.publishFrom.getTime(), at.getTime())) });
    // Keys already made after the next one move forward with it, so each still starts when its
    // predecessor stops signing.
    let old: ScheduledKey = next;
    let moved: KeyTimes = slot;
    for (let i = 0; i < MAX_AHEAD; i++) {
      const later = live.find((k) => k.notBefore.getTime() === old.signsUntil.getTime());
      if (!later) break;
      moved = slotAt(moved.signsUntil, policy);
      update.push({ keyId: later.keyId, ...moved });
      old = later;
    }
  } else create.push(slot);
  return { update, create };
}
