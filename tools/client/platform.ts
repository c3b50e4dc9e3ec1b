// What a development `npm run platform` (tools/platform/run.sh) wrote for this client under
// `<stack dir>/platform/`, the stack dir being `PHOENIX_STACK_DIR` or this checkout's `.stack`:
// `blocklist.env` (the published blocklist's URL and key) and `gateways.env` (the per-service
// gateways' URLs). Each is `NAME=value` lines; a file that is not there gives nothing.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function platformFile(env: NodeJS.ProcessEnv, name: 'blocklist.env' | 'gateways.env'): string {
  return join(env.PHOENIX_STACK_DIR || resolve(__dirname, '../../.stack'), 'platform', name);
}

/** The values of `names` in that file (those it sets, non-empty); nothing when it is not there. */
export function platformSettings<K extends string>(env: NodeJS.ProcessEnv, name: 'blocklist.env' | 'gateways.env', names: readonly K[]): Partial<Record<K, string>> {
  let text: string;
  try {
    text = readFileSync(platformFile(env, name), 'utf8');
  } catch {
    return {};
  }
  const out: Partial<Record<K, string>> = {};
  for (const n of names) {
    const value = new RegExp(`^${n}=(.+)$`, 'm').exec(text)?.[1]?.trim();
    if (value) out[n] = value;
  }
  return out;
}

/** The gateway URLs `npm run platform` wrote (PHOENIX_AUTH_URL, PHOENIX_CONFIG_URL, PHOENIX_ANALYTICS_URL). */
export function platformGateways(env: NodeJS.ProcessEnv): Partial<Record<'PHOENIX_AUTH_URL' | 'PHOENIX_CONFIG_URL' | 'PHOENIX_ANALYTICS_URL', string>> {
  return platformSettings(env, 'gateways.env', ['PHOENIX_AUTH_URL', 'PHOENIX_CONFIG_URL', 'PHOENIX_ANALYTICS_URL'] as const);
}
