import { Injectable, Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import { BLIND_RSA_NK, TOKEN_REQUEST_LENGTH, base64urlDecode, base64urlEncode, decodeTokenRequest, isCryptoError } from '@phoenix/crypto';
import { EntitlementService } from '../entitlement/entitlement.service';
import type { FirebaseIdentity } from '../identity/firebase.adapter';
import { MAX_BLINDED_MESSAGES } from './dto/vpn-token.dto';
import { IssuerKeyStore, SigningKey } from './issuer-keys.store';
import { QuotaService } from './quota.service';
import { SignerPool } from './signer.pool';

export interface BatchResult {
  tokenKeyId: string;
  blindSignatures: string[];
  expiresAt: string;
}

// a < b for equal-length big-endian byte strings. The blinded message is public (the client sent
// it), so an early exit leaks nothing.
function below(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) < 0;
}

/** The blinded messages of a JSON batch (`POST /auth/vpn-token` and a tenant device's tokens): 1–20 base64url strings of 256 bytes. @throws 400 VALIDATION_FAILED */
export function decodeBlindedMessages(encoded: string[]): Uint8Array[] {
  if (encoded.length < 1 || encoded.length > MAX_BLINDED_MESSAGES) throw new AppError(ErrorCode.VALIDATION_FAILED, `blindedMessages must hold 1 to ${MAX_BLINDED_MESSAGES} entries`);
  return encoded.map((s, i) => {
    let bytes: Uint8Array;
    try {
      bytes = base64urlDecode(s);
    } catch {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `blindedMessages[${i}] is not base64url`);
    }
    if (bytes.length !== BLIND_RSA_NK) throw new AppError(ErrorCode.VALIDATION_FAILED, `blindedMessages[${i}] must decode to ${BLIND_RSA_NK} bytes`);
    return bytes;
  });
}

/** Each message must be below the key's modulus (RFC 9474 §4.3). @throws 400 VALIDATION_FAILED */
export function assertBelowModulus(key: SigningKey, msgs: Uint8Array[]): void {
  msgs.forEach((m, i) => {
    if (!below(m, key.modulus)) throw new AppError(ErrorCode.VALIDATION_FAILED, `blinded message ${i} is not below the key's modulus`);
  });
}

/** The JSON answer of a batch signed with `key`. */
export function batchResult(key: SigningKey, sigs: Uint8Array[]): BatchResult {
  return {
    tokenKeyId: base64urlEncode(key.keyIdBytes),
    blindSignatures: sigs.map((s) => base64urlEncode(s)),
    expiresAt: key.removeAt.toISOString(),
  };
}

/**
 * Anonymous token issuance: the caller must be entitled and under quota; then the current issuer
 * key signs their blinded messages. Nothing about the messages or signatures is stored or
 * logged — only the quota count changes (ARCHITECTURE.md invariant 3).
 */
@Injectable()
export class IssuanceService {
  private readonly logger = new Logger('Issuance');

  constructor(
    private readonly keys: IssuerKeyStore,
    private readonly quota: QuotaService,
    private readonly signer: SignerPool,
    private readonly entitlement: EntitlementService,
  ) {}

  /** `POST /token-request`: one RFC 9578 TokenRequest → the 256-byte TokenResponse. */
  async issueOne(identity: FirebaseIdentity, body: Buffer): Promise<Uint8Array> {
    if (body.length !== TOKEN_REQUEST_LENGTH) throw new AppError(ErrorCode.MALFORMED_BODY, `a token request is exactly ${TOKEN_REQUEST_LENGTH} bytes`);
    let request: ReturnType<typeof decodeTokenRequest>;
    try {
      request = decodeTokenRequest(body);
    } catch (e) {
      if (isCryptoError(e)) throw new AppError(ErrorCode.MALFORMED_BODY, 'not a token request for token type 2');
      throw e;
    }
    const key = await this.keys.signingKeyFor(request.truncatedTokenKeyId);
    if (!key) throw new AppError(ErrorCode.UNKNOWN_KEY_ID, 'the token request names no key this issuer signs with; refresh the issuer directory');
    assertBelowModulus(key, [request.blindedMsg]);
    const [sig] = await this.sign(identity, key, [request.blindedMsg]);
    return sig;
  }

  /** `POST /auth/vpn-token`: a batch of base64url blinded messages, each counted against the quota. */
  async issueBatch(identity: FirebaseIdentity, encoded: string[]): Promise<BatchResult> {
    const msgs = decodeBlindedMessages(encoded);
    const key = await this.keys.signingKey();
    assertBelowModulus(key, msgs);
    const sigs = await this.sign(identity, key, msgs);
    return batchResult(key, sigs);
  }

  /** Entitled? → consume quota → sign. Fails closed: no quota store, no signature. */
  private async sign(identity: FirebaseIdentity, key: SigningKey, msgs: Uint8Array[]): Promise<Uint8Array[]> {
    const userId = await this.entitlement.entitledUserId(identity);
    const decision = await this.quota.consume(userId, msgs.length);
    if (!decision.allowed) {
      throw new AppError(ErrorCode.QUOTA_EXCEEDED, `daily token quota of ${this.quota.limit} reached`, { headers: { 'Retry-After': String(decision.retryAfterSeconds) } });
    }
    try {
      return await this.signer.sign(key.keyId, key.privateKey, msgs);
    } catch (e) {
      await this.quota.release(userId, decision.bucket, msgs.length);
      this.logger.error(`signing failed: ${(e as Error).message}`);
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'the blinded message could not be signed');
    }
  }
}
