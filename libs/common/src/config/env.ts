import { z } from 'zod';
import { parseRedisUrl } from '../redis/redis-url';

/**
 * Env-config schema helpers. Each app declares one schema (its `config.ts`), parsed once at start;
 * a missing or malformed variable stops the app with the variable's name, and in production mode
 * development defaults for secrets are refused.
 */

const SECRETS = new WeakSet<z.ZodType>();

/** Prefix every development default secret carries, so production can recognise and refuse it. */
export const DEV_SECRET_PREFIX = 'dev-';

export const env = {
  /** A URL with one of the given protocols (e.g. `['postgres:', 'postgresql:']`). */
  url(protocols: string[]) {
    return z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL (${protocols.join(' or ')})` },
    );
  },
  /**
   * A Redis URL: one server (`redis://`, `rediss://`) or a Redis Cluster
   * (`redis+cluster://[user:password@]host:port[,host:port…]`, README "Redis Cluster").
   */
  redisUrl() {
    return z.string().refine(
      (v) => {
        try {
          parseRedisUrl(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a redis://, rediss:// or redis+cluster://host:port[,host:port…] URL' },
    );
  },
  /** An exact web origin, `http(s)://host[:port]` with no path, query or trailing slash (CORS). */
  origin() {
    return z.string().refine(
      (v) => {
        try {
          const u = new URL(v);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v;
        } catch {
          return false;
        }
      },
      { message: 'must be an origin like https://app.example or http://127.0.0.1:4200 (no path, no trailing slash)' },
    );
  },
  port(defaultPort: number) {
    return z.coerce.number().int().min(1).max(65535).default(defaultPort);
  },
  int(defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
    return z.coerce.number().int().min(min).max(max).default(defaultValue);
  },
  bool(defaultValue: boolean) {
    return z
      .enum(['true', 'false', '1', '0'])
      .default(defaultValue ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1');
  },
  /**
   * A secret: at least `minLength` characters, never logged. `devDefault` (which must start with
   * {@link DEV_SECRET_PREFIX}) is used outside production and refused in production.
   */
  secret(devDefault?: string, minLength = 16) {
    if (devDefault !== undefined && !devDefault.startsWith(DEV_SECRET_PREFIX)) {
      throw new Error(`development secrets must start with "${DEV_SECRET_PREFIX}"`);
    }
    const base = z.string().min(minLength, { message: `must be at least ${minLength} characters` });
    const schema = devDefault === undefined ? base : base.default(devDefault);
    SECRETS.add(schema);
    return schema;
  },
  logLevel() {
    return z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
  },
  nodeEnv() {
    return z.enum(['development', 'test', 'production']).default('development');
  },
};

/** Settings every HTTP service has. */
export function baseShape(defaultPort: number, defaultHost = '127.0.0.1') {
  return {
    NODE_ENV: env.nodeEnv(),
    LOG_LEVEL: env.logLevel(),
    PORT: env.port(defaultPort),
    HOST: z.string().min(1).default(defaultHost),
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Rules of a config that span variables or depend on `NODE_ENV`, run once the shape parsed: the
 * problems found, each `VARIABLE: what is wrong` (none: the config is good).
 */
export type ConfigRules<C> = (config: C) => string[];

/**
 * Parses `source` (default `process.env`) against `shape`, then applies `rules`.
 * @throws ConfigError naming every missing or malformed variable (never its value), or else every
 *   problem the rules find.
 */
export function loadConfig<S extends z.ZodRawShape>(shape: S, source: NodeJS.ProcessEnv = process.env, rules?: ConfigRules<z.infer<z.ZodObject<S>>>): z.infer<z.ZodObject<S>> {
  // Empty strings count as unset, as a shell's `VAR=` means "nothing".
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const v = source[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code === 'invalid_type' && !(String(i.path[0]) in input) ? 'is required' : i.message}`),
    );
  }
  const production = (source.NODE_ENV ?? '') === 'production';
  if (production) {
    const problems: string[] = [];
    for (const [key, schema] of Object.entries(shape)) {
      const value = (result.data as Record<string, unknown>)[key];
      if (SECRETS.has(schema as z.ZodType) && typeof value === 'string' && value.startsWith(DEV_SECRET_PREFIX)) {
        problems.push(`${key}: development secret refused in production`);
      }
    }
    if (problems.length) throw new ConfigError(problems);
  }
  const problems = rules?.(result.data) ?? [];
  if (problems.length) throw new ConfigError(problems);
  return result.data;
}

/** Names of the secret variables of a shape (for redaction in logs). */
export function secretKeys(shape: z.ZodRawShape): string[] {
  return Object.entries(shape)
    .filter(([, s]) => SECRETS.has(s as z.ZodType))
    .map(([k]) => k);
}

/** Loads the config (see {@link loadConfig}) or ends the process with exit code 1, naming the bad variables on stderr. */
export function loadConfigOrExit<S extends z.ZodRawShape>(service: string, shape: S, rules?: ConfigRules<z.infer<z.ZodObject<S>>>): z.infer<z.ZodObject<S>> {
  try {
    return loadConfig(shape, process.env, rules);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${service}: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** The parsed config type of a shape. */
export type ConfigOf<S extends z.ZodRawShape> = z.infer<z.ZodObject<S>>;
