import { ConfigOf, baseShape, env } from '@phoenix/common';
import { z } from 'zod';

/** auth-service environment (API.md "Environment"); parsed once at start. */
export const configShape = {
  ...baseShape(3001),
  IDENTITY_DATABASE_URL: env.url(['postgres:', 'postgresql:']),
  REDIS_URL: env.url(['redis:', 'rediss:']),
  FIREBASE_PROJECT_ID: z.string().regex(/^[a-z0-9-]{4,40}$/, { message: 'must be a Firebase project id' }),
  FIREBASE_AUTH_EMULATOR_HOST: z.string().regex(/^[\w.-]+:\d+$/, { message: 'must be host:port' }).optional(),
  STRIPE_SECRET_KEY: env.secret('dev-stripe-secret-key-not-real'),
  STRIPE_WEBHOOK_SECRET: env.secret('dev-stripe-webhook-secret-not-real'),
  ISSUER_KEY_ENCRYPTION_KEY: env.secret('dev-issuer-key-encryption-key-not-real'),
  TOKEN_QUOTA_PER_DAY: env.int(48, 1, 10_000),
  ADMIN_TOKEN: env.secret('dev-admin-token-auth-service'),
};

export type AuthConfig = ConfigOf<typeof configShape>;
