import { Injectable, ValidationPipe } from '@nestjs/common';
import { getSchemaPath } from '@nestjs/swagger';
import { AppError, DEFAULT_JSON_LIMITS, ErrorCode, parseJsonBody, strictValidationPipe, validateJsonObject, type RawReply, type RawRequest, type RawRoute } from '@phoenix/common';
import { RedeemDto, RedeemResponse } from './dto/redeem.dto';
import { RedemptionService } from './redemption.service';
import { hasPrivateTokenCredentials, tokenBytes } from './token';

const JSON_TYPE = 'application/json';

/**
 * `POST /vpn/config` (API.md): redeem one token for a WireGuard config.
 *
 * Served as a raw route ahead of Fastify and Nest, as `/token-request` is in auth-service: this
 * is the endpoint a failing node's users all hit at once, and the framework pipeline cost about a
 * fifth of its CPU (bench/config). Same checks, same order, same answers as the Nest route it
 * replaces: media type (415) and size (413) first; JSON within the platform's limits (400
 * MALFORMED_BODY / BODY_TOO_COMPLEX); no token at all → 401 with the `WWW-Authenticate:
 * PrivateToken` challenge, before the body is validated (that is how a client discovers what to
 * present); then the strict DTO check (400 VALIDATION_FAILED: unknown fields, wrong types) with the
 * global pipe's own messages, then {@link RedemptionService.redeem}. A request with no body and
 * no Content-Type is read as `{}`, so a bare POST gets its challenge.
 */
@Injectable()
export class VpnConfigRoute {
  private readonly pipe: ValidationPipe = strictValidationPipe();

  constructor(private readonly redemption: RedemptionService) {}

  route(): RawRoute {
    return {
      method: 'POST',
      path: '/vpn/config',
      consumes: JSON_TYPE,
      allowEmptyBody: true,
      bodyLimit: 64 * 1024,
      handle: (req) => this.handle(req),
      models: [RedeemDto, RedeemResponse],
      openapi: {
        tags: ['vpn'],
        summary: 'Redeem one Privacy Pass token for a WireGuard config',
        parameters: [{ name: 'Authorization', in: 'header', required: false, description: 'PrivateToken token="<base64url Token>" (or the body field "token")', schema: { type: 'string' } }],
        requestBody: { required: false, content: { [JSON_TYPE]: { schema: { $ref: getSchemaPath(RedeemDto) } } } },
        responses: {
          200: { description: 'The config; Cache-Control: no-store', content: { [JSON_TYPE]: { schema: { $ref: getSchemaPath(RedeemResponse) } } } },
          400: { description: 'VALIDATION_FAILED / MALFORMED_BODY / BODY_TOO_COMPLEX: unknown fields, bad base64, wrong lengths' },
          401: { description: 'UNAUTHENTICATED (no token; WWW-Authenticate: PrivateToken challenge) or INVALID_TOKEN' },
          404: { description: 'UNKNOWN_LOCATION' },
          409: { description: 'TOKEN_REUSED' },
          413: { description: 'PAYLOAD_TOO_LARGE' },
          415: { description: 'UNSUPPORTED_MEDIA_TYPE' },
          503: { description: 'NO_CAPACITY (token not spent) or UNAVAILABLE (token not spent, no config)' },
        },
      },
    };
  }

  async handle(req: RawRequest): Promise<RawReply> {
    const body = req.body.length === 0 && req.headers['content-type'] === undefined ? {} : parseJsonBody(req.body, DEFAULT_JSON_LIMITS);
    const authorization = req.headers.authorization;
    const bodyToken = typeof body === 'object' && body !== null && !Array.isArray(body) && (body as { token?: unknown }).token !== undefined;
    const inHeader = hasPrivateTokenCredentials(authorization);
    if (!bodyToken && !inHeader) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'a Privacy Pass token is required (Authorization: PrivateToken)', {
        headers: { 'WWW-Authenticate': await this.redemption.wwwAuthenticate() },
      });
    }
    // An object (what clients send) is checked as the pipe would, without it (validateJsonObject: its
    // steps cost as much as the check here; RedeemDto's rules are all synchronous); anything else by the pipe.
    const dto =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? validateJsonObject(RedeemDto, body)
        : ((await this.pipe.transform(body, { type: 'body', metatype: RedeemDto })) as RedeemDto);
    const answer = await this.redemption.redeem({
      token: tokenBytes(authorization, dto.token, inHeader),
      location: dto.location ?? 'auto',
      ...(dto.publicKey !== undefined ? { publicKey: dto.publicKey } : {}),
      ...(dto.sealTo !== undefined ? { sealTo: dto.sealTo } : {}),
    });
    return { status: 200, contentType: 'application/json; charset=utf-8', headers: { 'cache-control': 'no-store' }, body: Buffer.from(JSON.stringify(answer)) };
  }
}
