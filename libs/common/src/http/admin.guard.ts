import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InjectConfig } from '../config/app-config';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-codes';
import { bearerToken, secretEquals } from './bearer';

/**
 * Admin endpoints: `Authorization: Bearer <ADMIN_TOKEN>` of the service (API.md "Conventions").
 * No header, another scheme or a wrong token is `401 UNAUTHENTICATED` with
 * `WWW-Authenticate: Bearer` (RFC 6750 §3). The token is compared in constant time over digests,
 * so neither its length nor a prefix leaks. A service whose config has no `ADMIN_TOKEN` (unset or
 * empty) refuses every admin call: fail closed.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly token: string | undefined;

  constructor(@InjectConfig() config: { ADMIN_TOKEN?: string }) {
    this.token = config.ADMIN_TOKEN || undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const given = bearerToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    if (this.token === undefined || given === null || !secretEquals(given, this.token)) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'admin token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    }
    return true;
  }
}
