import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type NetworkConfig } from '../config';
import { bearerToken, secretEquals } from './bearer';

/** Admin endpoints: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: NetworkConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const token = bearerToken(req.headers.authorization);
    if (token === null || !secretEquals(token, this.config.ADMIN_TOKEN)) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'admin token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    }
    return true;
  }
}
