import { webCorsPolicy, type ServiceOptions } from '@phoenix/common';
import { AppModule } from './app.module';
import { VpnConfigRoute } from './redemption/vpn-config.route';
import type { NetworkConfig } from './config';

export const CONFIG_SERVICE_DESCRIPTION = 'The Anonymizer: locations, node fleet, one-time token redemption and WireGuard configs.';

/** Everything `startService` / `createServiceApp` needs, for main.ts and tests alike. */
export function configServiceOptions(config: NetworkConfig, overrides: Partial<ServiceOptions> = {}): ServiceOptions {
  return {
    service: 'config-service',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: CONFIG_SERVICE_DESCRIPTION,
    // The web app's "Get a config": GET /locations, GET /vpn/token-challenge, POST /vpn/config.
    // The redemption hot path, served ahead of Fastify and Nest (bench/config).
    rawRoutes: (app) => [app.get(VpnConfigRoute).route()],
    cors: webCorsPolicy(config.WEB_ORIGIN, ['GET', 'POST']),
    ...overrides,
  };
}
