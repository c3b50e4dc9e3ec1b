import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { RedemptionService } from './redemption.service';
import { hasPrivateTokenCredentials } from './token';

/**
 * Without any token, `401` with the `WWW-Authenticate: PrivateToken` challenge (RFC 9577 §2.1),
 * before the body is validated: this is how a client discovers what to present.
 */
@Injectable()
export class TokenRequiredGuard implements CanActivate {
  constructor(private readonly redemption: RedemptionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const body = req.body as { token?: unknown } | undefined | null;
    const bodyToken = typeof body === 'object' && body !== null && !Array.isArray(body) && body.token !== undefined;
    if (bodyToken || hasPrivateTokenCredentials(req.headers.authorization)) return true;
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'a Privacy Pass token is required (Authorization: PrivateToken)', {
      headers: { 'WWW-Authenticate': await this.redemption.wwwAuthenticate() },
    });
  }
}
