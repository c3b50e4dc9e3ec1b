import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AuthConfig } from './tokens';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (over digests, so lengths do not leak). */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(APP_CONFIG) config: AuthConfig) {
    this.expected = digest(config.ADMIN_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m || !timingSafeEqual(digest(m[1]), this.expected)) throw new AppError(ErrorCode.UNAUTHENTICATED, 'admin token required');
    return true;
  }
}
