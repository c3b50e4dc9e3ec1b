import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigOf, loadConfig, secretKeys } from '@phoenix/common';
import type { z } from 'zod';
import { DATASTORES, ENVIRONMENTS, EnvironmentName, ServiceName } from '../src/environments';
import { SERVICES, SERVICE_NAMES } from '../src/services';
import { Rendered } from './manifests';

// The deploy's settings against each app's own env schema (apps/<app>/src/config.ts), in
// production mode: a ConfigMap key the app does not know, a missing required variable or a
// secret left to its development default would stop the pod at start. The apps are loaded by
// path at run time: this project deploys them and must not depend on them at build time.
const ROOT = path.resolve(__dirname, '../../..');

/** Variables a pod gets that are read by a library, not by the app's schema. */
const READ_BY_LIBRARIES = new Set(['GOOGLE_APPLICATION_CREDENTIALS']);

interface AppConfig {
  shape: z.ZodRawShape;
  load: (source: NodeJS.ProcessEnv) => ConfigOf<z.ZodRawShape>;
}

function appConfig(svc: ServiceName): AppConfig {
  const mod = require(path.join(ROOT, 'apps', svc, 'src/config')) as { configShape: z.ZodRawShape; loadJobsConfig?: (s: NodeJS.ProcessEnv) => ConfigOf<z.ZodRawShape> };
  return { shape: mod.configShape, load: mod.loadJobsConfig ?? ((source) => loadConfig(mod.configShape, source)) };
}

/** Values of the right form for each Secret key, made now (never stored). */
function fakeSecret(env: (typeof ENVIRONMENTS)[EnvironmentName], key: string): string {
  const pw = randomBytes(12).toString('hex');
  const host = (label: string) => `${label}.${env.dataNamespace}.svc.cluster.local`;
  switch (key) {
    case 'IDENTITY_DATABASE_URL':
      return `postgres://phoenix_identity:${pw}@${host(DATASTORES.identityPostgres.label)}:5432/phoenix_identity`;
    case 'NETWORK_DATABASE_URL':
      return `postgres://phoenix_network:${pw}@${host(DATASTORES.networkPostgres.label)}:5432/phoenix_network`;
    case 'REDIS_URL':
      return `redis://phoenix_x:${pw}@${host(DATASTORES.redis.label)}:6379`;
    case 'CLICKHOUSE_URL':
      return `http://phoenix_analytics:${pw}@${host(DATASTORES.clickhouse.label)}:8123`;
    case 'SMTP_URL':
      return `smtps://mailer:${pw}@smtp.phoenix.example:465`;
    default:
      return randomBytes(32).toString('hex');
  }
}

describe.each(Object.keys(ENVIRONMENTS) as EnvironmentName[])('settings of %s against the apps’ env schemas', (name) => {
  const env = ENVIRONMENTS[name];
  const r = new Rendered(name);

  it.each(SERVICE_NAMES)('%s starts in production mode with its ConfigMap and Secret keys', (svc) => {
    const { shape, load } = appConfig(svc);
    const data = r.configMaps.find((m) => m.metadata.name === svc)!.data!;
    const secretEnv = Object.fromEntries(SERVICES[svc].secrets.map((s) => [s.key, fakeSecret(env, s.key)]));
    const config = load({ ...data, ...secretEnv }) as Record<string, unknown>;
    expect(config.NODE_ENV).toBe('production');
    expect(config.HOST).toBe('0.0.0.0');
    // Optional Secret keys may be absent.
    const required = Object.fromEntries(SERVICES[svc].secrets.filter((s) => !s.optional).map((s) => [s.key, secretEnv[s.key]]));
    expect(() => load({ ...data, ...required })).not.toThrow();
    expect(shape).toBeDefined();
  });

  it.each(SERVICE_NAMES)('%s: every ConfigMap key and Secret key is a variable the app reads', (svc) => {
    const { shape } = appConfig(svc);
    const data = r.configMaps.find((m) => m.metadata.name === svc)!.data!;
    const unknown = [...Object.keys(data), ...SERVICES[svc].secrets.map((s) => s.key)].filter((k) => !(k in shape) && !READ_BY_LIBRARIES.has(k));
    expect(unknown).toEqual([]);
  });

  it.each(SERVICE_NAMES)('%s: every variable the app marks secret comes from its Secret', (svc) => {
    const { shape } = appConfig(svc);
    const fromSecret = SERVICES[svc].secrets.map((s) => s.key);
    expect(secretKeys(shape).filter((k) => !fromSecret.includes(k))).toEqual([]);
  });
});
