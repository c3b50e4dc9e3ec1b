import { Injectable } from '@nestjs/common';
import { TOKEN_TYPE_BLIND_RSA, base64urlEncode, challengeDigest, encodeTokenChallenge } from '@phoenix/crypto';
import { InjectConfig } from '@phoenix/common';
import type { NetworkConfig } from '../config';

/**
 * config-service's one TokenChallenge (RFC 9577 §2.1): type 2, the issuer's name, an empty
 * redemption_context and origin_info = TOKEN_ORIGIN_INFO. The empty context is deliberate: a
 * per-request context would force apps to fetch tokens right before use, and the timing of
 * issuance and redemption would then link them; with it, apps can hold tokens in advance.
 */
@Injectable()
export class TokenChallenge {
  readonly issuerName: string;
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly encoded: string;

  constructor(@InjectConfig() config: NetworkConfig) {
    this.issuerName = config.TOKEN_ISSUER_NAME ?? new URL(config.ISSUER_DIRECTORY_URL).host;
    this.bytes = encodeTokenChallenge({ tokenType: TOKEN_TYPE_BLIND_RSA, issuerName: this.issuerName, redemptionContext: new Uint8Array(0), originInfo: [config.TOKEN_ORIGIN_INFO] });
    this.digest = challengeDigest(this.bytes);
    this.encoded = base64urlEncode(this.bytes);
  }
}
