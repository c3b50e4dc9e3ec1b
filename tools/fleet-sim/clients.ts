import { randomBytes } from 'node:crypto';
import { JsonHttp, failureOf } from './http';
import { Latencies, quantile } from './stats';

export interface Redemption {
  /** 200, another status, or 0 without an answer. */
  status: number;
  ms: number;
  /** The node the config is for (200 only). */
  nodeId?: string;
  /** The error `code` or the kind of failure (not 200). */
  failure?: string;
}

/**
 * Clients redeeming tokens (`POST /vpn/config`, API.md "Public") against the replicas, each with a
 * fresh WireGuard public key as the reference client makes one. Also measures how long after a
 * `200` the node hears of the new peer: the fleet reports every announced peer to
 * {@link announced}.
 */
export class Clients {
  private readonly http: JsonHttp;
  /** Public keys answered 200, waiting for their announcement (host ms of the answer). */
  private readonly answered = new Map<string, number>();
  /** Announcements that came before the answer was read (host ms). */
  private readonly early = new Map<string, number>();
  readonly lag = new Latencies();
  /** Redemptions answered 200 whose announcement has not reached their node (yet). */
  get unannounced(): number {
    return this.answered.size;
  }

  constructor(
    private readonly replicas: readonly string[],
    sockets: number,
    timeoutMs = 10_000,
  ) {
    this.http = new JsonHttp(sockets, timeoutMs);
  }

  async redeem(replica: number, token: string, location: string): Promise<Redemption> {
    const publicKey = randomBytes(32).toString('base64');
    const reply = await this.http.call(
      'POST',
      `${this.replicas[replica % this.replicas.length] as string}/vpn/config`,
      { authorization: `PrivateToken token="${token}"` },
      { location, publicKey },
    );
    if (reply.status !== 200) {
      const code = (reply.body as { code?: unknown } | null)?.code;
      return { status: reply.status, ms: reply.ms, failure: typeof code === 'string' ? code : failureOf(reply) };
    }
    const now = performance.timeOrigin + performance.now();
    const early = this.early.get(publicKey);
    if (early !== undefined) {
      this.early.delete(publicKey);
      this.lag.add(early - now);
    } else {
      this.answered.set(publicKey, now);
    }
    return { status: 200, ms: reply.ms, nodeId: (reply.body as { node?: { id?: string } } | null)?.node?.id };
  }

  /** A node applied an announced peer (host ms now). */
  announced(publicKey: string): void {
    const now = performance.timeOrigin + performance.now();
    const at = this.answered.get(publicKey);
    if (at !== undefined) {
      this.answered.delete(publicKey);
      this.lag.add(now - at);
    } else if (this.early.size < 100_000) {
      this.early.set(publicKey, now);
    }
  }

  /**
   * One client, one request at a time (sub-millisecond timing per request); `pick(i)` says which
   * replica and location request i goes to. No request starts after `deadlineMs` (performance.now()).
   */
  async sequential(tokens: readonly string[], pick: (i: number) => { replica: number; location: string }, deadlineMs = Number.POSITIVE_INFINITY): Promise<{ times: number[]; failures: Record<string, number> }> {
    const times: number[] = [];
    const failures: Record<string, number> = {};
    for (let i = 0; i < tokens.length && performance.now() < deadlineMs; i++) {
      const { replica, location } = pick(i);
      const r = await this.redeem(replica, tokens[i] as string, location);
      if (r.status === 200) times.push(r.ms);
      else failures[r.failure ?? 'other'] = (failures[r.failure ?? 'other'] ?? 0) + 1;
    }
    return { times, failures };
  }

  /**
   * A burst: every token redeemed for `location`, `concurrency` at a time, alternating replicas,
   * none started after `deadlineMs`. Returns how many configs each node got.
   */
  async burst(
    tokens: readonly string[],
    location: string,
    concurrency: number,
    deadlineMs = Number.POSITIVE_INFINITY,
  ): Promise<{ perNode: Map<string, number>; ok: number; failures: Record<string, number>; seconds: number; p50: number; p99: number }> {
    const perNode = new Map<string, number>();
    const failures: Record<string, number> = {};
    const times: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < tokens.length && performance.now() < deadlineMs) {
          const i = next++;
          const r = await this.redeem(i, tokens[i] as string, location);
          if (r.status === 200 && r.nodeId) {
            perNode.set(r.nodeId, (perNode.get(r.nodeId) ?? 0) + 1);
            times.push(r.ms);
          } else failures[r.failure ?? 'other'] = (failures[r.failure ?? 'other'] ?? 0) + 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    times.sort((a, b) => a - b);
    return { perNode, ok: times.length, failures, seconds, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
  }

  /**
   * Redemptions at `perSecond` (open loop, evenly spaced; at most `maxInFlight` under way) to a
   * location chosen by `location()`, until `stop()` or the tokens run out. Returns a handle.
   */
  steady(tokens: readonly string[], perSecond: number, location: () => string, maxInFlight = 16): { stop: () => Promise<{ ok: number; failures: Record<string, number>; skipped: number }> } {
    let ok = 0;
    let skipped = 0;
    const failures: Record<string, number> = {};
    let inFlight = 0;
    let next = 0;
    const pending = new Set<Promise<void>>();
    const periodMs = 1000 / perSecond;
    const started = performance.now();
    let timer: NodeJS.Timeout | null = null;
    const tick = () => {
      timer = null;
      const due = Math.floor((performance.now() - started) / periodMs) + 1;
      while (next < Math.min(due, tokens.length)) {
        const i = next++;
        if (inFlight >= maxInFlight) {
          skipped++;
          continue;
        }
        inFlight++;
        const p = this.redeem(i, tokens[i] as string, location()).then((r) => {
          inFlight--;
          if (r.status === 200) ok++;
          else failures[r.failure ?? 'other'] = (failures[r.failure ?? 'other'] ?? 0) + 1;
        });
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      if (next < tokens.length) timer = setTimeout(tick, Math.max(1, periodMs));
    };
    if (perSecond > 0 && tokens.length > 0) tick();
    return {
      stop: async () => {
        if (timer) clearTimeout(timer);
        timer = null;
        next = tokens.length;
        await Promise.all([...pending]);
        return { ok, failures, skipped };
      },
    };
  }

  close(): void {
    this.http.close();
  }
}
