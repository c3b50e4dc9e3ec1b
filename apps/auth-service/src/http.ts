import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ServiceOptions } from '@phoenix/common';
import { AppModule } from './app.module';
import type { AuthConfig } from './config';
import { registerTokenRequestParser } from './issuance/token-request.parser';

/** The `configure` hook of auth-service: the binary Privacy Pass media type. Tests use the same. */
export function configureAuthService(app: NestFastifyApplication): void {
  registerTokenRequestParser(app);
}

export const AUTH_SERVICE_DESCRIPTION = 'The Gatekeeper: identity, subscriptions and anonymous token issuance (Privacy Pass issuer).';

/** Everything `startService` / `createServiceApp` needs, for main.ts and tests alike. */
export function authServiceOptions(config: AuthConfig, overrides: Partial<ServiceOptions> = {}): ServiceOptions {
  return {
    service: 'auth-service',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: AUTH_SERVICE_DESCRIPTION,
    configure: configureAuthService,
    ...overrides,
  };
}
