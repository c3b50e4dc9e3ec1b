// The per-service gateways for a suite of its own: the stack's nginx templates (tools/stack/nginx),
// rendered and run by nginx.sh exactly as tools/stack/start.sh runs them, on free loopback ports,
// in front of the services (or stand-ins) the suite names. Its pid, logs and temp files live in a
// temp directory that stop() removes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT, freeLoopbackPort } from '@phoenix/common/testing';

export const NGINX_SH = join(WORKSPACE_ROOT, 'tools/stack/nginx/nginx.sh');

export type GatewayName = 'auth' | 'config' | 'analytics';
export const GATEWAY_NAMES: readonly GatewayName[] = ['auth', 'config', 'analytics'];

export interface Gateways {
  /** Base URL of each gateway (`http://127.0.0.1:<port>`). */
  urls: Record<GatewayName, string>;
  /** nginx's directory (rendered config, pid, logs). */
  dir: string;
  /** Everything nginx wrote to its logs so far (access logs and error log), by file name. */
  logs: () => Record<string, string>;
  stop: () => void;
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < n && i < 50; i++) ports.add(await freeLoopbackPort());
  if (ports.size < n) throw new Error(`could not find ${n} free loopback ports`);
  return [...ports];
}

/** Starts the gateways in front of `upstreams` (`host:port` of each service). */
export async function startGateways(upstreams: Record<GatewayName, string>): Promise<Gateways> {
  const root = mkdtempSync(join(tmpdir(), 'phx-gateways-'));
  const dir = join(root, 'nginx');
  const [origin, auth, config, analytics] = (await distinctFreePorts(4)) as [number, number, number, number];
  const ports: Record<GatewayName, number> = { auth, config, analytics };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NGINX_LISTEN: '127.0.0.1',
    NGINX_AUTH_GATEWAY_PORT: String(ports.auth),
    NGINX_AUTH_SERVICE: upstreams.auth,
    NGINX_CONFIG_GATEWAY_PORT: String(ports.config),
    NGINX_CONFIG_SERVICE: upstreams.config,
    NGINX_ANALYTICS_GATEWAY_PORT: String(ports.analytics),
    NGINX_ANALYTICS_SERVICE: upstreams.analytics,
  };
  const nginx = (...args: string[]) => execFileSync('bash', [NGINX_SH, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  try {
    nginx('start', dir, String(origin), join(root, 'origin'), join(root, 'upstream'));
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    urls: { auth: `http://127.0.0.1:${ports.auth}`, config: `http://127.0.0.1:${ports.config}`, analytics: `http://127.0.0.1:${ports.analytics}` },
    dir,
    logs: () =>
      Object.fromEntries(
        ['gateway-access.log', 'access.log', 'error.log'].map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '']),
      ),
    stop: () => {
      try {
        nginx('stop', dir);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
