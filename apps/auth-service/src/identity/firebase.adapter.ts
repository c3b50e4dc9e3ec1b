import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppError, ErrorCode, InjectConfig } from '@phoenix/common';
import { App, deleteApp, initializeApp } from 'firebase-admin/app';
import { Auth, getAuth } from 'firebase-admin/auth';
import type { AuthConfig } from '../config';

/** Who a verified Firebase ID token belongs to. */
export interface FirebaseIdentity {
  uid: string;
  email: string | null;
  /** When the ID token expires (ms since the epoch). */
  expiresAtMs: number;
}

// firebase-admin error codes that mean "this token does not authenticate anyone".
const UNAUTHENTICATED_CODES = new Set([
  'auth/id-token-expired',
  'auth/id-token-revoked',
  'auth/user-disabled',
  'auth/user-not-found',
  'auth/argument-error',
  'auth/invalid-id-token',
  'auth/invalid-argument',
  'auth/project-not-found',
]);

/**
 * Firebase Auth behind one adapter: verifies ID tokens for the configured project with
 * `checkRevoked: true` (expired, revoked, disabled, deleted or foreign-project tokens are
 * `401 UNAUTHENTICATED`; Firebase unreachable is `503 UNAVAILABLE`).
 */
@Injectable()
export class FirebaseAuthAdapter implements OnApplicationShutdown {
  private readonly logger = new Logger('Firebase');
  private readonly app: App;
  private readonly auth: Auth;

  constructor(@InjectConfig() config: AuthConfig) {
    if (config.FIREBASE_AUTH_EMULATOR_HOST) {
      if (config.NODE_ENV === 'production') throw new Error('FIREBASE_AUTH_EMULATOR_HOST: the emulator is refused in production');
      // firebase-admin reads the emulator host from the environment.
      process.env.FIREBASE_AUTH_EMULATOR_HOST = config.FIREBASE_AUTH_EMULATOR_HOST;
    }
    // A named app per service instance: tests run several in one process.
    this.app = initializeApp({ projectId: config.FIREBASE_PROJECT_ID }, `auth-service-${randomUUID()}`);
    this.auth = getAuth(this.app);
  }

  /**
   * @throws AppError `UNAUTHENTICATED` for any token that does not authenticate, `UNAVAILABLE` when Firebase cannot be asked
   */
  async verifyIdToken(idToken: string): Promise<FirebaseIdentity> {
    try {
      const decoded = await this.auth.verifyIdToken(idToken, true);
      return { uid: decoded.uid, email: typeof decoded.email === 'string' ? decoded.email : null, expiresAtMs: decoded.exp * 1000 };
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      // A token that does not even decode throws a plain SyntaxError/TypeError: the input's fault.
      const undecodable = code === undefined && (e instanceof SyntaxError || e instanceof TypeError);
      if (undecodable || (typeof code === 'string' && UNAUTHENTICATED_CODES.has(code))) {
        throw new AppError(ErrorCode.UNAUTHENTICATED, 'ID token is invalid, expired or revoked');
      }
      this.logger.warn(`ID token check failed: ${typeof code === 'string' ? code : (e as Error).message}`);
      throw AppError.unavailable('identity provider', e);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await deleteApp(this.app).catch(() => undefined);
  }
}
