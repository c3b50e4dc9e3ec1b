import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The value at quantile `q` (0–1) of ascending `sorted` (nearest rank); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

/** The median (the mean of the two middle values for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2;
}

/** Latencies (ms) of one kind of request: a growable buffer, sorted once when read. */
export class Latencies {
  private buf = new Float64Array(1024);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }
}

/** What one kind of request did in a window: answers by status class, failures, latencies. */
export interface KindFigures {
  ok: number;
  /** Answers other than 2xx, by status ("timeout"/"network" for no answer). */
  failed: Record<string, number>;
  p50: number;
  p99: number;
}

/**
 * Counts requests per `kind` (e.g. `pulse@0` = pulses answered by replica 0) over a window that
 * {@link Meter.take} closes and restarts.
 */
export class Meter {
  private ok = new Map<string, number>();
  private failed = new Map<string, Record<string, number>>();
  private lat = new Map<string, Latencies>();
  private started = performance.now();

  success(kind: string, ms: number): void {
    this.ok.set(kind, (this.ok.get(kind) ?? 0) + 1);
    let l = this.lat.get(kind);
    if (!l) this.lat.set(kind, (l = new Latencies()));
    l.add(ms);
  }

  failure(kind: string, why: string): void {
    let f = this.failed.get(kind);
    if (!f) this.failed.set(kind, (f = {}));
    f[why] = (f[why] ?? 0) + 1;
  }

  /** Closes the window: its figures per kind and its length in seconds; a new window starts. */
  take(): { seconds: number; kinds: Map<string, KindFigures> } {
    const now = performance.now();
    const kinds = new Map<string, KindFigures>();
    for (const kind of new Set([...this.ok.keys(), ...this.failed.keys()])) {
      const sorted = this.lat.get(kind)?.sorted() ?? new Float64Array(0);
      kinds.set(kind, { ok: this.ok.get(kind) ?? 0, failed: this.failed.get(kind) ?? {}, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) });
    }
    const seconds = (now - this.started) / 1000;
    this.ok = new Map();
    this.failed = new Map();
    this.lat = new Map();
    this.started = now;
    return { seconds, kinds };
  }
}

/** Sums the figures of every kind whose name starts with `prefix` (e.g. `pulse@`: all replicas). */
export function sumKinds(kinds: Map<string, KindFigures>, prefix: string): { ok: number; failed: number } {
  let ok = 0;
  let failed = 0;
  for (const [kind, f] of kinds) {
    if (!kind.startsWith(prefix)) continue;
    ok += f.ok;
    failed += Object.values(f.failed).reduce((a, b) => a + b, 0);
  }
  return { ok, failed };
}

let clockTicks: number | null = null;

/** The kernel's clock ticks per second (USER_HZ), for /proc/<pid>/stat. */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU seconds (user + system, every thread) a process has used, from `/proc/<pid>/stat`; null
 * when the process is gone. Fields 14 and 15 (utime, stime) counted after the `)` that closes the
 * command name, which may itself hold spaces.
 */
export function processCpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / ticksPerSecond();
}

/** CPU seconds a set of processes used between two readings (processes that came or went count from what both saw). */
export class CpuWindow {
  private readonly start = new Map<number, number>();

  constructor(pids: readonly number[]) {
    for (const pid of pids) {
      const s = processCpuSeconds(pid);
      if (s !== null) this.start.set(pid, s);
    }
  }

  /** CPU seconds per pid since the window opened. */
  read(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [pid, s] of this.start) {
      const now = processCpuSeconds(pid);
      if (now !== null) out.set(pid, now - s);
    }
    return out;
  }

  total(): number {
    let sum = 0;
    for (const v of this.read().values()) sum += v;
    return sum;
  }
}
