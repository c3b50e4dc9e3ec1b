import { webCorsPolicy, type ServiceOptions } from '@phoenix/common';
import { AppModule } from './app.module';
import type { AuthConfig } from './config';
import { TokenRequestRoute } from './issuance/token-request.route';

export const AUTH_SERVICE_DESCRIPTION = 'The Gatekeeper: identity, subscriptions and anonymous token issuance (Privacy Pass issuer).';

/** Everything `startService` / `createServiceApp` needs, for main.ts and tests alike. */
export function authServiceOptions(config: AuthConfig, overrides: Partial<ServiceOptions> = {}): ServiceOptions {
  return {
    service: 'auth-service',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: AUTH_SERVICE_DESCRIPTION,
    // The issuance hot path, ahead of Fastify and Nest (see TokenRequestRoute).
    rawRoutes: (app) => [app.get(TokenRequestRoute).route()],
    // The account pages: GET/PUT/DELETE /account…, POST /account/trial, /auth/vpn-token, /billing/*.
    cors: webCorsPolicy(config.WEB_ORIGIN, ['GET', 'POST', 'PUT', 'DELETE']),
    ...overrides,
  };
}
