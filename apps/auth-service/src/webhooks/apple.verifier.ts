import { readFileSync } from 'node:fs';
import { Injectable, Logger } from '@nestjs/common';
import { Environment, JWSRenewalInfoDecodedPayload, JWSTransactionDecodedPayload, ResponseBodyV2DecodedPayload, SignedDataVerifier } from '@apple/app-store-server-library';
import { AppError, ErrorCode, InjectConfig } from '@phoenix/common';
import type { AuthConfig } from '../config';

export interface AppleNotification {
  payload: ResponseBodyV2DecodedPayload;
  transaction: JWSTransactionDecodedPayload | null;
  renewal: JWSRenewalInfoDecodedPayload | null;
}

/** Reads a certificate file, PEM (one or more) or DER, as DER buffers. */
export function readCertificates(path: string): Buffer[] {
  const raw = readFileSync(path);
  const text = raw.toString('latin1');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return [raw];
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

/**
 * App Store Server Notifications V2 behind one adapter: Apple's `SignedDataVerifier` over the
 * configured roots (`APPLE_ROOT_CERTIFICATES`), bundle id and environment. The transaction and
 * renewal info inside are JWS too and are verified the same way.
 */
@Injectable()
export class AppleNotificationVerifier {
  private readonly logger = new Logger('AppleVerifier');
  private readonly verifier: SignedDataVerifier | null;

  constructor(@InjectConfig() config: AuthConfig) {
    const paths = (config.APPLE_ROOT_CERTIFICATES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    if (paths.length === 0) {
      this.verifier = null;
      return;
    }
    const roots = paths.flatMap(readCertificates);
    const environment = config.APPLE_ENVIRONMENT === 'Production' ? Environment.PRODUCTION : Environment.SANDBOX;
    this.verifier = new SignedDataVerifier(roots, config.APPLE_ONLINE_CHECKS, environment, config.APPLE_BUNDLE_ID, config.APPLE_APP_APPLE_ID);
  }

  /** @throws AppError BAD_SIGNATURE (any verification failure), UNAVAILABLE (no roots configured) */
  async verify(signedPayload: string): Promise<AppleNotification> {
    if (!this.verifier) throw AppError.unavailable('Apple notification verification (no root certificates configured)');
    try {
      const payload = await this.verifier.verifyAndDecodeNotification(signedPayload);
      const data = payload.data;
      const transaction = data?.signedTransactionInfo ? await this.verifier.verifyAndDecodeTransaction(data.signedTransactionInfo) : null;
      const renewal = data?.signedRenewalInfo ? await this.verifier.verifyAndDecodeRenewalInfo(data.signedRenewalInfo) : null;
      return { payload, transaction, renewal };
    } catch (e) {
      this.logger.warn(`notification refused: ${(e as Error).message ?? String(e)}`);
      throw new AppError(ErrorCode.BAD_SIGNATURE, 'signedPayload does not verify');
    }
  }
}
