import { Injectable } from '@nestjs/common';
import { TOKEN_TYPE_BLIND_RSA, base64urlEncode, challengeDigest, encodeTokenChallenge } from '@phoenix/crypto';
import { InjectConfig } from '@phoenix/common';
import type { NetworkConfig } from '../config';
import { consumerIssuerName } from '../issuer-directory/issuer-directory.service';

/** One issuer's TokenChallenge, encoded and digested once. */
export interface IssuerChallenge {
  readonly issuerName: string;
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly encoded: string;
}

/** Tenant challenges kept (each ~100 bytes); past this the map starts over (it only saves CPU). */
const MAX_CACHED = 10_000;

/**
 * config-service's TokenChallenges (RFC 9577 §2.1): type 2, the issuer's name, an empty
 * redemption_context and origin_info = TOKEN_ORIGIN_INFO. The empty context is deliberate: a
 * per-request context would force apps to fetch tokens right before use, and the timing of
 * issuance and redemption would then link them; with it, apps can hold tokens in advance.
 * The consumer's (this class's own fields) names `TOKEN_ISSUER_NAME`; each tenant's issuer has its
 * own ({@link forIssuer}, the name auth-service publishes), so a token answers exactly one issuer.
 */
@Injectable()
export class TokenChallenge implements IssuerChallenge {
  readonly issuerName: string;
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly encoded: string;
  private readonly originInfo: string;
  private readonly byIssuer = new Map<string, IssuerChallenge>();

  constructor(@InjectConfig() config: NetworkConfig) {
    this.originInfo = config.TOKEN_ORIGIN_INFO;
    const own = this.make(consumerIssuerName(config));
    this.issuerName = own.issuerName;
    this.bytes = own.bytes;
    this.digest = own.digest;
    this.encoded = own.encoded;
  }

  /** The challenge of the issuer named `issuerName` (the consumer's for its own name). */
  forIssuer(issuerName: string): IssuerChallenge {
    if (issuerName === this.issuerName) return this;
    let hit = this.byIssuer.get(issuerName);
    if (!hit) {
      if (this.byIssuer.size >= MAX_CACHED) this.byIssuer.clear();
      hit = this.make(issuerName);
      this.byIssuer.set(issuerName, hit);
    }
    return hit;
  }

  private make(issuerName: string): IssuerChallenge {
    const bytes = encodeTokenChallenge({ tokenType: TOKEN_TYPE_BLIND_RSA, issuerName, redemptionContext: new Uint8Array(0), originInfo: [this.originInfo] });
    return { issuerName, bytes, digest: challengeDigest(bytes), encoded: base64urlEncode(bytes) };
  }
}
