import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type NetworkConfig } from '../config';
import { bearerToken, secretEquals } from '../core/bearer';

/** `POST /nodes/register`: `Authorization: Bearer <NODE_ENROLLMENT_TOKEN>`, constant-time compare. */
@Injectable()
export class EnrollmentGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: NetworkConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const token = bearerToken(req.headers.authorization);
    if (token === null || !secretEquals(token, this.config.NODE_ENROLLMENT_TOKEN)) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'enrollment token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    }
    return true;
  }
}
