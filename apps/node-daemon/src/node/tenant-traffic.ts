import type { WgDump } from '@phoenix/wireguard';

/** One tenant's traffic since the previous pulse (`tenantBytes` of `POST /nodes/:id/pulse`). */
export interface TenantBytes {
  tenantId: string;
  bytes: number;
}

/** At most this many tenants in one pulse (config-service's limit); the rest wait for the next. */
export const MAX_TENANTS_PER_PULSE = 1000;

/**
 * Per-tenant traffic for the pulse: rx + tx of every tenant peer since the previous pulse, summed
 * per tenant. Only what it needs to tell the next delta is kept, in memory: each tenant peer's
 * last counter and tenant. Nothing per peer leaves the node or is written to disk.
 *
 * - The first dump after the daemon starts is the baseline (counts nothing): the interface
 *   survives restarts, and its counters were counted before.
 * - A peer seen for the first time after that, or whose counter went backwards (removed and
 *   added again, the interface recreated), counts from zero.
 * - A peer gone from the dump is forgotten.
 * - A peer keeps the tenant it had when first seen, so traffic of a lease that has just left the
 *   desired set but is still on the interface is still its tenant's.
 *
 * {@link take} returns the totals and forgets them; a pulse that did not arrive gives them back
 * with {@link giveBack}, so they go with the next one.
 */
export class TenantTraffic {
  private last: Map<string, { tenantId: string; total: bigint }> | null = null;
  private owed = new Map<string, bigint>();

  /**
   * The traffic per tenant since the previous take. `tenantOf` says which tenant a peer of the
   * desired set belongs to (null: a consumer's, not metered). Tenants with no traffic are left out.
   */
  take(dump: WgDump, tenantOf: (publicKey: string) => string | null | undefined): TenantBytes[] {
    const baseline = this.last === null;
    const previous = this.last ?? new Map<string, { tenantId: string; total: bigint }>();
    const next = new Map<string, { tenantId: string; total: bigint }>();
    const sums = this.owed;
    for (const peer of dump.peers) {
      const before = previous.get(peer.publicKey);
      const tenantId = before?.tenantId ?? tenantOf(peer.publicKey);
      if (!tenantId) continue;
      const total = peer.transferRx + peer.transferTx;
      next.set(peer.publicKey, { tenantId, total });
      if (baseline) continue;
      const delta = before !== undefined && total >= before.total ? total - before.total : total;
      if (delta > 0n) sums.set(tenantId, (sums.get(tenantId) ?? 0n) + delta);
    }
    this.last = next;
    const out: TenantBytes[] = [];
    const rest = new Map<string, bigint>();
    for (const [tenantId, bytes] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
      // A sum past 2^53 (petabytes in one pulse) goes out in safe pieces, the rest with the next pulse.
      const safe = bytes > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : bytes;
      if (out.length < MAX_TENANTS_PER_PULSE) {
        out.push({ tenantId, bytes: Number(safe) });
        if (safe < bytes) rest.set(tenantId, bytes - safe);
      } else rest.set(tenantId, bytes);
    }
    this.owed = rest;
    return out;
  }

  /** Totals a pulse did not deliver: they go with the next take. */
  giveBack(taken: readonly TenantBytes[]): void {
    for (const { tenantId, bytes } of taken) this.owed.set(tenantId, (this.owed.get(tenantId) ?? 0n) + BigInt(bytes));
  }
}
