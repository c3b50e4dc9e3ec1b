import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The same loader the integration tests use (tools/jest/stack-env-lib.js), typed once here.
const lib = require(path.join(__dirname, '../tools/jest/stack-env-lib.js')) as {
  readEnvFile: (file: string) => Record<string, string>;
  ENV_FILE: string;
  DEV_ENV_FILE: string;
};

/** The local stack's URLs (.stack/env) over the development settings (tools/platform/dev.env). */
export function stackEnv(): Record<string, string> {
  if (!existsSync(lib.ENV_FILE)) throw new Error(`benchmarks need the local stack: ${lib.ENV_FILE} is missing (npm run stack:start)`);
  return { ...lib.readEnvFile(lib.DEV_ENV_FILE), ...lib.readEnvFile(lib.ENV_FILE) };
}

/** Whether wrk (C, Debian's `wrk`; bench/run.sh installs it when root) is on the PATH. */
export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // `wrk --version` prints its usage and exits 1: it is there.
    return (e as { code?: string }).code !== 'ENOENT';
  }
}

/** The median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
}

/** USER_HZ: the unit of /proc's CPU times (100 on every Linux port Node runs on). */
const TICKS_PER_SECOND = 100;

/** CPU time the whole machine spent busy (every core, every process, exited ones too), in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number) as number[];
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / TICKS_PER_SECOND;
}

/** CPU time (user + system) one running process has used, in ms, from /proc/<pid>/stat (0 once it is gone). */
export function processCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after the command (which may hold spaces), from its closing parenthesis: utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** What a measured stretch cost: wall time, the machine's busy CPU, and each named process's CPU (ms). */
export interface CpuSpent {
  wallMs: number;
  machineMs: number;
  processMs: Record<string, number>;
}

/**
 * Starts measuring CPU: the whole machine (so that exited processes such as pgbench's backends
 * count) and each named process. Resolution is /proc's tick (10 ms a process): sum stretches of
 * about a second or more before dividing by operations.
 */
export function cpuMeter(pids: Record<string, number>): () => CpuSpent {
  const wall = process.hrtime.bigint();
  const machine = machineBusyMs();
  const own = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]));
  return () => ({
    wallMs: Number(process.hrtime.bigint() - wall) / 1e6,
    machineMs: machineBusyMs() - machine,
    processMs: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid) - (own[name] as number)])),
  });
}

/** Adds up stretches measured by {@link cpuMeter}. */
export function addCpu(a: CpuSpent, b: CpuSpent): CpuSpent {
  const processMs = { ...a.processMs };
  for (const [k, v] of Object.entries(b.processMs)) processMs[k] = (processMs[k] ?? 0) + v;
  return { wallMs: a.wallMs + b.wallMs, machineMs: a.machineMs + b.machineMs, processMs };
}
