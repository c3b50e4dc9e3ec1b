import { Injectable } from '@nestjs/common';
import type { RawReply, RawRequest, RawRoute } from '@phoenix/common';
import { TOKEN_REQUEST_LENGTH } from '@phoenix/crypto';
import { IdTokenVerifier } from '../identity/id-token.verifier';
import { IssuanceService } from './issuance.service';

export const TOKEN_REQUEST_MEDIA_TYPE = 'application/private-token-request';
export const TOKEN_RESPONSE_MEDIA_TYPE = 'application/private-token-response';

/** The error responses both issuance endpoints share, for their OpenAPI operations. */
export const ISSUANCE_ERROR_RESPONSES = {
  400: { description: 'Malformed request (MALFORMED_BODY / VALIDATION_FAILED) or unknown key id (UNKNOWN_KEY_ID)' },
  401: { description: 'Missing, expired, revoked or foreign Firebase ID token (UNAUTHENTICATED)' },
  403: { description: 'No active subscription or trial (NOT_ENTITLED)' },
  415: { description: 'Wrong Content-Type (UNSUPPORTED_MEDIA_TYPE)' },
  429: { description: 'Daily quota used (QUOTA_EXCEEDED); see Retry-After', headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } } },
  503: { description: 'A dependency is down (UNAVAILABLE); nothing was signed' },
} as const;

const BINARY = { schema: { type: 'string' as const, format: 'binary' } };

/**
 * `POST /token-request` (RFC 9578 §6, API.md): one TokenRequest in, the TokenResponse out.
 *
 * Served as a raw route ahead of Fastify and Nest: this is the endpoint whose rate is the
 * issuer's capacity, and the framework pipeline cost as much CPU per request as everything
 * else around the RSA operation together (bench/auth). Same checks, same order, same errors as
 * a Nest route: media type (415) and size (413) first, then the Firebase ID token (401), then
 * the request itself, entitlement, quota and signing in {@link IssuanceService.issueOne}.
 */
@Injectable()
export class TokenRequestRoute {
  constructor(
    private readonly idTokens: IdTokenVerifier,
    private readonly issuance: IssuanceService,
  ) {}

  route(): RawRoute {
    return {
      method: 'POST',
      path: '/token-request',
      consumes: TOKEN_REQUEST_MEDIA_TYPE,
      // A token request is 259 bytes; anything much larger is refused before it is read.
      bodyLimit: 4096,
      handle: (req) => this.handle(req),
      openapi: {
        tags: ['issuance'],
        summary: 'Issue one token (RFC 9578 §6): a TokenRequest in, the blind signature out',
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          description: `token_type (2 bytes, 0x0002) ‖ truncated_token_key_id (1) ‖ blinded_msg (256): exactly ${TOKEN_REQUEST_LENGTH} bytes`,
          content: { [TOKEN_REQUEST_MEDIA_TYPE]: BINARY },
        },
        responses: {
          200: { description: 'The TokenResponse: blind_sig (256 bytes); Cache-Control: no-store', content: { [TOKEN_RESPONSE_MEDIA_TYPE]: BINARY } },
          ...ISSUANCE_ERROR_RESPONSES,
          413: { description: 'Body over 4 KiB (PAYLOAD_TOO_LARGE)' },
        },
      },
    };
  }

  async handle(req: RawRequest): Promise<RawReply> {
    const identity = await this.idTokens.authenticate(req.headers.authorization);
    const sig = await this.issuance.issueOne(identity, req.body);
    return {
      status: 200,
      contentType: TOKEN_RESPONSE_MEDIA_TYPE,
      headers: { 'cache-control': 'no-store' },
      body: Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength),
    };
  }
}
