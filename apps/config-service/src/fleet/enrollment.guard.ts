import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError, bearerToken, ErrorCode, InjectConfig, secretEquals } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import type { NetworkConfig } from '../config';

/** `POST /nodes/register`: `Authorization: Bearer <NODE_ENROLLMENT_TOKEN>`, constant-time compare. */
@Injectable()
export class EnrollmentGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: NetworkConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const token = bearerToken(req.headers.authorization);
    if (token === null || !secretEquals(token, this.config.NODE_ENROLLMENT_TOKEN)) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'enrollment token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    }
    return true;
  }
}
