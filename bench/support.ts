import { existsSync } from 'node:fs';
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

/** The median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
}
