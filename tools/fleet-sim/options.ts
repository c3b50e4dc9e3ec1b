/** One numeric flag: its default, bounds and what it means (for --help). */
export interface FlagSpec {
  default: number;
  min: number;
  max: number;
  integer?: boolean;
  help: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses `--name value` / `--name=value` numeric flags against `specs` (every flag has a default;
 * bounds are checked; an unknown flag or a bad value is a UsageError naming it). `--help` gives
 * `{ help: true }`.
 */
export function parseFlags<S extends FlagSpecs>(argv: readonly string[], specs: S): { help: boolean; values: { [K in keyof S]: number } } {
  const values = Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.default])) as { [K in keyof S]: number };
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1] as string;
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} (see --help)`);
    let raw = m[2];
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    }
    const value = Number(raw.replace(/_/g, ''));
    if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, not ${JSON.stringify(raw)}`);
    if ((spec.integer ?? true) && !Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number`);
    if (value < spec.min || value > spec.max) throw new UsageError(`--${name} must be between ${spec.min} and ${spec.max}`);
    (values as Record<string, number>)[name] = value;
  }
  return { help, values };
}

/** `--help` text: one line per flag with its default. */
export function usage(title: string, specs: FlagSpecs): string {
  const width = Math.max(...Object.keys(specs).map((k) => k.length)) + 2;
  const lines = Object.entries(specs).map(([k, s]) => `  --${k.padEnd(width)} ${s.help} (default ${s.default})`);
  return `${title}\n\n${lines.join('\n')}\n`;
}

/** The flags the fleet itself takes (the CLI and the benchmark share them). */
export const FLEET_FLAGS = {
  nodes: { default: 1000, min: 1, max: 100_000, help: 'simulated node agents' },
  interval: { default: 30, min: 1, max: 3600, help: "pulse interval in seconds (the replicas' PULSE_INTERVAL_SEC; shorter compresses time)" },
  reconcile: { default: 30, min: 1, max: 3600, help: "each agent's periodic GET /nodes/:id/peers, seconds (node-daemon's RECONCILE_INTERVAL_SEC)" },
  'leases-per-node': { default: 100, min: 0, max: 10_000, help: 'leases seeded into the database per node (bulk INSERT, not redeemed)' },
  capacity: { default: 1000, min: 1, max: 60_000, help: 'capacity each node registers with' },
  replicas: { default: 2, min: 1, max: 8, help: 'config-service replicas (processes)' },
  locations: { default: 12, min: 1, max: 1000, help: 'locations the nodes spread over, round-robin (at most those seeded)' },
  subscribers: { default: 64, min: 1, max: 2000, help: 'Redis subscriber connections (node user) the agents share for announcements' },
  sockets: { default: 64, min: 1, max: 4096, help: 'keep-alive HTTP connections per replica the agents share' },
  'enroll-concurrency': { default: 32, min: 1, max: 1024, help: 'registrations under way at once' },
} satisfies FlagSpecs;
