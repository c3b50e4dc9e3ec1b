interface Entry {
  userId: string;
  until: number;
}

const MAX_ENTRIES = 50_000;

/**
 * Positive entitlement checks of the issuance hot path, by Firebase uid, for a short time
 * (`ENTITLEMENT_CACHE_MS`, never past the entitlement's end). Only "entitled" is remembered: a
 * refusal is always re-checked, so a trial or purchase works at once on every replica. Every
 * local change to subscriptions clears it. Owned by `EntitlementService`; nothing else
 * reads or clears it directly.
 */
export class EntitlementCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: number) {}

  get(uid: string, nowMs: number): string | null {
    const e = this.entries.get(uid);
    if (!e) return null;
    if (e.until <= nowMs) {
      this.entries.delete(uid);
      return null;
    }
    return e.userId;
  }

  remember(uid: string, userId: string, nowMs: number, entitledUntil: Date | null): void {
    if (this.ttlMs === 0) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(uid, { userId, until: Math.min(nowMs + this.ttlMs, entitledUntil?.getTime() ?? nowMs) });
  }

  clear(): void {
    this.entries.clear();
  }
}
