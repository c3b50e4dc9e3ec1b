import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Turns a program and its arguments into the argv actually spawned (e.g. `ip netns exec <ns> …`). */
export type ArgvWrapper = (cmd: string, args: readonly string[]) => [string, string[]];

/** Supervision of the userspace WireGuard implementation for one interface. */
export interface UserspaceWireGuard {
  /** The pid of the wireguard-go serving the interface, or null when none runs. */
  runningPid(): Promise<number | null>;
  /** Starts wireguard-go (detached: it outlives the daemon); resolves with its pid. */
  start(): Promise<number>;
  /** Stops it (SIGTERM, then SIGKILL) and forgets it. Only for decommissioning or replacing a broken one. */
  stop(): Promise<void>;
}

export interface WireGuardGoOptions {
  binary: string;
  iface: string;
  stateDir: string;
  wrap?: ArgvWrapper;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `wireguard-go -f <iface>` as a detached child in its own process group, never through
 * its self-daemonizing mode (which dies inside network namespaces). The pid goes to a file in
 * the state directory, so a restarted daemon adopts the running process instead of starting a
 * second one — the interface, and every user on it, survives a daemon restart.
 */
export class WireGuardGoProcess implements UserspaceWireGuard {
  constructor(private readonly options: WireGuardGoOptions) {}

  get pidFile(): string {
    return join(this.options.stateDir, `wireguard-go.${this.options.iface}.pid`);
  }

  get logFile(): string {
    return join(this.options.stateDir, `wireguard-go.${this.options.iface}.log`);
  }

  async runningPid(): Promise<number | null> {
    let pid: number;
    try {
      pid = Number.parseInt(await readFile(this.pidFile, 'utf8'), 10);
    } catch {
      return null;
    }
    return Number.isInteger(pid) && pid > 1 && (await this.isOurs(pid)) ? pid : null;
  }

  /** True when `pid` is a live wireguard-go serving our interface (a zombie or a reused pid is not). */
  private async isOurs(pid: number): Promise<boolean> {
    try {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      return argv.some((a) => a.endsWith('wireguard-go')) && argv.includes(this.options.iface);
    } catch {
      return false;
    }
  }

  async start(): Promise<number> {
    const [cmd, args] = (this.options.wrap ?? ((c, a) => [c, [...a]]))(this.options.binary, ['-f', this.options.iface]);
    const log = openSync(this.logFile, 'w', 0o600);
    try {
      const child = spawn(cmd, args, {
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, LOG_LEVEL: 'error', WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1' },
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid as number));
      });
      child.unref();
      await writeFile(this.pidFile, `${pid}\n`, { mode: 0o600 });
      return pid;
    } finally {
      closeSync(log);
    }
  }

  async stop(): Promise<void> {
    const pid = await this.runningPid();
    if (pid !== null) {
      signal(pid, 'SIGTERM');
      for (let i = 0; i < 40 && (await this.isOurs(pid)); i++) await sleep(50);
      if (await this.isOurs(pid)) signal(pid, 'SIGKILL');
    }
    await rm(this.pidFile, { force: true });
  }

  /** The end of wireguard-go's log, for an error message when it will not start. */
  async logTail(): Promise<string> {
    try {
      return (await readFile(this.logFile, 'utf8')).slice(-500).trim();
    } catch {
      return '';
    }
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
