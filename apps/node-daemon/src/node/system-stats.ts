import { cpus } from 'node:os';

/** Host figures the pulse reports. */
export interface SystemStats {
  /** CPU busy share since the previous call, 0–100. */
  cpuPercent(): number;
}

/** CPU utilisation from the kernel's per-CPU time counters (`os.cpus()`), as a delta between calls. */
export class OsSystemStats implements SystemStats {
  private last = OsSystemStats.sample();

  cpuPercent(): number {
    const now = OsSystemStats.sample();
    const total = now.total - this.last.total;
    const idle = now.idle - this.last.idle;
    this.last = now;
    if (total <= 0) return 0;
    return Math.min(100, Math.max(0, Math.round(((total - idle) / total) * 100)));
  }

  private static sample(): { total: number; idle: number } {
    let total = 0;
    let idle = 0;
    for (const cpu of cpus()) {
      const t = cpu.times;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
      idle += t.idle;
    }
    return { total, idle };
  }
}
